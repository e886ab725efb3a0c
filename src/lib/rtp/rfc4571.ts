/**
 * RTP (and RTCP) over a TCP byte stream: each packet is preceded by its length as a 16-bit big-endian integer.
 * RFC 4571 §2. This is what GB/T 28181-2016 TCP media (§附录 / RFC 4571 framing) carries.
 */
export interface Rfc4571FramerOptions {
  onPacket(packet: Buffer): void;
  /** packets longer than this are skipped (not delivered), keeping the framing; default 65535 (no limit) */
  maxPacket?: number;
}

/**
 * Splits the stream into packets. A packet that lies wholly inside one chunk is delivered as a view of that chunk
 * (no copy); only a packet split across chunks is copied, into a buffer of exactly its size. Memory held is at most
 * one packet (≤ 65535 bytes) plus one length byte, whatever the peer sends. Zero-length frames are skipped.
 */
export class Rfc4571Framer {
  private readonly onPacket: (packet: Buffer) => void;
  private readonly maxPacket: number;
  /** the packet being assembled across chunks, or undefined */
  private part: Buffer | undefined;
  private partFill = 0;
  /** bytes of an oversized packet still to skip */
  private skip = 0;
  /** first length byte when the 2-byte prefix itself was split; -1 when none */
  private lenHi = -1;
  /** counters for diagnostics */
  readonly stats = { packets: 0, oversized: 0, copied: 0 };

  constructor(opts: Rfc4571FramerOptions) {
    this.onPacket = opts.onPacket;
    this.maxPacket = Math.min(opts.maxPacket ?? 65_535, 65_535);
  }

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.skip) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      if (this.part) {
        const k = Math.min(this.part.length - this.partFill, n - i);
        chunk.copy(this.part, this.partFill, i, i + k);
        this.partFill += k;
        i += k;
        if (this.partFill === this.part.length) {
          const p = this.part;
          this.part = undefined;
          this.deliver(p);
        }
        continue;
      }
      let len: number;
      if (this.lenHi >= 0) {
        len = (this.lenHi << 8) | chunk[i];
        this.lenHi = -1;
        i += 1;
      } else if (i + 1 < n) {
        len = chunk.readUInt16BE(i);
        i += 2;
      } else {
        this.lenHi = chunk[i];
        i += 1;
        break;
      }
      if (len === 0) continue;
      if (len > this.maxPacket) {
        this.stats.oversized++;
        this.skip = len;
        continue;
      }
      if (i + len <= n) {
        this.deliver(chunk.subarray(i, i + len));
        i += len;
      } else {
        this.part = Buffer.allocUnsafe(len);
        this.partFill = n - i;
        chunk.copy(this.part, 0, i, n);
        this.stats.copied++;
        i = n;
      }
    }
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return (this.part ? this.partFill : 0) + (this.lenHi >= 0 ? 1 : 0);
  }

  /** Drops any partial packet (connection reset). */
  reset(): void {
    this.part = undefined;
    this.partFill = 0;
    this.skip = 0;
    this.lenHi = -1;
  }

  private deliver(p: Buffer): void {
    this.stats.packets++;
    this.onPacket(p);
  }
}

/** Prefixes a packet with its 16-bit length (RFC 4571 §2). Throws for packets over 65535 bytes. */
export function frame4571(packet: Buffer): Buffer {
  if (packet.length > 65_535) throw new RangeError(`RFC 4571 packet too long (${packet.length} bytes)`);
  const out = Buffer.allocUnsafe(2 + packet.length);
  out.writeUInt16BE(packet.length, 0);
  packet.copy(out, 2);
  return out;
}
