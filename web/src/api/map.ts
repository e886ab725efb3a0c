/** The map (docs/patrol.md "Map"): positioned channels/devices, tile source, tracks. */
import { http } from './http';

export interface MapPoint {
  id: string;
  name: string;
  online: boolean;
  lng: number;
  lat: number;
  deviceId: string | null;
  orgId: string | null;
}

export interface TrackPoint {
  at: string;
  lng: number;
  lat: number;
  speed: number | null;
  direction: number | null;
}

export const mapApi = {
  config: () => http.get<{ tileUrl: string | null }>('/map/config'),
  points: () => http.get<{ channels: MapPoint[]; devices: MapPoint[]; tracked: string[] }>('/map/points'),
  track: (channelId: string) => http.get<{ channelId: string; points: TrackPoint[] }>(`/map/tracks/${encodeURIComponent(channelId)}`),
  setTileUrl: (mapTileUrl: string) => http.patch<unknown>('/settings', { mapTileUrl }),
};
