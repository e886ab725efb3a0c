/**
 * The media half of an independent GB/T 28181 device for tests: an MPEG program stream written by ffmpeg is cut into
 * RTP the way GB/T 28181-2016 附录C cameras send it (PT 96, one 90 kHz timestamp per picture, the marker on the last
 * packet of a picture, ≤ 1400-byte payloads, one SSRC) and saved as a libpcap file that sipp's `play_pcap_video`
 * replays in real time. Written from ISO/IEC 13818-1 / 11172-1 and ITU-T H.264 alone: nothing from src/lib/{ps,rtp}
 * is used, so a misreading there cannot hide itself here.
 */

/** One PES payload piece of the video stream: where its bytes are in the PS and in the elementary stream. */
interface EsPiece {
  psOffset: number;
  esOffset: number;
  length: number;
  /** where a picture starting at this piece's first byte should be cut in the PS: its pack header when the PES is the
   * first unit of its pack, else its own PES header */
  cutBefore: number;
  pts?: number;
}

function readTs(b: Buffer, o: number): number {
  return ((b[o] >> 1) & 7) * 2 ** 30 + ((b[o + 1] << 7) | (b[o + 2] >> 1)) * 2 ** 15 + ((b[o + 3] << 7) | (b[o + 4] >> 1));
}

/**
 * Walks a program stream (MPEG-2 pack headers `01xx…` or MPEG-1 `0010…`, PES with either header syntax) and returns
 * the video PES payload pieces. Throws on anything that is not a well-formed stream (the input is ffmpeg's, so a
 * throw is a bug in this walker).
 */
export function videoPieces(ps: Buffer): { pieces: EsPiece[]; es: Buffer; streamId: number; packs: number; mpeg1: boolean } {
  const pieces: EsPiece[] = [];
  let pos = 0;
  let es = 0;
  let packs = 0;
  let mpeg1 = false;
  let streamId = -1;
  let packStart = -1;
  let firstInPack = false;
  while (pos + 4 <= ps.length) {
    if (ps[pos] !== 0 || ps[pos + 1] !== 0 || ps[pos + 2] !== 1) throw new Error(`no start code at PS offset ${pos}`);
    const id = ps[pos + 3];
    if (id === 0xb9) break; // program end
    if (id === 0xba) {
      packs++;
      packStart = pos;
      firstInPack = true;
      if ((ps[pos + 4] & 0xc0) === 0x40) pos += 14 + (ps[pos + 13] & 7);
      else if ((ps[pos + 4] & 0xf0) === 0x20) {
        mpeg1 = true;
        pos += 12;
      } else throw new Error(`unknown pack header at ${pos}`);
      continue;
    }
    const len = ps.readUInt16BE(pos + 4);
    const end = pos + 6 + len;
    if (id >= 0xe0 && id <= 0xef) {
      if (streamId < 0) streamId = id;
      if (id === streamId) {
        let h = pos + 6;
        let pts: number | undefined;
        if ((ps[h] & 0xc0) === 0x80) {
          if (ps[h + 1] & 0x80) pts = readTs(ps, h + 3);
          h += 3 + ps[h + 2];
        } else {
          while (ps[h] === 0xff) h++;
          if ((ps[h] & 0xc0) === 0x40) h += 2;
          if ((ps[h] & 0xf0) === 0x20 || (ps[h] & 0xf0) === 0x30) {
            pts = readTs(ps, h);
            h += (ps[h] & 0xf0) === 0x20 ? 5 : 10;
          } else if (ps[h] === 0x0f) h += 1;
          else throw new Error(`bad MPEG-1 PES header at ${pos}`);
        }
        pieces.push({ psOffset: h, esOffset: es, length: end - h, cutBefore: firstInPack ? packStart : pos, pts });
        es += end - h;
      }
    }
    firstInPack = false;
    pos = end;
  }
  const buf = Buffer.alloc(es);
  for (const p of pieces) ps.copy(buf, p.esOffset, p.psOffset, p.psOffset + p.length);
  return { pieces, es: buf, streamId, packs, mpeg1 };
}

/**
 * Offsets in an H.264 Annex B stream where access units begin (ITU-T H.264 §7.4.1.2.3: after a picture's VCL NAL
 * units, an AUD / SPS / PPS / SEI / prefix NAL or a slice with first_mb_in_slice 0 starts the next one). Each offset
 * is that of the unit's first start-code byte (a 4-byte start code's leading zero included).
 */
export function h264AccessUnits(es: Buffer): number[] {
  const starts: number[] = [];
  let vcl = false;
  let i = es.indexOf(START);
  while (i >= 0 && i + 4 < es.length) {
    const t = es[i + 3] & 0x1f;
    const at = i > 0 && es[i - 1] === 0 ? i - 1 : i;
    const isVcl = t === 1 || t === 5;
    if (starts.length === 0) starts.push(at);
    else if (vcl && (t === 6 || t === 7 || t === 8 || t === 9 || (t >= 14 && t <= 18) || (isVcl && (es[i + 4] & 0x80) !== 0))) {
      starts.push(at);
      vcl = false;
    }
    if (isVcl) vcl = true;
    i = es.indexOf(START, i + 3);
  }
  return starts;
}
const START = Buffer.from([0, 0, 1]);

export interface RtpOptions {
  ssrc: number;
  payloadType?: number;
  maxPayload?: number;
  fps?: number;
  firstSeq?: number;
}

export interface RtpPictures {
  packets: { time: number; data: Buffer }[];
  pictures: number;
  keyframes: number;
  rtpPackets: number;
  /** first and last RTP timestamp */
  firstTs: number;
  lastTs: number;
}

/**
 * PS → RTP, one picture at a time: the PS bytes from where a picture begins up to where the next one begins (pack and
 * PES headers in between included) share the picture's 90 kHz timestamp (its PES PTS when the picture is the first
 * to begin in a PES that has one, else the previous one + 1/fps), are cut into ≤ maxPayload payloads, the last with
 * the marker bit. Each packet's `time` (seconds) is its picture's display time, packets of one picture 100 µs apart.
 */
export function psToRtp(ps: Buffer, o: RtpOptions): RtpPictures {
  const { pieces, es } = videoPieces(ps);
  const aus = h264AccessUnits(es);
  if (aus.length === 0) throw new Error('no H.264 access units in the program stream');
  const step = 90000 / (o.fps ?? 25);
  const max = o.maxPayload ?? 1400;
  const pt = o.payloadType ?? 96;
  // PS offset of each picture's first byte, and its timestamp
  const cuts: number[] = [];
  const stamps: number[] = [];
  let k = 0;
  const usedPts = new Set<EsPiece>();
  let keyframes = 0;
  for (let n = 0; n < aus.length; n++) {
    const at = aus[n];
    while (k + 1 < pieces.length && pieces[k + 1].esOffset <= at) k++;
    const p = pieces[k];
    const inPiece = at - p.esOffset;
    cuts.push(n === 0 ? 0 : inPiece === 0 ? p.cutBefore : p.psOffset + inPiece);
    let ts: number;
    if (p.pts !== undefined && !usedPts.has(p)) {
      ts = p.pts;
      usedPts.add(p);
    } else ts = n === 0 ? 0 : stamps[n - 1] + step;
    stamps.push(ts);
    // a picture is a keyframe when an IDR slice is among its first units
    const end = n + 1 < aus.length ? aus[n + 1] : es.length;
    for (let i = es.indexOf(START, at); i >= 0 && i < end; i = es.indexOf(START, i + 3)) {
      const t = es[i + 3] & 0x1f;
      if (t === 5) {
        keyframes++;
        break;
      }
      if (t === 1) break;
    }
  }
  const packets: { time: number; data: Buffer }[] = [];
  let seq = o.firstSeq ?? 1000;
  for (let n = 0; n < cuts.length; n++) {
    const from = cuts[n];
    const to = n + 1 < cuts.length ? cuts[n + 1] : ps.length;
    const time = (stamps[n] - stamps[0]) / 90000;
    let j = 0;
    for (let off = from; off < to; off += max) {
      const last = off + max >= to;
      const payload = ps.subarray(off, Math.min(to, off + max));
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = (last ? 0x80 : 0) | pt;
      h.writeUInt16BE(seq & 0xffff, 2);
      h.writeUInt32BE(stamps[n] % 2 ** 32, 4);
      h.writeUInt32BE(o.ssrc >>> 0, 8);
      seq++;
      packets.push({ time: time + j++ * 0.0001, data: Buffer.concat([h, payload]) });
    }
  }
  return { packets, pictures: cuts.length, keyframes, rtpPackets: packets.length, firstTs: stamps[0], lastTs: stamps[stamps.length - 1] };
}

function ipChecksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * A libpcap file (LINKTYPE_ETHERNET; sipp 3.6 reads Ethernet, Linux SLL and 802.11, not LINKTYPE_RAW) of UDP/IPv4
 * datagrams. sipp rewrites the addresses and ports when it plays them, so these only need to be consistent.
 */
export function writePcap(datagrams: { time: number; data: Buffer }[], o: { srcPort?: number; dstPort?: number; startSec?: number } = {}): Buffer {
  const out: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeInt32LE(0, 8);
  g.writeUInt32LE(0, 12);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  out.push(g);
  const start = o.startSec ?? 1_700_000_000;
  let id = 1;
  for (const d of datagrams) {
    const udpLen = 8 + d.data.length;
    const frame = Buffer.alloc(14 + 20 + udpLen);
    Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]).copy(frame, 0); // dst, src MAC (locally administered)
    frame.writeUInt16BE(0x0800, 12);
    const ip = frame.subarray(14, 34);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udpLen, 2);
    ip.writeUInt16BE(id++ & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17; // UDP
    Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]).copy(ip, 12);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    frame.writeUInt16BE(o.srcPort ?? 40000, 34);
    frame.writeUInt16BE(o.dstPort ?? 30000, 36);
    frame.writeUInt16BE(udpLen, 38);
    frame.writeUInt16BE(0, 40); // no checksum: sipp computes it when sending
    d.data.copy(frame, 42);
    const r = Buffer.alloc(16);
    const usec = Math.round(d.time * 1e6);
    r.writeUInt32LE(start + Math.floor(usec / 1e6), 0);
    r.writeUInt32LE(usec % 1e6, 4);
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(frame.length, 12);
    out.push(r, frame);
  }
  return Buffer.concat(out);
}
