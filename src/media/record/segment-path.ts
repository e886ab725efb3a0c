import path from 'node:path';

/** `<root>/<channel>/<YYYYMMDD>/<startMs>.mp4` (UTC day): the start-up repair reads channel and start back from it. */
export function segmentPath(root: string, channelId: string, startMs: number): string {
  const d = new Date(startMs).toISOString().slice(0, 10).replace(/-/g, '');
  return path.join(root, channelId, d, `${startMs}.mp4`);
}

export function parseSegmentPath(file: string): { channelId: string; startMs: number } | undefined {
  const m = /([0-9A-Za-z_-]+)[\\/]\d{8}[\\/](\d{10,16})\.mp4$/.exec(file);
  return m ? { channelId: m[1], startMs: Number(m[2]) } : undefined;
}

/** The S3 object key of a segment (issue 8): `records/<channel>/<YYYYMMDD>/<startMs>.mp4`, the local layout under one prefix. */
export function objectKeyFor(channelId: string, startMs: number): string {
  const d = new Date(startMs).toISOString().slice(0, 10).replace(/-/g, '');
  return `records/${channelId}/${d}/${startMs}.mp4`;
}
