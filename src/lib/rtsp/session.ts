/** Session header (RFC 2326 §12.37): `Session: 47112344;timeout=60`; the default timeout is 60 s. */
export interface RtspSession {
  id: string;
  /** seconds */
  timeout?: number;
}

export const DEFAULT_SESSION_TIMEOUT = 60;

export function parseSession(value: string): RtspSession {
  const [id, ...params] = value.split(';').map((s) => s.trim());
  const s: RtspSession = { id };
  for (const p of params) {
    const m = /^timeout\s*=\s*(\d+)$/i.exec(p);
    if (m) s.timeout = Number(m[1]);
  }
  return s;
}

export function formatSession(s: RtspSession): string {
  return s.timeout !== undefined ? `${s.id};timeout=${s.timeout}` : s.id;
}
