import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientHandshake, HANDSHAKE_SIZE, RtmpProtocolError, ServerHandshake } from '../../../src/lib/rtmp/index.js';

test('simple handshake: C0+C1 → S0+S1+S2, C2 completes it; bytes after C2 are the chunk stream', () => {
  let clock = 1000;
  const server = new ServerHandshake({ now: () => clock });
  const client = new ClientHandshake({ now: () => 42 });
  const c0c1 = client.start();
  assert.equal(c0c1.length, 1 + HANDSHAKE_SIZE);
  assert.equal(c0c1[0], 3);
  // C0+C1 one byte at a time: no answer until all of C1 is in
  for (let i = 0; i < c0c1.length - 1; i++) {
    const s = server.push(c0c1.subarray(i, i + 1));
    assert.equal(s.out, undefined);
    assert.equal(s.done, false);
  }
  clock = 1234;
  const s = server.push(c0c1.subarray(c0c1.length - 1));
  assert.ok(s.out);
  assert.equal(s.out.length, 1 + 2 * HANDSHAKE_SIZE);
  assert.equal(s.out[0], 3, 'S0');
  const s1 = s.out.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = s.out.subarray(1 + HANDSHAKE_SIZE);
  assert.equal(s1.readUInt32BE(0), 1234, 'S1 time');
  assert.equal(s1.readUInt32BE(4), 0, 'S1 zero (simple handshake)');
  assert.equal(s2.readUInt32BE(0), 42, 'S2 time = C1 time');
  assert.equal(s2.readUInt32BE(4), 1234, 'S2 time2 = when C1 was read');
  assert.ok(s2.subarray(8).equals(c0c1.subarray(9)), 'S2 echoes the random bytes of C1');
  assert.equal(server.clientTime, 42);
  assert.equal(server.clientVersion, 0);

  const c = client.push(s.out);
  assert.equal(c.done, true);
  assert.equal(client.echoOk, true);
  assert.equal(client.serverVersion, 0);
  assert.ok(c.out && c.out.length === HANDSHAKE_SIZE);
  assert.ok(c.out.subarray(8).equals(s1.subarray(8)), 'C2 echoes S1');
  // C2 followed by the first chunk in the same read, split in two
  const tail = Buffer.from([0x03, 1, 2, 3]);
  const both = Buffer.concat([c.out, tail]);
  assert.equal(server.push(both.subarray(0, 700)).done, false);
  const fin = server.push(both.subarray(700));
  assert.equal(fin.done, true);
  assert.equal(fin.out, undefined);
  assert.ok(fin.rest.equals(tail));
  assert.equal(server.done, true);
  assert.ok(server.push(Buffer.from([9])).rest.equals(Buffer.from([9])), 'after the handshake everything passes through');
});

test('a digest ("complex") handshake client gets the simple answer: S1 version 0, S2 = echo of C1', () => {
  const server = new ServerHandshake();
  const client = new ClientHandshake({ version: 0x80000702 }); // what Flash-era clients put in C1 bytes 4–7
  const s = server.push(client.start());
  assert.equal(server.clientVersion, 0x80000702);
  const c = client.push(s.out!);
  assert.equal(c.done, true);
  assert.equal(client.serverVersion, 0, 'the client sees a server without digest support');
  assert.equal(client.echoOk, true);
});

test('anything but version 3 is refused at the first byte (garbage, RTMPE 6, HTTP)', () => {
  assert.throws(() => new ServerHandshake().push(Buffer.from('GET / HTTP/1.1\r\n')), RtmpProtocolError);
  assert.throws(() => new ServerHandshake().push(Buffer.from([6])), RtmpProtocolError);
  assert.throws(() => new ServerHandshake().push(Buffer.from([0])), RtmpProtocolError);
  const c = new ClientHandshake();
  c.start();
  assert.throws(() => c.push(Buffer.from([0x48])), RtmpProtocolError);
});
