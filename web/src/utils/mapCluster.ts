/**
 * Grid clustering of map points in screen space (电子地图 with thousands of cameras): points whose projected pixels
 * fall in the same `cellPx` square are drawn as one cluster at their mean position, with counts by online state.
 * O(n) per redraw; only points inside the view (plus a margin) are considered.
 */
export interface GeoPoint {
  id: string;
  lng: number;
  lat: number;
  online: boolean;
}

export interface Cluster<T extends GeoPoint> {
  key: string;
  lng: number;
  lat: number;
  items: T[];
  online: number;
}

export interface ViewBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

export function inView(p: GeoPoint, b: ViewBox): boolean {
  return p.lng >= b.west && p.lng <= b.east && p.lat >= b.south && p.lat <= b.north;
}

/** Clusters of the points in `box`, by `project` (lng/lat → pixel) and a grid of `cellPx`; `cellPx` 0 = no clustering. */
export function gridCluster<T extends GeoPoint>(points: readonly T[], project: (lng: number, lat: number) => { x: number; y: number }, cellPx: number, box?: ViewBox): Cluster<T>[] {
  const cells = new Map<string, Cluster<T>>();
  for (const p of points) {
    if (box && !inView(p, box)) continue;
    let key: string;
    if (cellPx > 0) {
      const { x, y } = project(p.lng, p.lat);
      key = `${Math.floor(x / cellPx)}:${Math.floor(y / cellPx)}`;
    } else key = p.id;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { key, lng: 0, lat: 0, items: [], online: 0 }));
    c.items.push(p);
    c.lng += p.lng;
    c.lat += p.lat;
    if (p.online) c.online++;
  }
  const out = [...cells.values()];
  for (const c of out) {
    c.lng /= c.items.length;
    c.lat /= c.items.length;
  }
  return out;
}

/** Padded view box (a margin so markers do not pop in at the edges while panning). */
export function padBox(b: ViewBox, ratio = 0.2): ViewBox {
  const dx = (b.east - b.west) * ratio;
  const dy = (b.north - b.south) * ratio;
  return { west: b.west - dx, south: b.south - dy, east: b.east + dx, north: b.north + dy };
}

/** Grid step (degrees) of the plain vector base for a zoom level: about 4 lines per 256-px tile. */
export function gridStep(zoom: number): number {
  const deg = 360 / 2 ** zoom / 4;
  const steps = [45, 30, 15, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];
  return steps.find((s) => s <= deg) ?? 0.0001;
}
