/**
 * What an RTSP request URL names: the stream key, the track (`trackID=N`, our SDP's a=control values) and the media
 * token. URLs arrive in three shapes for the same stream:
 *   rtsp://h:p/live/<id>/main?token=T             DESCRIBE (the URL the API hands out)
 *   rtsp://h:p/live/<id>/main/trackID=0           SETUP, resolved against our Content-Base (ffmpeg, live555)
 *   rtsp://h:p/live/<id>/main?token=T/trackID=0   SETUP by a client that glued the control onto the request URL
 * The last form is what a client produces when it ignores Content-Base; the control is moved back into the path.
 */
export interface RtspTarget {
  /** stream key, e.g. `live/34020000001320000001/main`; '' for `*` and the bare root */
  key: string;
  /** N of a trailing `trackID=N` */
  track?: number;
  /** the `token` query parameter */
  token?: string;
  /** `rtsp://authority` exactly as the client wrote it (absent for `*` or a path-only URI) */
  origin?: string;
}

const SEGMENT = /^[A-Za-z0-9._~@:+=-]{1,128}$/;
const TRACK = /^trackID=(\d{1,3})$/i;

/** Parses a request URI; undefined when it is not a URL we could serve (bad scheme, escapes, characters). */
export function parseRtspTarget(uri: string): RtspTarget | undefined {
  if (uri === '*') return { key: '' };
  if (uri.length > 4096) return undefined;
  let rest: string;
  let origin: string | undefined;
  const m = /^(rtsps?|rtspu):\/\/([^/?#]*)(.*)$/i.exec(uri);
  if (m) {
    const authority = m[2].slice(m[2].lastIndexOf('@') + 1); // never echo credentials back in Content-Base
    if (!authority) return undefined;
    origin = `${m[1].toLowerCase()}://${authority}`;
    rest = m[3];
  } else if (uri.startsWith('/')) {
    rest = uri;
  } else {
    return undefined;
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let path = rest;
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    path = rest.slice(0, q);
    query = rest.slice(q + 1);
    // a control appended after the query ("?token=T/trackID=0"): tokens are base64url, they never hold a '/'
    const slash = query.indexOf('/');
    if (slash >= 0) {
      path += query.slice(slash);
      query = query.slice(0, slash);
    }
  }
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (!raw) continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!SEGMENT.test(s) || s === '.' || s === '..') return undefined;
    segments.push(s);
  }
  const t: RtspTarget = { key: '' };
  if (origin) t.origin = origin;
  const last = segments.length ? TRACK.exec(segments[segments.length - 1]) : null;
  if (last) {
    t.track = Number(last[1]);
    segments.pop();
  }
  t.key = segments.join('/');
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq) !== 'token') continue;
    try {
      t.token = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  return t;
}

/** The Content-Base of a stream: `<origin>/<key>/`, so relative controls resolve to `<origin>/<key>/trackID=N`. */
export function contentBase(origin: string, key: string): string {
  return `${origin}/${key.split('/').map(encodeURIComponent).join('/')}/`;
}
