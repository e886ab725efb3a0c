/**
 * RTMP chunk stream, Adobe RTMP spec 1.0 §5.3.
 *
 * Chunk = basic header (1–3 bytes: fmt 2 bits + chunk stream id; id 0 → 64 + next byte, id 1 → 64 + next two bytes
 * little endian) + message header (fmt 0: timestamp 3, length 3, type 1, stream id 4 little endian; fmt 1: timestamp
 * delta 3, length 3, type 1; fmt 2: timestamp delta 3; fmt 3: none) + extended timestamp (4, when the 24-bit field is
 * 0xFFFFFF, repeated in the fmt 3 chunks that follow such a header) + up to `chunk size` bytes of the message.
 *
 * Timestamps are 32-bit milliseconds that wrap (§5.1.2.1); deltas are added modulo 2^32. Following the spec, a fmt 3
 * chunk that starts a new message reuses the last delta, and after a fmt 0 header that delta is the fmt 0 timestamp.
 */
import { RtmpProtocolError } from './errors.js';

export interface RtmpMessage {
  /** chunk stream id (2–65599) it came on / goes out on */
  csid: number;
  /** message type id (§5.4, §7.1) */
  type: number;
  /** message stream id (0 = the NetConnection) */
  streamId: number;
  /** ms, 32-bit, wraps */
  timestamp: number;
  payload: Buffer;
}

/** Message type 1 (§5.4.1): new chunk size for what the sender sends next. */
export const MSG_SET_CHUNK_SIZE = 1;
/** Message type 2 (§5.4.2): drop the partly received message of a chunk stream. */
export const MSG_ABORT = 2;

export const DEFAULT_CHUNK_SIZE = 128;
/** The message length field is 24 bits. */
export const MAX_MESSAGE_LENGTH = 0xffffff;
const EXT = 0xffffff;
/** basic header 3 + message header 11 + extended timestamp 4 */
const MAX_HEADER = 18;
const MSG_HEADER_SIZE = [11, 7, 3, 0] as const;
const EMPTY = Buffer.alloc(0);

export interface ChunkReaderOptions {
  /** refuse (throw) messages longer than this; default 16 MiB − 1, the most the length field can say */
  maxMessageSize?: number;
  /** refuse once partly received messages of all chunk streams hold more than this; default 32 MiB */
  maxPendingBytes?: number;
  /** refuse more distinct chunk streams than this; default 64 */
  maxChunkStreams?: number;
  /** refuse Set Chunk Size above this; default 0x7FFFFFFF, the most §5.4.1 allows (a size beyond the message
   *  length costs nothing: a chunk never runs past its message) */
  maxChunkSize?: number;
}

interface InState {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** the last fmt 0/1/2 header carried an extended timestamp: fmt 3 chunks do too */
  extended: boolean;
  /** the message being received; null when none is in progress */
  pieces: Buffer[] | null;
  received: number;
}

/**
 * Splits the bytes a peer sends (after the handshake) into messages, in any split across reads. Applies Set Chunk
 * Size and Abort itself (they change how the very next chunk is read) and still returns them. Memory is bounded by
 * the options: a message is held as the received pieces (no allocation of its announced length up front).
 */
export class ChunkReader {
  private chunkSize = DEFAULT_CHUNK_SIZE;
  private readonly streams = new Map<number, InState>();
  private rest: Buffer = EMPTY;
  /** chunk stream whose chunk body is being read, and the bytes left in that chunk */
  private body: InState | undefined;
  private bodyLeft = 0;
  private bodyCsid = 0;
  private pendingBytes = 0;
  private out: RtmpMessage[] = [];
  private maxMessageSize: number;
  private maxPendingBytes: number;
  private readonly maxChunkStreams: number;
  private readonly maxChunkSize: number;

  constructor(opts: ChunkReaderOptions = {}) {
    this.maxMessageSize = Math.min(opts.maxMessageSize ?? MAX_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH);
    this.maxPendingBytes = opts.maxPendingBytes ?? 32 * 1024 * 1024;
    this.maxChunkStreams = opts.maxChunkStreams ?? 64;
    this.maxChunkSize = opts.maxChunkSize ?? 0x7fffffff;
  }

  /** Changes the size limits from the next chunk on (e.g. small before a publisher is authorized, larger after). */
  setLimits(opts: Pick<ChunkReaderOptions, 'maxMessageSize' | 'maxPendingBytes'>): void {
    if (opts.maxMessageSize !== undefined) this.maxMessageSize = Math.min(opts.maxMessageSize, MAX_MESSAGE_LENGTH);
    if (opts.maxPendingBytes !== undefined) this.maxPendingBytes = opts.maxPendingBytes;
  }

  /** the peer's current chunk size */
  get inChunkSize(): number {
    return this.chunkSize;
  }

  /** bytes of partly received messages held */
  get pending(): number {
    return this.pendingBytes + this.rest.length;
  }

  /** Feeds received bytes; returns the messages completed by them. Throws RtmpProtocolError on a broken stream. */
  push(data: Buffer): RtmpMessage[] {
    this.out = [];
    const buf = data;
    let o = 0;
    if (this.rest.length) {
      // an incomplete chunk header waits in `rest` (< 18 bytes): complete it from the start of `data`
      const head = Buffer.concat([this.rest, data.subarray(0, MAX_HEADER)]);
      const used = this.header(head);
      if (used === 0) {
        this.rest = head; // head < 18 bytes, so all of data went into it
        return this.out;
      }
      o = used - this.rest.length;
      this.rest = EMPTY;
    }
    while (o < buf.length) {
      if (this.body) {
        const st = this.body;
        const n = Math.min(this.bodyLeft, buf.length - o);
        st.pieces!.push(buf.subarray(o, o + n));
        st.received += n;
        this.pendingBytes += n;
        o += n;
        this.bodyLeft -= n;
        if (this.pendingBytes > this.maxPendingBytes) throw new RtmpProtocolError(`more than ${this.maxPendingBytes} bytes of unfinished messages`);
        if (this.bodyLeft === 0) {
          this.body = undefined;
          if (st.received === st.length) this.complete(this.bodyCsid, st);
        }
        continue;
      }
      const used = this.header(o === 0 ? buf : buf.subarray(o));
      if (used === 0) {
        this.rest = Buffer.from(buf.subarray(o)); // a copy: do not pin the whole read buffer for a few bytes
        break;
      }
      o += used;
    }
    return this.out;
  }

  /** Parses one chunk header at b[0]; returns its size, or 0 when b holds only part of it. */
  private header(b: Buffer): number {
    if (b.length < 1) return 0;
    const fmt = b[0] >> 6;
    let csid = b[0] & 0x3f;
    let o = 1;
    if (csid === 0) {
      if (b.length < 2) return 0;
      csid = 64 + b[1];
      o = 2;
    } else if (csid === 1) {
      if (b.length < 3) return 0;
      csid = 64 + b[1] + b[2] * 256;
      o = 3;
    }
    const mh = MSG_HEADER_SIZE[fmt];
    if (b.length < o + mh) return 0;
    let st = this.streams.get(csid);
    if (!st) {
      if (fmt !== 0) throw new RtmpProtocolError(`chunk stream ${csid} starts with a fmt ${fmt} header`);
      if (this.streams.size >= this.maxChunkStreams) throw new RtmpProtocolError(`more than ${this.maxChunkStreams} chunk streams`);
      st = { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, pieces: null, received: 0 };
      this.streams.set(csid, st);
    }
    const inProgress = st.pieces !== null;
    if (fmt !== 3 && inProgress) throw new RtmpProtocolError(`new message on chunk stream ${csid} before the last one was complete`);
    let tsField = 0;
    let length = st.length;
    let type = st.type;
    let streamId = st.streamId;
    if (fmt <= 2) tsField = b.readUIntBE(o, 3);
    if (fmt <= 1) {
      length = b.readUIntBE(o + 3, 3);
      type = b[o + 6];
    }
    if (fmt === 0) streamId = b.readUInt32LE(o + 7);
    o += mh;
    const extended = fmt === 3 ? st.extended : tsField === EXT;
    let ext = 0;
    if (extended) {
      if (b.length < o + 4) return 0;
      ext = b.readUInt32BE(o);
      o += 4;
    }
    // the header is complete: apply it
    if (fmt === 3 && inProgress) {
      // continuation of the message in progress (any extended timestamp repeated here is not a new value)
    } else {
      const t = extended ? ext : tsField;
      if (fmt === 0) {
        st.timestamp = t;
        st.delta = t;
      } else if (fmt === 3) {
        if (extended) st.delta = t;
        st.timestamp = (st.timestamp + st.delta) >>> 0;
      } else {
        st.delta = t;
        st.timestamp = (st.timestamp + t) >>> 0;
      }
      if (fmt !== 3) st.extended = extended;
      if (length > this.maxMessageSize) throw new RtmpProtocolError(`message of ${length} bytes exceeds the limit of ${this.maxMessageSize}`);
      st.length = length;
      st.type = type;
      st.streamId = streamId;
      st.pieces = [];
      st.received = 0;
      if (length === 0) {
        this.complete(csid, st);
        return o;
      }
    }
    this.body = st;
    this.bodyCsid = csid;
    this.bodyLeft = Math.min(this.chunkSize, st.length - st.received);
    return o;
  }

  private complete(csid: number, st: InState): void {
    const pieces = st.pieces!;
    const payload = pieces.length === 0 ? EMPTY : pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, st.length);
    this.pendingBytes -= st.received;
    st.pieces = null;
    st.received = 0;
    const m: RtmpMessage = { csid, type: st.type, streamId: st.streamId, timestamp: st.timestamp, payload };
    if (m.type === MSG_SET_CHUNK_SIZE) {
      if (payload.length < 4) throw new RtmpProtocolError('short Set Chunk Size');
      const size = payload.readUInt32BE(0) & 0x7fffffff; // §5.4.1: the top bit must be 0
      if (size < 1 || size > this.maxChunkSize) throw new RtmpProtocolError(`bad chunk size ${size}`);
      this.chunkSize = size;
    } else if (m.type === MSG_ABORT) {
      if (payload.length < 4) throw new RtmpProtocolError('short Abort message');
      const target = this.streams.get(payload.readUInt32BE(0));
      if (target && target.pieces) {
        this.pendingBytes -= target.received;
        target.pieces = null;
        target.received = 0;
      }
    }
    this.out.push(m);
  }
}

interface OutState {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
}

function basicHeader(fmt: number, csid: number): Buffer {
  if (csid >= 2 && csid <= 63) return Buffer.from([(fmt << 6) | csid]);
  if (csid >= 64 && csid <= 319) return Buffer.from([fmt << 6, csid - 64]);
  if (csid >= 320 && csid <= 65599) return Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
  throw new RangeError(`chunk stream id ${csid} out of range 2–65599`);
}

/**
 * Turns messages into chunks with the smallest header the previous message on the same chunk stream allows: fmt 0
 * for the first message, a different message stream or a timestamp going back; fmt 1 when the length or type
 * changed; fmt 2 when only the delta is new; fmt 3 when even the delta repeats.
 */
export class ChunkWriter {
  private size = DEFAULT_CHUNK_SIZE;
  private readonly streams = new Map<number, OutState>();

  get chunkSize(): number {
    return this.size;
  }

  /** Use after sending Set Chunk Size (which itself goes out in the old size). */
  setChunkSize(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) throw new RangeError(`bad chunk size ${n}`);
    this.size = n;
  }

  /** Forget a chunk stream's header state (its next message gets a fmt 0 header), e.g. after an Abort. */
  reset(csid: number): void {
    this.streams.delete(csid);
  }

  write(m: RtmpMessage): Buffer {
    const len = m.payload.length;
    if (len > MAX_MESSAGE_LENGTH) throw new RangeError(`message of ${len} bytes is longer than RTMP allows`);
    const ts = m.timestamp >>> 0;
    const prev = this.streams.get(m.csid);
    let fmt: number;
    let field: number;
    if (!prev || prev.streamId !== m.streamId || ((ts - prev.timestamp) >>> 0) > 0x7fffffff) {
      fmt = 0;
      field = ts;
    } else {
      field = (ts - prev.timestamp) >>> 0;
      fmt = prev.length === len && prev.type === m.type ? (field === prev.delta ? 3 : 2) : 1;
    }
    this.streams.set(m.csid, { timestamp: ts, delta: field, length: len, type: m.type, streamId: m.streamId });
    const extended = field >= EXT;
    const mh = MSG_HEADER_SIZE[fmt];
    const first = Buffer.alloc(mh + (extended ? 4 : 0));
    if (fmt <= 2) first.writeUIntBE(extended ? EXT : field, 0, 3);
    if (fmt <= 1) {
      first.writeUIntBE(len, 3, 3);
      first[6] = m.type;
    }
    if (fmt === 0) first.writeUInt32LE(m.streamId >>> 0, 7);
    if (extended) first.writeUInt32BE(field, mh);
    const parts: Buffer[] = [basicHeader(fmt, m.csid), first];
    let cont: Buffer | undefined;
    for (let o = 0; o < len || (o === 0 && len === 0); o += this.size) {
      if (o > 0) {
        if (!cont) {
          cont = basicHeader(3, m.csid);
          if (extended) {
            const e = Buffer.allocUnsafe(4);
            e.writeUInt32BE(field, 0);
            cont = Buffer.concat([cont, e]);
          }
        }
        parts.push(cont);
      }
      parts.push(m.payload.subarray(o, Math.min(len, o + this.size)));
      if (len === 0) break;
    }
    return Buffer.concat(parts);
  }
}
