import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { discover } from '../../src/onvif/discovery.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/onvif/', import.meta.url));
const HIK = readFileSync(`${FIXTURES}hikvision/ProbeMatches.xml`);
const DAHUA = readFileSync(`${FIXTURES}dahua/ProbeMatches.xml`);
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false });

/** A fake responder on 127.0.0.1 (multicast is not available here): answers each Probe with the recorded datagrams. */
async function responder(t: TestContext, answers: Buffer[]) {
  const probes: { action: string; types: string; messageId: string }[] = [];
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const env = parser.parse(msg.toString('utf8')).Envelope;
    probes.push({ action: env.Header.Action['#text'], types: env.Body.Probe.Types, messageId: env.Header.MessageID });
    for (const a of answers) sock.send(a, rinfo.port, rinfo.address);
    sock.send(Buffer.from('garbage <not xml'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.after(() => sock.close());
  return { port: (sock.address() as AddressInfo).port, probes };
}

test('discover: Probes for NVT and Device, ProbeMatches of two vendors merged per endpoint', async (t) => {
  const r = await responder(t, [HIK, DAHUA]);
  const found = await discover({ address: '127.0.0.1', port: r.port, timeoutMs: 400 });
  assert.deepEqual(
    r.probes.map((p) => [p.action, p.types]),
    [
      ['http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe', 'dn:NetworkVideoTransmitter'],
      ['http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe', 'tds:Device'],
      ['http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe', 'dn:NetworkVideoTransmitter'],
      ['http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe', 'tds:Device'],
    ],
  );
  assert.equal(new Set(r.probes.map((p) => p.messageId)).size, 2, 'a repeated Probe keeps its MessageID');
  assert.deepEqual(found, [
    {
      xaddrs: ['http://192.168.1.64/onvif/device_service', 'http://[fe80::c256:e3ff:fea1:b2c3]/onvif/device_service'],
      scopes: [
        'onvif://www.onvif.org/type/video_encoder',
        'onvif://www.onvif.org/Profile/Streaming',
        'onvif://www.onvif.org/Profile/G',
        'onvif://www.onvif.org/Profile/T',
        'onvif://www.onvif.org/type/audio_encoder',
        'onvif://www.onvif.org/type/ptz',
        'onvif://www.onvif.org/hardware/DS-2DE2A404IW-DE3',
        'onvif://www.onvif.org/name/HIKVISION%20DS-2DE2A404IW-DE3',
        'onvif://www.onvif.org/location/city/hangzhou',
      ],
      types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
      endpoint: 'urn:uuid:a1b2c3d4-e5f6-11ee-8c90-c056e3a1b2c3',
      from: '127.0.0.1',
      name: 'HIKVISION DS-2DE2A404IW-DE3',
      hardware: 'DS-2DE2A404IW-DE3',
    },
    {
      xaddrs: ['http://192.168.1.108/onvif/device_service'],
      scopes: [
        'onvif://www.onvif.org/location/country/china',
        'onvif://www.onvif.org/name/Dahua',
        'onvif://www.onvif.org/hardware/DH-SD49225XA-HNR',
        'onvif://www.onvif.org/Profile/Streaming',
        'onvif://www.onvif.org/type/Network_Video_Transmitter',
        'onvif://www.onvif.org/extension/unique_identifier/1',
        'onvif://www.onvif.org/Profile/T',
      ],
      types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
      endpoint: 'uuid:7c9e1f2a-83d4-4b6e-a5f0-0012f1e3d4c5',
      from: '127.0.0.1',
      name: 'Dahua',
      hardware: 'DH-SD49225XA-HNR',
    },
  ]);
});

test('discover: nothing answers → [] after the timeout', async () => {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  s.close();
  const started = Date.now();
  assert.deepEqual(await discover({ address: '127.0.0.1', port, timeoutMs: 150, repeat: 1 }), []);
  assert.ok(Date.now() - started >= 140);
});

test('discover: default target is 239.255.255.250:3702 with TTL 1 on the chosen interface; the socket is closed', async () => {
  const sent: { port: number; address: string; xml: string }[] = [];
  const calls: string[] = [];
  const fake = Object.assign(new EventEmitter(), {
    bind(opts: { port: number; address?: string }, cb: () => void) {
      calls.push(`bind ${opts.port} ${opts.address ?? '*'}`);
      setImmediate(cb);
    },
    setMulticastInterface(a: string) {
      calls.push(`if ${a}`);
    },
    setMulticastTTL(n: number) {
      calls.push(`ttl ${n}`);
    },
    send(msg: Buffer, port: number, address: string, cb?: () => void) {
      sent.push({ port, address, xml: msg.toString('utf8') });
      cb?.();
      if (sent.length === 1) setImmediate(() => fake.emit('message', HIK, { address: '192.168.1.64', port: 3702, family: 'IPv4', size: HIK.length }));
    },
    close() {
      calls.push('close');
    },
  });
  const found = await discover({ timeoutMs: 100, interfaceAddress: '192.168.1.10', repeat: 1, socketFactory: () => fake as unknown as Socket });
  assert.deepEqual(calls, ['bind 0 192.168.1.10', 'if 192.168.1.10', 'ttl 1', 'close']);
  assert.deepEqual(sent.map((s) => `${s.address}:${s.port}`), ['239.255.255.250:3702', '239.255.255.250:3702']);
  assert.equal(found.length, 1);
  assert.equal(found[0].from, '192.168.1.64');
  // The answering address first, then the IPv6 one.
  assert.deepEqual(found[0].xaddrs, ['http://192.168.1.64/onvif/device_service', 'http://[fe80::c256:e3ff:fea1:b2c3]/onvif/device_service']);
});

test('discover: a socket that cannot bind rejects', async () => {
  await assert.rejects(discover({ interfaceAddress: '203.0.113.77', timeoutMs: 100 }), (e: NodeJS.ErrnoException) => e.code === 'EADDRNOTAVAIL');
});
