/**
 * MANSRTSP (GB/T 28181-2016 §9.8.2, 附录B): RTSP-like playback control carried in SIP INFO bodies with
 * `Content-Type: Application/MANSRTSP`. A request line (`PLAY RTSP/1.0`), `CSeq`, and for PLAY optionally `Scale`
 * (speed: 0.125 … 16; negative = reverse, rarely supported) and `Range: npt=<seconds from the playback start>-` (seek);
 * PAUSE carries `PauseTime: now`. Lines end with CRLF; the body ends with an empty line.
 */
export type MansrtspMethod = 'PLAY' | 'PAUSE' | 'TEARDOWN';

export interface MansrtspRequest {
  method: MansrtspMethod | string;
  cseq: number;
  /** PLAY: the new speed */
  scale?: number;
  /** PLAY: `npt=<from>-`; 'now' resumes where it stands */
  range?: { from: number | 'now'; to?: number };
  /** PAUSE: 'now' or npt seconds */
  pauseTime?: string;
}

function num(n: number): string {
  // Devices parse `2.0`, `0.5`, `0.125`; a bare `2` is accepted by most but the standard's examples carry a decimal
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export function buildMansrtsp(r: MansrtspRequest): string {
  if (!/^[A-Z]+$/.test(r.method)) throw new Error(`MANSRTSP method must be upper-case letters, got "${r.method}"`);
  if (!Number.isInteger(r.cseq) || r.cseq < 0) throw new Error('MANSRTSP CSeq must be a non-negative integer');
  const lines = [`${r.method} RTSP/1.0`, `CSeq: ${r.cseq}`];
  if (r.scale !== undefined) {
    if (!Number.isFinite(r.scale) || r.scale === 0) throw new Error('MANSRTSP Scale must be a non-zero number');
    lines.push(`Scale: ${num(r.scale)}`);
  }
  if (r.range) {
    const from = r.range.from === 'now' ? 'now' : Math.max(0, Math.round(r.range.from * 1000) / 1000).toString();
    lines.push(`Range: npt=${from}-${r.range.to !== undefined ? Math.round(r.range.to * 1000) / 1000 : ''}`);
  }
  if (r.pauseTime !== undefined) lines.push(`PauseTime: ${r.pauseTime}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Lenient parse (any line ending, header names in any case, stray spaces); throws Error when there is no request line. */
export function parseMansrtsp(body: string): MansrtspRequest {
  const lines = body.split(/\r?\n|\r/).map((l) => l.trim());
  const first = lines.findIndex((l) => l.length > 0);
  const m = first >= 0 ? /^([A-Za-z]+)\s+(?:\S+\s*)?$/.exec(lines[first]) : null;
  if (!m) throw new Error('MANSRTSP body has no request line');
  const out: MansrtspRequest = { method: m[1].toUpperCase(), cseq: 0 };
  for (const l of lines.slice(first + 1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    const value = l.slice(i + 1).trim();
    if (name === 'cseq') out.cseq = Number.parseInt(value, 10) || 0;
    else if (name === 'scale') {
      const s = Number(value);
      if (Number.isFinite(s) && s !== 0) out.scale = s;
    } else if (name === 'range') {
      const r = /npt\s*=\s*(now|[\d.]+)\s*-\s*([\d.]*)/i.exec(value);
      if (r) out.range = { from: r[1].toLowerCase() === 'now' ? 'now' : Number(r[1]), ...(r[2] ? { to: Number(r[2]) } : {}) };
    } else if (name === 'pausetime') out.pauseTime = value;
  }
  return out;
}
