import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';

// A hand-written TCP peer (raw bytes, none of our SIP code): it answers the REGISTER with 200 and, in the same
// write, asks for the Catalog — what a busy platform's socket delivers in one read. The simulated device must
// answer the query although the 200 and the query reach it in one chunk (a bug once dropped the answer).

const header = (msg: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(msg)?.[1]?.trim() ?? '';

test('sim over TCP answers a Catalog query that arrives in the same read as the 200 to REGISTER', { timeout: 20_000 }, async () => {
  const received: string[] = [];
  let sock: net.Socket | undefined;
  let gotAnswer!: (m: string) => void;
  const answer = new Promise<string>((r) => (gotAnswer = r));
  const server = net.createServer((s) => {
    sock = s;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(header(buf.slice(0, end), 'Content-Length') || 0);
        if (buf.length < end + 4 + len) return;
        const msg = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        received.push(msg);
        const first = msg.split('\r\n')[0];
        const echo = ['Via', 'From', 'To', 'Call-ID', 'CSeq'].map((h) => `${h}: ${header(msg, h)}${h === 'To' ? ';tag=raw1' : ''}`).join('\r\n');
        if (first.startsWith('REGISTER')) {
          const dev = /sip:(\d{20})@/.exec(header(msg, 'From'))![1];
          const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>7</SN>\r\n<DeviceID>${dev}</DeviceID>\r\n</Query>\r\n`;
          const ok = `SIP/2.0 200 OK\r\n${echo}\r\nExpires: 3600\r\nDate: 2026-11-26T08:00:00.000\r\nContent-Length: 0\r\n\r\n`;
          const query = `MESSAGE sip:${dev}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${(server.address() as net.AddressInfo).port};branch=z9hG4bKraw7\r\nFrom: <sip:35020000002000000001@3502000000>;tag=rawf\r\nTo: <sip:${dev}@3502000000>\r\nCall-ID: raw-query-7\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: Application/MANSCDP+xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
          s.write(ok + query); // one write: one read on the device's side
        } else if (first.startsWith('MESSAGE')) {
          s.write(`SIP/2.0 200 OK\r\n${echo}\r\nContent-Length: 0\r\n\r\n`);
          if (/<CmdType>Catalog<\/CmdType>/.test(msg) && /<SN>7<\/SN>/.test(msg)) gotAnswer(msg);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const sim = new Simulator({ server: `127.0.0.1:${port}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 2, transport: 'tcp', keepalive: 3600, log: createLogger('silent') } as never);
  try {
    await sim.start();
    let timer: NodeJS.Timeout | undefined;
    const m = await Promise.race([answer, new Promise<string>((_r, j) => (timer = setTimeout(() => j(new Error(`no Catalog answer; got ${received.map((x) => x.split('\r\n')[0]).join(' | ')}`)), 8000)))]);
    clearTimeout(timer); // a pending timer keeps the test process alive for its 8 s
    assert.match(m, /<Response>/);
    assert.match(m, /<SumNum>2<\/SumNum>/);
    assert.equal((m.match(/<Item>/g) ?? []).length, 2);
  } finally {
    await sim.stop(1000).catch(() => undefined);
    sock?.destroy();
    server.close();
  }
});
