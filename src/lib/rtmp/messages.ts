/**
 * RTMP message types (Adobe RTMP spec 1.0 §5.4, §6.2, §7.1) and the protocol control / user control messages a
 * server sends. Protocol control messages go on chunk stream 2, message stream 0, timestamp 0 (§5.4).
 */
import { type RtmpMessage, MSG_ABORT, MSG_SET_CHUNK_SIZE } from './chunk.js';
import { RtmpProtocolError } from './errors.js';

export const MessageType = {
  SET_CHUNK_SIZE: MSG_SET_CHUNK_SIZE,
  ABORT: MSG_ABORT,
  ACKNOWLEDGEMENT: 3,
  USER_CONTROL: 4,
  WINDOW_ACK_SIZE: 5,
  SET_PEER_BANDWIDTH: 6,
  AUDIO: 8,
  VIDEO: 9,
  DATA_AMF3: 15,
  SHARED_OBJECT_AMF3: 16,
  COMMAND_AMF3: 17,
  DATA_AMF0: 18,
  SHARED_OBJECT_AMF0: 19,
  COMMAND_AMF0: 20,
  AGGREGATE: 22,
} as const;

/** User Control event types (§6.2, §7.1.7). */
export const UserControl = {
  STREAM_BEGIN: 0,
  STREAM_EOF: 1,
  STREAM_DRY: 2,
  SET_BUFFER_LENGTH: 3,
  STREAM_IS_RECORDED: 4,
  PING_REQUEST: 6,
  PING_RESPONSE: 7,
} as const;

/** Set Peer Bandwidth limit types (§5.4.5) */
export const BandwidthLimit = { HARD: 0, SOFT: 1, DYNAMIC: 2 } as const;

export const PROTOCOL_CSID = 2;

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

function control(type: number, payload: Buffer): RtmpMessage {
  return { csid: PROTOCOL_CSID, type, streamId: 0, timestamp: 0, payload };
}

/** §5.4.1: 31-bit chunk size */
export function setChunkSizeMessage(size: number): RtmpMessage {
  return control(MessageType.SET_CHUNK_SIZE, u32(size & 0x7fffffff));
}

/** §5.4.2 */
export function abortMessage(csid: number): RtmpMessage {
  return control(MessageType.ABORT, u32(csid));
}

/** §5.4.3: bytes received so far (modulo 2^32) */
export function acknowledgementMessage(sequence: number): RtmpMessage {
  return control(MessageType.ACKNOWLEDGEMENT, u32(sequence));
}

/** §5.4.4 */
export function windowAckSizeMessage(size: number): RtmpMessage {
  return control(MessageType.WINDOW_ACK_SIZE, u32(size));
}

/** §5.4.5 */
export function setPeerBandwidthMessage(size: number, limit: number = BandwidthLimit.DYNAMIC): RtmpMessage {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(size >>> 0, 0);
  b[4] = limit;
  return control(MessageType.SET_PEER_BANDWIDTH, b);
}

/** §6.2 / §7.1.7: event type (2 bytes) + event data (one u32; SetBufferLength has two). */
export function userControlMessage(event: number, value: number, extra?: number): RtmpMessage {
  const b = Buffer.allocUnsafe(extra === undefined ? 6 : 10);
  b.writeUInt16BE(event, 0);
  b.writeUInt32BE(value >>> 0, 2);
  if (extra !== undefined) b.writeUInt32BE(extra >>> 0, 6);
  return control(MessageType.USER_CONTROL, b);
}

export interface UserControlEvent {
  event: number;
  value: number;
  extra?: number;
}

export function parseUserControl(payload: Buffer): UserControlEvent {
  if (payload.length < 6) throw new RtmpProtocolError('short User Control message');
  return {
    event: payload.readUInt16BE(0),
    value: payload.readUInt32BE(2),
    extra: payload.length >= 10 ? payload.readUInt32BE(6) : undefined,
  };
}

/** The u32 of Set Chunk Size / Abort / Acknowledgement / Window Acknowledgement Size / Set Peer Bandwidth. */
export function readControlValue(payload: Buffer): number {
  if (payload.length < 4) throw new RtmpProtocolError('short protocol control message');
  return payload.readUInt32BE(0);
}

/**
 * Aggregate message (§7.1.6): sub-messages laid out like FLV tags (type 1, length 3, timestamp 3 + extended 1,
 * stream id 3, body, back pointer 4). Sub-message timestamps are shifted so the first one gets the aggregate's.
 */
export function splitAggregate(m: RtmpMessage): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  const b = m.payload;
  let o = 0;
  let base: number | undefined;
  while (o + 11 <= b.length) {
    const type = b[o];
    const len = b.readUIntBE(o + 1, 3);
    const ts = (b.readUIntBE(o + 4, 3) | (b[o + 7] << 24)) >>> 0;
    if (o + 11 + len > b.length) throw new RtmpProtocolError('aggregate sub-message longer than its message');
    base ??= ts;
    out.push({ csid: m.csid, type, streamId: m.streamId, timestamp: (m.timestamp + ts - base) >>> 0, payload: b.subarray(o + 11, o + 11 + len) });
    o += 11 + len + 4;
  }
  return out;
}
