/**
 * Issue 13 bad input: NATS and Redis restarting mid-run. Private nats-server and redis-server instances on other
 * ports (never the machine's shared ones) are stopped and started again under a control + media cluster; the running
 * stream keeps playing throughout, and the cluster recovers without operator action: new streams start over the
 * reconnected NATS, and the stream registry is written back to the restarted Redis (which keeps nothing on disk).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { ROOT, clusterKey, clusterName, freePort, freeTcpUdpPort, startNode, type NodeProcess } from '../helpers/cluster.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'Admin@12345';

function startService(cmd: string, args: string[]): ChildProcess {
  return spawn(cmd, args, { stdio: 'ignore' });
}
async function stopService(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await done;
}

describe('cluster: NATS and Redis restarting mid-run', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let dir: string;
  let natsPort: number;
  let redisPort: number;
  let nats: ChildProcess;
  let redis: ChildProcess;
  let control: NodeProcess;
  let mediaNode: NodeProcess;
  let sim: ChildProcess;
  let auth: Record<string, string>;
  const name = clusterName();
  const natsArgs = () => ['-a', '127.0.0.1', '-p', String(natsPort)];
  const redisArgs = () => ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const api = async (method: string, url: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${control.httpPort}/api/v1${url}`, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  };
  const liveWithin = async (ch: string, ms: number) => {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < ms) {
      const r = await api('POST', `/channels/${ch}/live`, {});
      if (r.status === 200) return { flv: r.json.flv as string, ms: Date.now() - t0 };
      last = r.json;
      await sleep(300);
    }
    throw new Error(`live ${ch} not available within ${ms} ms: ${JSON.stringify(last)}`);
  };

  before(async () => {
    db = await freshDatabase('postgres');
    dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-svc-'));
    natsPort = await freePort();
    redisPort = await freePort();
    nats = startService('nats-server', natsArgs());
    redis = startService('redis-server', redisArgs());
    await sleep(500);
    const common = {
      SHARPEYE_DATABASE_URL: db.url,
      SHARPEYE_NATS_URL: `nats://127.0.0.1:${natsPort}`,
      SHARPEYE_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      SHARPEYE_SECRET_KEY: clusterKey(),
      SHARPEYE_CLUSTER_NAME: name,
      SHARPEYE_ADMIN_PASSWORD: PASSWORD,
      SHARPEYE_STREAM_LINGER: '30',
    };
    const sipPort = await freeTcpUdpPort();
    control = await startNode('c1', { ...common, SHARPEYE_ROLE: 'control', SHARPEYE_SIP_PORT: String(sipPort) });
    mediaNode = await startNode('m1', { ...common, SHARPEYE_ROLE: 'media', SHARPEYE_RTP_PORT_RANGE: '41000-41099' });
    const login = await fetch(`http://127.0.0.1:${control.httpPort}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    auth = { authorization: `Bearer ${(await login.json()).token}` };
    const clip = path.join(dir, 'clip.h264');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-b:v', '300k', '-pix_fmt', 'yuv420p', clip]);
    sim = spawn(process.execPath, ['bin/sharpeye-sim.mjs', '--server', `127.0.0.1:${sipPort}`, '--server-id', '35020000002000000001', '--domain', '3502000000', '--password', '12345678', '--devices', '1', '--channels-per-device', '3', '--media', clip, '--local-host', '127.0.0.1'], { cwd: ROOT, stdio: 'ignore' });
    const until = Date.now() + 40_000;
    while (Date.now() < until && ((await api('GET', '/channels?online=true')).json?.items?.length ?? 0) < 3) await sleep(300);
  });

  after(async () => {
    sim?.kill('SIGKILL');
    // SIGTERM, but no long wait: a media node has been seen to take > 8 s to stop (nothing here checks its shutdown)
    await Promise.all([control, mediaNode].filter(Boolean).map((n) => n.kill('SIGTERM', 2000)));
    await Promise.all([nats, redis].filter(Boolean).map(stopService));
    await db?.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps playing through a NATS restart and serves new streams once NATS is back', async () => {
    const channels = ((await api('GET', '/channels?online=true')).json.items as Array<{ id: string }>).map((c) => c.id).sort();
    assert.equal(channels.length, 3);
    const { flv } = await liveWithin(channels[0], 15_000);
    let bytes = 0;
    const ac = new AbortController();
    void fetch(flv, { signal: ac.signal }).then(async (r) => { for await (const c of r.body!) bytes += (c as Uint8Array).length; }).catch(() => undefined);
    await sleep(1500);
    await stopService(nats);
    const during = bytes;
    await sleep(2500);
    assert.ok(bytes > during, 'the stream keeps flowing while NATS is down');
    nats = startService('nats-server', natsArgs());
    const t0 = Date.now();
    const second = await liveWithin(channels[1], 20_000);
    console.log(`# NATS restarted: new stream served ${((Date.now() - t0) / 1000).toFixed(1)} s after NATS came back`);
    // a request must not be sent into the dropped connection and wait out the 10 s RPC timeout (it once did)
    assert.ok(Date.now() - t0 < 5_000, `new stream within 5 s of NATS coming back, took ${Date.now() - t0} ms`);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', second.flv], { timeout: 15_000 });
    assert.match(stdout, /h264/);
    const before2 = bytes;
    await sleep(1000);
    assert.ok(bytes > before2, 'the first stream still plays');
    ac.abort();
    const nodes = (await api('GET', '/nodes')).json.items as Array<{ id: string; online: boolean }>;
    assert.equal(nodes.find((n) => n.id === 'm1')?.online, true, 'the media node is back in the directory');
  });

  it('writes the stream registry back to a restarted Redis and keeps serving', async () => {
    await stopService(redis);
    await sleep(1000);
    // Redis down: the control node still knows where its streams are
    const channels = ((await api('GET', '/channels?online=true')).json.items as Array<{ id: string }>).map((c) => c.id).sort();
    const during = await liveWithin(channels[1], 10_000);
    assert.ok(during.flv.includes('/media/live/'));
    redis = startService('redis-server', redisArgs());
    const r = new Redis(`redis://127.0.0.1:${redisPort}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    r.on('error', () => undefined); // refused until the server is up again
    let entries: Record<string, string> = {};
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      await r.connect().catch(() => undefined);
      entries = await r.hgetall(`${name}:streams`).catch(() => ({}));
      if (Object.keys(entries).length > 0) break;
      r.disconnect();
      await sleep(500);
    }
    r.disconnect();
    assert.ok(Object.values(entries).includes('m1'), `registry written back: ${JSON.stringify(entries)}`);
    const third = await liveWithin(channels[2], 15_000);
    assert.ok(third.flv.includes('/media/live/'));
  });
});
