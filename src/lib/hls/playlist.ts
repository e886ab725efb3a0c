/**
 * HLS media playlists for fMP4 segments (RFC 8216). Pure: the caller keeps the segment list, these functions only
 * render text.
 */

export interface HlsSegment {
  /** media sequence number (RFC 8216 §4.3.3.2) */
  seq: number;
  /** seconds */
  duration: number;
  /** relative or absolute URI, without the query the playlist appends */
  uri: string;
  /** wall-clock time of the segment's first sample (ms since the epoch or a Date) → EXT-X-PROGRAM-DATE-TIME (§4.3.2.6) */
  programDateTime?: number | Date;
  /** EXT-X-DISCONTINUITY before this segment (§4.3.2.3), e.g. after a codec parameter change */
  discontinuity?: boolean;
  /** the init segment of this and later segments when it differs from the playlist's map (EXT-X-MAP, §4.3.2.5) */
  map?: string;
}

export interface PlaylistOptions {
  /** EXT-X-MAP URI of the init segment (before the query is added) */
  map: string;
  /** keep only the last N segments (a live sliding window, §6.2.2); default: all given */
  window?: number;
  /**
   * EXT-X-TARGETDURATION (§4.3.3.1) in whole seconds; raised when a segment's rounded duration would exceed it.
   * Live servers should keep it constant (§6.2.1): pass the configured segment length.
   */
  targetDuration?: number;
  /** a finished stream: EXT-X-ENDLIST (§4.3.3.4) */
  ended?: boolean;
  /** appended to every URI, e.g. "token=abc" (with "?" or "&" as the URI needs) */
  query?: string;
  /** EXT-X-DISCONTINUITY-SEQUENCE (§4.3.3.3) of the first segment in the window */
  discontinuitySequence?: number;
  /** EXT-X-PLAYLIST-TYPE (§4.3.3.5): 'EVENT' or 'VOD'; omitted by default (live) */
  playlistType?: 'EVENT' | 'VOD';
  /** add EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1): every segment starts with a key frame (default true) */
  independentSegments?: boolean;
}

export class HlsError extends Error {
  override readonly name = 'HlsError';
}

/** Appends a query string to a URI, before any #fragment, with "?" or "&". */
export function withQuery(uri: string, query: string | undefined): string {
  if (!query) return uri;
  const q = query.replace(/^[?&]/, '');
  if (!q) return uri;
  const hash = uri.indexOf('#');
  const base = hash >= 0 ? uri.slice(0, hash) : uri;
  const frag = hash >= 0 ? uri.slice(hash) : '';
  return `${base}${base.includes('?') ? '&' : '?'}${q}${frag}`;
}

/** Seconds rounded to milliseconds, as a decimal-floating-point (§4.3.2.1) with 3 decimals. */
function extinf(d: number): string {
  return (Math.round(d * 1000) / 1000).toFixed(3);
}

/** A quoted-string attribute (§4.2) cannot hold '"', CR or LF. */
function quoted(s: string): string {
  if (/["\r\n]/.test(s)) throw new HlsError(`URI not allowed in a quoted-string: ${JSON.stringify(s)}`);
  return `"${s}"`;
}

function plainUri(s: string): string {
  if (/[\r\n]/.test(s) || s.startsWith('#')) throw new HlsError(`bad segment URI: ${JSON.stringify(s)}`);
  return s;
}

/** RFC 3339 date-time with milliseconds and 'Z' (§4.3.2.6). */
function dateTime(t: number | Date): string {
  return (t instanceof Date ? t : new Date(t)).toISOString();
}

/**
 * A media playlist (§4.3): EXTM3U, VERSION 7 (EXT-X-MAP in a playlist without I-frames needs ≥ 6, §7), TARGETDURATION,
 * MEDIA-SEQUENCE, EXT-X-MAP, then EXTINF + URI per segment (optional PROGRAM-DATE-TIME / DISCONTINUITY), ENDLIST when
 * ended. Every URI (map and segments) carries opts.query.
 */
export function mediaPlaylist(segments: readonly HlsSegment[], opts: PlaylistOptions): string {
  const win = opts.window !== undefined && opts.window > 0 && segments.length > opts.window ? segments.slice(-opts.window) : segments;
  let target = Math.max(1, Math.floor(opts.targetDuration ?? 1));
  for (const s of win) {
    if (!(s.duration >= 0) || !Number.isFinite(s.duration)) throw new HlsError(`bad segment duration ${s.duration}`);
    // §4.3.3.1: each EXTINF rounded to the nearest integer must be <= the target duration
    target = Math.max(target, Math.round(Math.round(s.duration * 1000) / 1000));
  }
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${win.length ? win[0].seq : 0}`];
  if (opts.discontinuitySequence) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${opts.discontinuitySequence}`);
  if (opts.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${opts.playlistType}`);
  if (opts.independentSegments !== false) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let map: string | undefined;
  for (const s of win) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    const m = s.map ?? opts.map;
    if (m !== map) {
      lines.push(`#EXT-X-MAP:URI=${quoted(withQuery(m, opts.query))}`);
      map = m;
    }
    if (s.programDateTime !== undefined) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${dateTime(s.programDateTime)}`);
    lines.push(`#EXTINF:${extinf(s.duration)},`, plainUri(withQuery(s.uri, opts.query)));
  }
  if (win.length === 0) lines.push(`#EXT-X-MAP:URI=${quoted(withQuery(opts.map, opts.query))}`);
  if (opts.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

export interface LivePlaylistOptions extends Omit<PlaylistOptions, 'map'> {
  segments: readonly HlsSegment[];
  /** EXT-X-MAP URI of the init segment */
  mapUri: string;
}

/** mediaPlaylist() with everything in one options object. */
export function livePlaylist(opts: LivePlaylistOptions): string {
  const { segments, mapUri, ...rest } = opts;
  return mediaPlaylist(segments, { ...rest, map: mapUri });
}

export interface Variant {
  uri: string;
  /** peak bits per second (§4.3.4.2 BANDWIDTH) */
  bandwidth: number;
  /** RFC 6381 codec strings, e.g. ["avc1.64001f", "mp4a.40.2"] */
  codecs?: string[];
  width?: number;
  height?: number;
  frameRate?: number;
}

/** A multivariant (master) playlist (§4.3.4.2) for players that want CODECS= before loading media. */
export function multivariantPlaylist(variants: readonly Variant[], query?: string): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of variants) {
    const attrs = [`BANDWIDTH=${Math.max(1, Math.round(v.bandwidth))}`];
    if (v.codecs?.length) attrs.push(`CODECS=${quoted(v.codecs.join(','))}`);
    if (v.width && v.height) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (v.frameRate) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, plainUri(withQuery(v.uri, query)));
  }
  return lines.join('\n') + '\n';
}
