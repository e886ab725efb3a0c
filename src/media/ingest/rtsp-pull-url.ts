import { PullError } from './rtsp-pull-errors.js';

/** An RTSP source URL split into where to connect and the credentials it carried. */
export interface PullTarget {
  /** the URL requests are made with: credentials removed, everything else as given */
  url: string;
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** for logs: the URL with the password hidden */
  display: string;
}

export const DEFAULT_RTSP_PORT = 554; // RFC 2326 §3.2

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * `rtsp://[user[:password]@]host[:port][/path][?query]` (RFC 2326 §3.2). The password may contain `@` or `:` as typed
 * (cameras' passwords often do: the host starts after the last `@` of the authority) but a `/`, `?` or `#` in it must
 * be percent-encoded. The rest of the URL (path, query with a token) is kept byte for byte.
 */
export function parsePullUrl(raw: string): PullTarget {
  const m = /^(rtsp):\/\/(.*)$/i.exec(raw.trim());
  if (!m) throw new PullError('PROTOCOL', `not an rtsp:// URL: ${raw.replace(/\/\/[^/@]*@/, '//***@').slice(0, 200)}`);
  const rest = m[2];
  const authEnd = rest.search(/[/?#]/);
  const authority = authEnd < 0 ? rest : rest.slice(0, authEnd);
  const tail = authEnd < 0 ? '' : rest.slice(authEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hostport = at < 0 ? authority : authority.slice(at + 1);
  const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostport);
  if (!hp) throw new PullError('PROTOCOL', `bad host in RTSP URL: "${hostport.slice(0, 100)}"`);
  const port = hp[2] !== undefined ? Number(hp[2]) : DEFAULT_RTSP_PORT;
  if (port < 1 || port > 65535) throw new PullError('PROTOCOL', `bad port ${hp[2]} in RTSP URL`);
  const host = hp[1].startsWith('[') ? hp[1].slice(1, -1) : hp[1];
  const url = `rtsp://${hostport}${tail}`;
  const t: PullTarget = { url, host, port, display: url };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    t.user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (colon >= 0) t.password = decode(userinfo.slice(colon + 1));
    t.display = `rtsp://${encodeURIComponent(t.user)}${colon >= 0 ? ':***' : ''}@${hostport}${tail}`;
  }
  return t;
}

/** A Location (redirect) or Content-Base URL resolved against the request URL; credentials never carried over. */
export function resolveUrl(ref: string, base: string): string {
  try {
    const abs = /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) ? ref : new URL(ref, base.replace(/^rtsp:/i, 'http:')).href.replace(/^http:/, 'rtsp:');
    return abs;
  } catch {
    return ref;
  }
}
