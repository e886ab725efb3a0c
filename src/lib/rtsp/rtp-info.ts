/** RTP-Info (RFC 2326 §12.33): per stream, the URL and the seq/rtptime of the first packet after PLAY. */
export interface RtpInfoEntry {
  url: string;
  seq?: number;
  rtptime?: number;
}

export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const out: RtpInfoEntry[] = [];
  // entries are comma-separated and start with url=; a comma inside a URL is rare but possible, so split on ",url="
  for (const raw of value.split(/,\s*(?=url=)/i)) {
    const e: RtpInfoEntry = { url: '' };
    for (const part of raw.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq).trim().toLowerCase();
      const v = part.slice(eq + 1).trim();
      if (k === 'url') e.url = v;
      else if (k === 'seq' && /^\d+$/.test(v)) e.seq = Number(v);
      else if (k === 'rtptime' && /^\d+$/.test(v)) e.rtptime = Number(v);
    }
    if (e.url) out.push(e);
  }
  return out;
}

export function formatRtpInfo(entries: readonly RtpInfoEntry[]): string {
  return entries
    .map((e) => [`url=${e.url}`, e.seq !== undefined ? `seq=${e.seq}` : '', e.rtptime !== undefined ? `rtptime=${e.rtptime >>> 0}` : ''].filter(Boolean).join(';'))
    .join(',');
}
