import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAmf0 } from '../../../src/lib/flv/index.js';
import {
  acknowledgementMessage,
  ChunkReader,
  ChunkWriter,
  commandMessage,
  decodeCommand,
  decodeData,
  encodeCommand,
  MessageType,
  onStatusMessage,
  parseUserControl,
  RtmpProtocolError,
  setPeerBandwidthMessage,
  splitAggregate,
  statusInfo,
  UserControl,
  userControlMessage,
  windowAckSizeMessage,
  setChunkSizeMessage,
} from '../../../src/lib/rtmp/index.js';

test('AMF0 command encoding: exact bytes of _result(2, null, 1)', () => {
  const b = encodeCommand('_result', 2, null, 1);
  const want = Buffer.concat([
    Buffer.from([0x02, 0x00, 0x07]),
    Buffer.from('_result'),
    Buffer.from([0x00, 0x40, 0x00, 0, 0, 0, 0, 0, 0]), // number 2.0
    Buffer.from([0x05]), // null
    Buffer.from([0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]), // number 1.0
  ]);
  assert.ok(b.equals(want), b.toString('hex'));
  assert.deepEqual(decodeCommand(b), { name: '_result', transactionId: 2, object: null, args: [1] });
});

test('connect / publish commands round trip; AMF3 command messages (type 17) start with a 0 byte', () => {
  const connect = encodeCommand('connect', 1, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)', tcUrl: 'rtmp://127.0.0.1:1935/live' });
  const c = decodeCommand(connect);
  assert.equal(c.name, 'connect');
  assert.equal(c.transactionId, 1);
  assert.deepEqual(c.object, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)', tcUrl: 'rtmp://127.0.0.1:1935/live' });
  const publish = decodeCommand(Buffer.concat([Buffer.from([0]), encodeCommand('publish', 5, null, '3402?key=K', 'live')]), true);
  assert.deepEqual(publish, { name: 'publish', transactionId: 5, object: null, args: ['3402?key=K', 'live'] });
  assert.throws(() => decodeCommand(encodeAmf0(1, 2)), RtmpProtocolError, 'no name');
  assert.throws(() => decodeCommand(Buffer.from([0x02, 0x00, 0x09, 0x61])), RtmpProtocolError, 'truncated');
  assert.throws(() => decodeCommand(Buffer.from([0x11, 0x00])), RtmpProtocolError, 'AMF3 marker in AMF0');
});

test('onStatus / _result messages: chunk stream, message stream, type', () => {
  const m = onStatusMessage(1, statusInfo('status', 'NetStream.Publish.Start', 'x is now published.', { details: 'x' }));
  assert.equal(m.type, MessageType.COMMAND_AMF0);
  assert.equal(m.streamId, 1);
  assert.equal(m.csid, 5);
  assert.deepEqual(decodeCommand(m.payload), {
    name: 'onStatus',
    transactionId: 0,
    object: null,
    args: [{ level: 'status', code: 'NetStream.Publish.Start', description: 'x is now published.', details: 'x' }],
  });
  const r = commandMessage(0, '_result', 4, null, 1);
  assert.equal(r.csid, 3);
  assert.equal(r.streamId, 0);
});

test('data messages: @setDataFrame onMetaData with an ECMA array', () => {
  const payload = Buffer.concat([encodeAmf0('@setDataFrame', 'onMetaData'), Buffer.from([0x08, 0, 0, 0, 1]), encodeAmf0('width').subarray(1), encodeAmf0(640), Buffer.from([0, 0, 9])]);
  assert.deepEqual(decodeData(payload), ['@setDataFrame', 'onMetaData', { width: 640 }]);
});

test('protocol control and user control messages (bytes per §5.4, §6.2)', () => {
  assert.deepEqual([...setChunkSizeMessage(4096).payload], [0, 0, 0x10, 0]);
  assert.deepEqual([...acknowledgementMessage(0x1_0000_0005 % 0x1_0000_0000).payload], [0, 0, 0, 5]);
  assert.deepEqual([...windowAckSizeMessage(2_500_000).payload], [0, 0x26, 0x25, 0xa0]);
  assert.deepEqual([...setPeerBandwidthMessage(2_500_000).payload], [0, 0x26, 0x25, 0xa0, 2]);
  const ping = userControlMessage(UserControl.PING_REQUEST, 123456);
  assert.equal(ping.csid, 2);
  assert.equal(ping.streamId, 0);
  assert.deepEqual(parseUserControl(ping.payload), { event: 6, value: 123456, extra: undefined });
  assert.deepEqual(parseUserControl(userControlMessage(UserControl.SET_BUFFER_LENGTH, 1, 3000).payload), { event: 3, value: 1, extra: 3000 });
  assert.throws(() => parseUserControl(Buffer.alloc(3)), RtmpProtocolError);
  // through the chunk layer
  const w = new ChunkWriter();
  const got = new ChunkReader().push(Buffer.concat([w.write(windowAckSizeMessage(5000)), w.write(ping)]));
  assert.deepEqual(got.map((m) => [m.csid, m.type, m.streamId]), [[2, 5, 0], [2, 4, 0]]);
});

test('aggregate message: FLV-tag-like sub-messages, timestamps shifted onto the aggregate', () => {
  const sub = (type: number, ts: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    const back = Buffer.alloc(4);
    back.writeUInt32BE(11 + body.length);
    return Buffer.concat([h, body, back]);
  };
  const payload = Buffer.concat([sub(9, 5000, Buffer.from('video')), sub(8, 5023, Buffer.from('au')), sub(9, 5040, Buffer.from('v2'))]);
  const parts = splitAggregate({ csid: 6, type: 22, streamId: 1, timestamp: 100, payload });
  assert.deepEqual(parts.map((p) => [p.type, p.timestamp, p.payload.toString(), p.streamId]), [
    [9, 100, 'video', 1],
    [8, 123, 'au', 1],
    [9, 140, 'v2', 1],
  ]);
  assert.throws(() => splitAggregate({ csid: 6, type: 22, streamId: 1, timestamp: 0, payload: payload.subarray(0, 14) }), RtmpProtocolError);
});
