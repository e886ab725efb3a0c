import type { Sdp, SdpAttribute, SdpConnection, SdpMedia } from './types.js';

/**
 * Serialises in the RFC 4566 §5 order (v o s i u c b t a, then per media m i c b a), CRLF line ends. GB/T 28181
 * `y=` and `f=` go after each media's attributes, where devices expect them (GB/T 28181-2016 附录F examples).
 */
export function writeSdp(sdp: Sdp): string {
  const l: string[] = [`v=${sdp.version}`];
  const o = sdp.origin;
  if (o) l.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  l.push(`s=${sdp.sessionName || '-'}`);
  if (sdp.info !== undefined) l.push(`i=${sdp.info}`);
  if (sdp.uri !== undefined) l.push(`u=${sdp.uri}`);
  if (sdp.connection) l.push(conn(sdp.connection));
  for (const b of sdp.bandwidths) l.push(`b=${b.type}:${b.value}`);
  for (const t of sdp.timing.length ? sdp.timing : [{ start: 0, stop: 0 }]) l.push(`t=${t.start} ${t.stop}`);
  attrs(l, sdp.attributes);
  if (sdp.ssrc !== undefined) l.push(`y=${sdp.ssrc}`);
  if (sdp.format !== undefined) l.push(`f=${sdp.format}`);
  for (const m of sdp.media) media(l, m);
  return `${l.join('\r\n')}\r\n`;
}

function media(l: string[], m: SdpMedia): void {
  const port = m.portCount !== undefined ? `${m.port}/${m.portCount}` : String(m.port);
  l.push(`m=${m.type} ${port} ${m.proto}${m.formats.length ? ` ${m.formats.join(' ')}` : ''}`);
  if (m.info !== undefined) l.push(`i=${m.info}`);
  if (m.connection) l.push(conn(m.connection));
  for (const b of m.bandwidths) l.push(`b=${b.type}:${b.value}`);
  attrs(l, m.attributes);
  if (m.ssrc !== undefined) l.push(`y=${m.ssrc}`);
  if (m.format !== undefined) l.push(`f=${m.format}`);
}

function conn(c: SdpConnection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}`;
}

function attrs(l: string[], list: SdpAttribute[]): void {
  for (const a of list) l.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);
}
