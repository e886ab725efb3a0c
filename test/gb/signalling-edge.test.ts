import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { answerChallenge, parseSipMessage, SipStreamFramer, type SipResponse } from '../../src/lib/sip/index.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const DOMAIN = '3502000000';
const SRV = '35020000002000000001';

/** A raw UDP "device" for crafted and hostile messages. */
class RawDevice {
  sock = dgram.createSocket('udp4');
  inbox: SipResponse[] = [];
  requests: Buffer[] = [];
  seq = 1;
  constructor(
    readonly id: string,
    readonly server: number,
  ) {
    this.sock.on('message', (b) => {
      try {
        const m = parseSipMessage(b);
        if (m.kind === 'response') this.inbox.push(m);
        else {
          this.requests.push(b);
          // answer platform requests 200 so its transactions end
          const via = m.headers.get('via')!;
          this.raw(`SIP/2.0 200 OK\r\nVia: ${via}\r\nFrom: ${m.headers.get('from')}\r\nTo: ${m.headers.get('to')};tag=dev\r\nCall-ID: ${m.headers.get('call-id')}\r\nCSeq: ${m.headers.get('cseq')}\r\nContent-Length: 0\r\n\r\n`);
        }
      } catch {
        /* ignore */
      }
    });
  }
  async bind(): Promise<number> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.sock.unref(); // a failing test must not hang the run on an open socket
    return this.sock.address().port;
  }
  raw(text: string | Buffer): void {
    this.sock.send(typeof text === 'string' ? Buffer.from(text) : text, this.server, '127.0.0.1');
  }
  async next(timeoutMs = 2000): Promise<SipResponse | undefined> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const m = this.inbox.shift();
      if (m) return m;
      await new Promise((r) => setTimeout(r, 10));
    }
    return undefined;
  }
  request(method: string, extra: string, body = '', callId = `c${this.seq}-${this.id}`): string {
    const port = this.sock.address().port;
    const cseq = this.seq++;
    return `${method} sip:${SRV}@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK${this.id}${cseq}\r\nFrom: <sip:${this.id}@${DOMAIN}>;tag=t${cseq}\r\nTo: <sip:${SRV}@${DOMAIN}>\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }
  async register(password = '12345678'): Promise<number> {
    this.raw(this.request('REGISTER', 'Expires: 3600\r\n'));
    const c = await this.next();
    assert.equal(c?.status, 401);
    const auth = answerChallenge(c!.headers.get('www-authenticate')!, { username: this.id, password, method: 'REGISTER', uri: `sip:${SRV}@${DOMAIN}` });
    this.raw(this.request('REGISTER', `Authorization: ${auth}\r\nExpires: 3600\r\n`));
    return (await this.next())!.status;
  }
  keepalive(sn = 1): string {
    return this.request('MESSAGE', 'Content-Type: Application/MANSCDP+xml\r\n', `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`);
  }
  close() {
    this.sock.close();
  }
}

describe('signalling edge cases (bad input, spoofing, presence)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', {}, { queryTimeoutMs: 500, keepaliveInterval: 60, keepaliveMisses: 3 });
  });
  after(() => t.close());
  const dev = (id: string) => t.app.inject({ url: `/api/v1/devices/${id}`, headers: t.admin }).then((r) => r.json());

  test('keepalive → 200; offline after 3 missed keepalives; online again on the next keepalive', async () => {
    const d = new RawDevice('35020000001320000201', t.platform.sipPort);
    await d.bind();
    assert.equal(await d.register(), 200);
    d.raw(d.keepalive());
    assert.equal((await d.next())?.status, 200);
    t.clock.advance(3 * 60_000 + 5000);
    await t.platform.gb!['presence'].check();
    assert.equal((await dev(d.id)).online, false);
    const alarms = (await t.app.inject({ url: `/api/v1/logs/alarm?deviceId=${d.id}&type=device_offline`, headers: t.admin })).json();
    assert.equal(alarms.total, 1);
    d.raw(d.keepalive(2));
    assert.equal((await d.next())?.status, 200);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await dev(d.id)).online, true);
    await t.platform.gb!.journal.flush();
    const log = (await t.app.inject({ url: `/api/v1/logs/device?deviceId=${d.id}`, headers: t.admin })).json();
    assert.deepEqual(
      log.items.map((l: { event: string }) => l.event).filter((e: string) => e.startsWith('device.o')),
      ['device.online', 'device.offline', 'device.online'],
    );
    d.close();
  });

  test('a MESSAGE claiming a registered ID from another address is refused (403) and logged', async () => {
    const real = new RawDevice('35020000001320000202', t.platform.sipPort);
    await real.bind();
    assert.equal(await real.register(), 200);
    // Same ID from another origin: a TCP connection instead of the registered UDP address.
    const tcp = net.connect(t.platform.sipPort, '127.0.0.1');
    await new Promise((r) => tcp.once('connect', r));
    const framer = new SipStreamFramer();
    const got: SipResponse[] = [];
    tcp.on('error', () => undefined);
    tcp.on('data', (c) => framer.push(c).forEach((b) => got.push(parseSipMessage(b, { stream: true }) as SipResponse)));
    tcp.write(real.keepalive(9).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got[0]?.status, 403);
    tcp.destroy();
    await t.platform.gb!.journal.flush();
    const log = (await t.app.inject({ url: `/api/v1/logs/device?deviceId=${real.id}&event=message.spoofed`, headers: t.admin })).json();
    assert.equal(log.total, 1);
    real.raw(real.keepalive(10));
    assert.equal((await real.next())?.status, 200, 'the real device is unaffected');
    real.close();
  });

  test('hostile input: malformed SIP, wrong Content-Length, 64 KiB headers, bad XML, unknown commands — errors, server keeps serving', async () => {
    const d = new RawDevice('35020000001320000203', t.platform.sipPort);
    await d.bind();
    assert.equal(await d.register(), 200);
    const ka = d.keepalive(5);
    d.raw(ka.replace(/Content-Length: \d+/, 'Content-Length: 9999'));
    assert.equal((await d.next())?.status, 400, 'Content-Length beyond the datagram');
    d.raw(`MESSAGE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKh\r\nCall-ID: big\r\nCSeq: 1 MESSAGE\r\nX-Big: ${'a'.repeat(60 * 1024)}\r\n\r\n`);
    const big = await d.next(500);
    assert.ok(big === undefined || big.status === 413 || big.status === 400);
    d.raw(d.request('MESSAGE', 'Content-Type: Application/MANSCDP+xml\r\n', '<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>x</Device'));
    assert.equal((await d.next())?.status, 400, 'invalid XML');
    d.raw(d.request('MESSAGE', 'Content-Type: Application/MANSCDP+xml\r\n', `<?xml version="1.0"?><Query><CmdType>Teleport</CmdType><SN>1</SN><DeviceID>${d.id}</DeviceID></Query>`));
    assert.equal((await d.next())?.status, 200, 'unknown command: accepted, logged, ignored');
    d.raw(d.request('FOO', ''));
    assert.equal((await d.next())?.status, 501);
    d.raw('\x00\x01garbage\r\n\r\n');
    d.raw(Buffer.alloc(2000, 0xff));
    d.raw(d.keepalive(6));
    assert.equal((await d.next())?.status, 200, 'still serving after garbage');
    const health = await t.app.inject({ url: '/api/v1/health' });
    assert.equal(health.statusCode, 200);
    d.close();
  });

  test('a flood of failed REGISTERs from one address is throttled; other devices still register', async () => {
    const bad = new RawDevice('35020000001320000204', t.platform.sipPort);
    await bad.bind();
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      bad.raw(bad.request('REGISTER', 'Authorization: Digest username="35020000001320000204", realm="3502000000", nonce="bogus", uri="sip:x", response="00"\r\nExpires: 3600\r\n'));
    }
    await new Promise((r) => setTimeout(r, 300));
    answered = bad.inbox.length;
    assert.ok(answered >= 30 && answered <= 40, `answered ${answered}`);
    const good = new RawDevice('35020000001320000205', t.platform.sipPort);
    await good.bind();
    assert.equal(await good.register(), 200);
    bad.close();
    good.close();
  });

  test('SIP over TCP: register and keepalive on one connection', async () => {
    const id = '35020000001320000206';
    const sock = net.connect(t.platform.sipPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const framer = new SipStreamFramer();
    const got: SipResponse[] = [];
    sock.on('error', () => undefined);
    sock.on('data', (c) =>
      framer.push(c).forEach((b) => {
        const m = parseSipMessage(b, { stream: true });
        if (m.kind === 'response') got.push(m); // platform queries (DeviceInfo…) also arrive on this connection
      }),
    );
    const port = sock.localPort!;
    const req = (cseq: number, extra: string, method = 'REGISTER', body = '') =>
      `${method} sip:${SRV}@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${port};rport;branch=z9hG4bKtcp${cseq}\r\nFrom: <sip:${id}@${DOMAIN}>;tag=a\r\nTo: <sip:${id}@${DOMAIN}>\r\nCall-ID: tcp1\r\nCSeq: ${cseq} ${method}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const wait = async (n: number) => {
      for (let i = 0; i < 100 && got.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      return got[n - 1];
    };
    sock.write(req(1, 'Expires: 3600\r\n'));
    const c = await wait(1);
    assert.equal(c.status, 401);
    const auth = answerChallenge(c.headers.get('www-authenticate')!, { username: id, password: '12345678', method: 'REGISTER', uri: `sip:${SRV}@${DOMAIN}` });
    sock.write(req(2, `Authorization: ${auth}\r\nExpires: 3600\r\n`));
    assert.equal((await wait(2)).status, 200);
    assert.equal((await dev(id)).transport, 'tcp');
    sock.write(req(3, 'Content-Type: Application/MANSCDP+xml\r\n', 'MESSAGE', `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>3</SN><DeviceID>${id}</DeviceID><Status>OK</Status></Notify>`));
    assert.equal((await wait(3)).status, 200);
    sock.destroy();
  });

  test('PTZ and presets over REST reach the device as DeviceControl with the GB/T 28181 PTZCmd; permission and scope enforced', async () => {
    const d = new RawDevice('35020000001320000207', t.platform.sipPort);
    await d.bind();
    assert.equal(await d.register(), 200);
    const ch = '35020000001310000207';
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: t.admin, payload: { id: ch, deviceId: d.id, name: 'dome' } });
    assert.equal(created.statusCode, 201, created.body);
    await new Promise((r) => setTimeout(r, 1200)); // onboarding queries time out (this raw device never answers them)
    d.requests.length = 0;
    const left = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/ptz`, headers: t.admin, payload: { action: 'left', speed: 0x1f } });
    assert.equal(left.statusCode, 204, left.body);
    const preset = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/presets`, headers: t.admin, payload: { action: 'set', index: 1 } });
    assert.equal(preset.statusCode, 204, preset.body);
    const cruise = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/cruise`, headers: t.admin, payload: { action: 'start', group: 1 } });
    assert.equal(cruise.statusCode, 204, cruise.body);
    const bodies = d.requests.map((b) => b.toString('latin1'));
    assert.match(bodies[2], /<PTZCmd>A50F0188010000[0-9A-F]{2}<\/PTZCmd>/, 'cruise start: instruction 88H, group 1');
    assert.ok(bodies[0].includes('<CmdType>DeviceControl</CmdType>') && bodies[0].includes(`<DeviceID>${ch}</DeviceID>`), bodies[0]);
    assert.match(bodies[0], /<PTZCmd>A50F01021F0000D6<\/PTZCmd>/, 'left at speed 0x1F as published');
    assert.match(bodies[1], /<PTZCmd>A50F018100010037<\/PTZCmd>/, 'set preset 1 as published');
    const audit = (await t.app.inject({ url: `/api/v1/logs/user?action=ptz&q=${ch}`, headers: t.admin })).json();
    assert.equal(audit.total, 1);
    // an operator without ptz.control, and one who cannot see the channel
    const role = (await t.app.inject({ method: 'POST', url: '/api/v1/roles', headers: t.admin, payload: { name: 'viewer', permissions: ['live.view'], channelIds: [ch] } })).json();
    await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'viewer1', password: 'Viewer@123', roleIds: [role.id] } });
    const v = await t.login('viewer1', 'Viewer@123');
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/ptz`, headers: v, payload: { action: 'up' } })).statusCode, 403);
    const role2 = (await t.app.inject({ method: 'POST', url: '/api/v1/roles', headers: t.admin, payload: { name: 'ptz-elsewhere', permissions: ['ptz.control'], channelIds: ['35020000001310000999'] } })).json();
    await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'ptz2', password: 'Pan@Tilt123', roleIds: [role2.id] } });
    const p2 = await t.login('ptz2', 'Pan@Tilt123');
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/ptz`, headers: p2, payload: { action: 'up' } })).statusCode, 404);
    // offline device: a clear error, not a hang
    const off = await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: t.admin, payload: { id: '35020000001310000208', deviceId: '35020000001320000201', name: 'x' } });
    assert.equal(off.statusCode, 201);
    await t.platform.gb!.goOffline('35020000001320000201', 'registration expired (test)', false);
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/channels/35020000001310000208/ptz', headers: t.admin, payload: { action: 'stop' } });
    assert.equal(r.statusCode, 409);
    assert.equal(r.json().code, 'DEVICE_OFFLINE');
    d.close();
  });

  test('restart recovery: a registration that lapsed while the platform was stopped is offline, a live one stays', async () => {
    const lapsed = new RawDevice('35020000001320000209', t.platform.sipPort);
    const live = new RawDevice('35020000001320000210', t.platform.sipPort);
    await lapsed.bind();
    await live.bind();
    assert.equal(await lapsed.register(), 200);
    assert.equal(await live.register(), 200);
    const { db } = t.platform.store.database;
    await db.updateTable('devices').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', lapsed.id).execute();
    // a fresh process knows only what the database holds
    t.platform.gb!.registry.delete(lapsed.id);
    t.platform.gb!.registry.delete(live.id);
    await t.platform.gb!['presence'].restore();
    assert.ok(t.platform.gb!.registry.get(live.id), 'the live registration is restored');
    assert.equal((await dev(lapsed.id)).online, false);
    assert.equal((await dev(live.id)).online, true);
    await t.platform.gb!.journal.flush();
    const log = (await t.app.inject({ url: `/api/v1/logs/device?deviceId=${lapsed.id}&event=device.offline`, headers: t.admin })).json();
    assert.equal(log.total, 1);
    lapsed.close();
    live.close();
  });
});
