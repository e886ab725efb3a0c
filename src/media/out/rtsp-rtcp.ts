/**
 * The RTCP a sender needs (RFC 3550 §6): sender reports, which tie each track's RTP clock to one wall clock so a
 * player can line audio up with video, and BYE, which tells a UDP player the stream is over (ffmpeg ends the input
 * once every track said BYE). Each goes out as a compound packet with an SDES CNAME (§6.1).
 */
const NTP_EPOCH_OFFSET_S = 2_208_988_800; // 1900-01-01 to 1970-01-01

function header(target: Buffer, off: number, count: number, type: number, bytes: number): void {
  target[off] = 0x80 | (count & 0x1f);
  target[off + 1] = type;
  target.writeUInt16BE(bytes / 4 - 1, off + 2);
}

/** SDES with one CNAME item (§6.5.1), padded to a 32-bit boundary with at least one null octet. */
function sdes(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname.slice(0, 255), 'utf8').subarray(0, 255);
  const items = 2 + text.length + 1;
  const len = 4 + 4 + Math.ceil(items / 4) * 4;
  const b = Buffer.alloc(len);
  header(b, 0, 1, 202, len);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b[8] = 1;
  b[9] = text.length;
  text.copy(b, 10);
  return b;
}

export interface SenderInfo {
  ssrc: number;
  /** wall-clock time (ms since the Unix epoch) of the sampling instant `rtpTime` stands for */
  ntpMs: number;
  rtpTime: number;
  packets: number;
  octets: number;
}

/** SR without report blocks (§6.4.1) + SDES. */
export function rtcpSenderReport(s: SenderInfo, cname: string): Buffer {
  const sr = Buffer.alloc(28);
  header(sr, 0, 0, 200, 28);
  sr.writeUInt32BE(s.ssrc >>> 0, 4);
  const secs = Math.floor(s.ntpMs / 1000);
  const frac = Math.floor(((s.ntpMs - secs * 1000) / 1000) * 0x1_0000_0000);
  sr.writeUInt32BE((secs + NTP_EPOCH_OFFSET_S) % 0x1_0000_0000, 8);
  sr.writeUInt32BE(Math.min(frac, 0xffff_ffff), 12);
  sr.writeUInt32BE(((s.rtpTime % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000, 16);
  sr.writeUInt32BE(s.packets % 0x1_0000_0000, 20);
  sr.writeUInt32BE(s.octets % 0x1_0000_0000, 24);
  return Buffer.concat([sr, sdes(s.ssrc, cname)]);
}

/** Empty RR + SDES + BYE (§6.6). */
export function rtcpBye(ssrc: number, cname: string): Buffer {
  const rr = Buffer.alloc(8);
  header(rr, 0, 0, 201, 8);
  rr.writeUInt32BE(ssrc >>> 0, 4);
  const bye = Buffer.alloc(8);
  header(bye, 0, 1, 203, 8);
  bye.writeUInt32BE(ssrc >>> 0, 4);
  return Buffer.concat([rr, sdes(ssrc, cname), bye]);
}
