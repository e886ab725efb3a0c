/**
 * RTMP commands (Adobe RTMP spec 1.0 §7.1.1, §7.2): AMF0 values `name, transaction id, command object, args…` in a
 * command message (type 20; type 17 is the AMF3 form, a 0 byte then AMF0 values as long as no AMF3 switch is used),
 * and data messages (type 18 / 15) such as `@setDataFrame, onMetaData, {…}`.
 */
import { Amf0Error, decodeAmf0, encodeAmf0, type Amf0Object, type Amf0Value } from '../flv/amf0.js';
import type { RtmpMessage } from './chunk.js';
import { RtmpProtocolError } from './errors.js';
import { MessageType } from './messages.js';

export interface RtmpCommand {
  name: string;
  transactionId: number;
  /** the command object (null for most NetStream commands) */
  object: Amf0Value;
  args: Amf0Value[];
}

/** Chunk streams servers customarily use: NetConnection commands on 3, NetStream status on 5. */
export const COMMAND_CSID = 3;
export const STREAM_CSID = 5;

export function encodeCommand(name: string, transactionId: number, object: Amf0Value, ...args: Amf0Value[]): Buffer {
  return encodeAmf0(name, transactionId, object, ...args);
}

export function commandMessage(streamId: number, name: string, transactionId: number, object: Amf0Value, ...args: Amf0Value[]): RtmpMessage {
  return {
    csid: streamId === 0 ? COMMAND_CSID : STREAM_CSID,
    type: MessageType.COMMAND_AMF0,
    streamId,
    timestamp: 0,
    payload: encodeCommand(name, transactionId, object, ...args),
  };
}

function amfValues(payload: Buffer, amf3: boolean): Amf0Value[] {
  // AMF3 command / data messages start with a format byte 0 followed by AMF0 (§7.1.1, §7.1.2)
  const body = amf3 && payload.length > 0 && payload[0] === 0 ? payload.subarray(1) : payload;
  try {
    return decodeAmf0(body);
  } catch (e) {
    if (e instanceof Amf0Error) throw new RtmpProtocolError(`unreadable AMF: ${e.message}`);
    throw e;
  }
}

/** Decodes a command message payload (type 20, or 17 with `amf3`). Throws RtmpProtocolError. */
export function decodeCommand(payload: Buffer, amf3 = false): RtmpCommand {
  const v = amfValues(payload, amf3);
  const name = v[0];
  if (typeof name !== 'string') throw new RtmpProtocolError('command without a name');
  const tid = v[1];
  return { name, transactionId: typeof tid === 'number' && Number.isFinite(tid) ? tid : 0, object: v[2] ?? null, args: v.slice(3) };
}

/** Decodes a data message payload (type 18, or 15 with `amf3`): all its values. Throws RtmpProtocolError. */
export function decodeData(payload: Buffer, amf3 = false): Amf0Value[] {
  return amfValues(payload, amf3);
}

/** An info object of onStatus / _result / _error (§7.2.2): level, code, description. */
export function statusInfo(level: 'status' | 'error' | 'warning', code: string, description: string, extra: Amf0Object = {}): Amf0Object {
  return { level, code, description, ...extra };
}

/** `onStatus(0, null, info)` on a message stream (§7.2.2). */
export function onStatusMessage(streamId: number, info: Amf0Object): RtmpMessage {
  return commandMessage(streamId, 'onStatus', 0, null, info);
}
