/**
 * Issue 13 proof: 1 control + 2 media processes (`tsx src/main.ts` with SHARPEYE_ROLE) against the machine's
 * PostgreSQL, NATS and Redis (a cluster name of its own keeps the run apart), GB/T 28181 devices from the simulator
 * in its own process, media read by ffprobe. Checks: 40 live streams spread over both media nodes by the load score;
 * 50 viewers of one stream with a low egress limit get a relay on the other node, released when they leave; a media
 * node killed with SIGKILL has its streams playing again from the other node within 10 s; nonsense load reports and
 * a node with a clock 10 minutes off are flagged, not trusted.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { connect } from 'nats';
import { freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { ROOT, clusterKey, clusterName, freeTcpUdpPort, startNode, type NodeProcess } from '../helpers/cluster.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'Admin@12345';
const DEVICES = 4;
const PER_DEVICE = 10;

describe('cluster: 1 control + 2 media nodes on PostgreSQL, NATS and Redis', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let dir: string;
  let control: NodeProcess;
  const media: NodeProcess[] = [];
  let sim: ChildProcess | undefined;
  let auth: Record<string, string>;
  let channels: string[] = [];
  const name = clusterName();
  const common: Record<string, string> = {};
  const base = () => `http://127.0.0.1:${control.httpPort}/api/v1`;
  const api = async (method: string, url: string, body?: unknown) => {
    const r = await fetch(`${base()}${url}`, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  };
  const live = async (ch: string) => {
    const r = await api('POST', `/channels/${ch}/live`, {});
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as { flv: string };
  };
  const portOf = (url: string) => Number(new URL(url).port);
  const nodeOfPort = (port: number) => media.find((m) => m.httpPort === port)?.name ?? `port ${port}`;
  const nodes = async () => (await api('GET', '/nodes')).json.items as Array<{ id: string; role: string; online: boolean; streams: number; viewers: number; warning?: string; load?: { egressKbps: number } }>;

  before(async () => {
    db = await freshDatabase('postgres');
    dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-cluster-'));
    Object.assign(common, {
      SHARPEYE_DATABASE_URL: db.url,
      SHARPEYE_NATS_URL: 'nats://127.0.0.1:4222',
      SHARPEYE_REDIS_URL: 'redis://127.0.0.1:6379',
      SHARPEYE_SECRET_KEY: clusterKey(),
      SHARPEYE_CLUSTER_NAME: name,
      SHARPEYE_ADMIN_PASSWORD: PASSWORD,
      SHARPEYE_STREAM_LINGER: '4',
    });
    const sipPort = await freeTcpUdpPort();
    control = await startNode('c1', { ...common, SHARPEYE_ROLE: 'control', SHARPEYE_SIP_PORT: String(sipPort) });
    // a low egress limit: 50 viewers of a ~300 kb/s stream are far beyond it
    const mediaEnv = (lo: number) => ({ ...common, SHARPEYE_ROLE: 'media', SHARPEYE_RTP_PORT_RANGE: `${lo}-${lo + 399}`, SHARPEYE_MEDIA_MAX_EGRESS_KBPS: '3000' });
    media.push(...(await Promise.all([startNode('m1', mediaEnv(40000)), startNode('m2', mediaEnv(40400))])));
    const login = await fetch(`${base()}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    auth = { authorization: `Bearer ${(await login.json()).token}` };

    const clip = path.join(dir, 'clip.h264');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-b:v', '300k', '-pix_fmt', 'yuv420p', clip]);
    sim = spawn(process.execPath, ['bin/sharpeye-sim.mjs', '--server', `127.0.0.1:${sipPort}`, '--server-id', '35020000002000000001', '--domain', '3502000000', '--password', '12345678', '--devices', String(DEVICES), '--channels-per-device', String(PER_DEVICE), '--media', clip, '--local-host', '127.0.0.1'], { cwd: ROOT, stdio: 'ignore' });
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const r = await api('GET', '/channels?pageSize=1000&online=true');
      channels = (r.json?.items ?? []).map((c: { id: string }) => c.id).sort();
      if (channels.length === DEVICES * PER_DEVICE) break;
      await sleep(500);
    }
    assert.equal(channels.length, DEVICES * PER_DEVICE, 'all simulated channels catalogued');
    // both media nodes reporting
    const until2 = Date.now() + 15_000;
    while (Date.now() < until2 && (await nodes()).filter((n) => n.role === 'media' && n.online).length < 2) await sleep(300);
  });

  after(async () => {
    sim?.kill('SIGKILL');
    // SIGTERM, but no long wait: a media node has been seen to take > 8 s to stop (nothing here checks its shutdown)
    await Promise.all([control, ...media].filter(Boolean).map((n) => n.kill('SIGTERM', 2000)));
    await db?.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the control and both media nodes with live load', async () => {
    const list = await nodes();
    assert.deepEqual(list.map((n) => `${n.id}:${n.role}:${n.online}`).sort(), ['c1:control:true', 'm1:media:true', 'm2:media:true']);
    assert.ok(list.find((n) => n.id === 'm1')!.load, 'media nodes report load');
  });

  it('spreads 40 live streams over both media nodes by the load score', async () => {
    const count = new Map<string, number>();
    const queue = [...channels];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let ch = queue.shift(); ch; ch = queue.shift()) {
          const n = nodeOfPort(portOf((await live(ch)).flv));
          count.set(n, (count.get(n) ?? 0) + 1);
        }
      }),
    );
    console.log(`# 40 streams placed: m1 ${count.get('m1') ?? 0}, m2 ${count.get('m2') ?? 0}`);
    assert.ok((count.get('m1') ?? 0) >= 10 && (count.get('m2') ?? 0) >= 10, `spread ${JSON.stringify([...count])}`);
  });

  it('relays a stream whose viewers exceed the origin egress, and releases the relay when they leave', async () => {
    const ch = channels[0];
    const viewers: AbortController[] = [];
    const received = new Map<number, number>();
    const hosts = new Map<string, number>();
    let relayUrl: string | undefined;
    let origin: string | undefined;
    for (let i = 0; i < 50; i++) {
      const { flv } = await live(ch);
      const n = nodeOfPort(portOf(flv));
      origin ??= n;
      if (n !== origin) relayUrl ??= flv;
      hosts.set(n, (hosts.get(n) ?? 0) + 1);
      const ac = new AbortController();
      viewers.push(ac);
      const idx = i;
      void fetch(flv, { signal: ac.signal })
        .then(async (r) => {
          for await (const chunk of r.body!) received.set(idx, (received.get(idx) ?? 0) + (chunk as Uint8Array).length);
        })
        .catch(() => undefined);
      await sleep(60);
    }
    console.log(`# 50 viewers of one stream: ${JSON.stringify([...hosts])} (origin ${origin})`);
    assert.ok(relayUrl, 'some viewers were sent to a relay on the other node');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rw_timeout', '8000000', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', relayUrl!], { timeout: 20_000 });
    assert.match(stdout, /h264/, 'the relay serves the stream');
    await sleep(1500);
    assert.ok([...received.values()].filter((b) => b > 0).length >= 45, 'viewers on origin and relay receive video');
    for (const v of viewers) v.abort();
    const until = Date.now() + 20_000;
    let list = await nodes();
    while (Date.now() < until && list.some((n) => n.role === 'media' && n.streams > 0)) {
      await sleep(500);
      list = await nodes();
    }
    assert.deepEqual(list.filter((n) => n.role === 'media').map((n) => n.streams), [0, 0], 'relay and origin released after the viewers left');
  });

  it('plays a killed media node’s streams again from the other node within 10 s', async () => {
    // viewers on a few channels so each node holds some
    const watch = channels.slice(1, 7);
    const acs: AbortController[] = [];
    const where = new Map<string, string>();
    for (const ch of watch) {
      const { flv } = await live(ch);
      where.set(ch, nodeOfPort(portOf(flv)));
      const ac = new AbortController();
      acs.push(ac);
      void fetch(flv, { signal: ac.signal }).then(async (r) => { for await (const _ of r.body!) void _; }).catch(() => undefined);
    }
    const victim = media.find((m) => [...where.values()].includes(m.name))!;
    const survivor = media.find((m) => m !== victim)!;
    const moved = [...where].filter(([, n]) => n === victim.name).map(([ch]) => ch);
    const t0 = Date.now();
    await victim.kill('SIGKILL');
    // every moved channel polled at once, as its players would: ask the API again, play the new URL
    const times = await Promise.all(
      moved.map(async (ch) => {
        while (Date.now() - t0 < 20_000) {
          const r = await api('POST', `/channels/${ch}/live`, {});
          if (r.status === 200 && portOf(r.json.flv) === survivor.httpPort) {
            const ok = await run('ffprobe', ['-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', r.json.flv], { timeout: 10_000 }).then((x) => /h264/.test(x.stdout), () => false);
            if (ok) return Date.now() - t0;
          }
          await sleep(300);
        }
        console.log(control.log().split('\n').filter((l) => /"component":"(cluster|live)"/.test(l)).slice(-40).join('\n'));
        assert.fail(`channel ${ch} not playing again from ${survivor.name}`);
      }),
    );
    for (const ac of acs) ac.abort();
    console.log(`# failover of ${moved.length} streams after SIGKILL of ${victim.name}: playing again after ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s`);
    assert.ok(Math.max(...times) < 10_000, `failover within 10 s (${times.join(', ')} ms)`);
    const list = await nodes();
    assert.equal(list.find((n) => n.id === victim.name)?.online, false, 'the killed node is listed down');
  });

  it('flags a node reporting nonsense load or a clock 10 minutes off, and never places streams on it', async () => {
    const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    const enc = new TextEncoder();
    const report = (id: string, at: string, load: Record<string, unknown>) =>
      enc.encode(JSON.stringify({ id, role: 'media', online: true, startedAt: at, lastSeen: at, addresses: { http: 'http://127.0.0.1:9', rtsp: '127.0.0.1:9' }, limits: { maxEgressKbps: 0, maxStreams: 0 }, load: { at, streams: 0, viewers: 0, ingressKbps: 0, egressKbps: 0, cpu: 0, cores: 2, memRssMb: 1, rtpPortsFree: 100, rtpPortsTotal: 100, disks: [], ...load } }));
    const skewed = new Date(Date.now() + 10 * 60_000).toISOString();
    for (let i = 0; i < 3; i++) {
      nc.publish(`${name}.nodes.report`, report('bogus', new Date().toISOString(), { streams: -5, cpu: Number.NaN }));
      nc.publish(`${name}.nodes.report`, report('skewed', skewed, {}));
      await sleep(300);
    }
    await nc.flush();
    const list = await nodes();
    const bogus = list.find((n) => n.id === 'bogus');
    const sk = list.find((n) => n.id === 'skewed');
    assert.ok(bogus?.warning && !bogus.load, `nonsense report flagged: ${JSON.stringify(bogus)}`);
    assert.match(sk?.warning ?? '', /clock off by (599|600) s/);
    await nc.close();
  });
});
