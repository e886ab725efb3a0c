import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { openDatabase } from '../../src/store/db.js';
import { createStore } from '../../src/store/index.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';

// A SIGKILLed server keeps every closed segment and its index row; at the next start the segment that was open is
// repaired (cut to its last whole fragment, closed with a checksum) — issue 7 "crashes". The server runs as a real
// child process (`tsx src/main.ts`), killed with SIGKILL mid-recording.

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A port free on both TCP and UDP (SIP listens on both). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

function startServer(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', () => undefined);
  return child;
}

async function waitHttp(base: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(`${base}/api/v1/health`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${base} did not come up in ${timeoutMs} ms`);
}

let child: ChildProcess | undefined;
let sim: Simulator | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-crash-'));
after(async () => {
  await sim?.stop(); // while the server runs: unregistering against nothing waits for timeouts
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('SIGKILL while recording: closed segments and their index survive, the open one is repaired at start', { skip: !HAVE_FFMPEG && 'ffmpeg missing', timeout: 120_000 }, async () => {
  const clip = await testClip('h264-360p');
  const [http, sip] = [await freePort(), await freePort()];
  const env = {
    SHARPEYE_DATA_DIR: dataDir,
    SHARPEYE_HTTP_PORT: String(http),
    SHARPEYE_SIP_PORT: String(sip),
    SHARPEYE_RTSP_PORT: '0',
    SHARPEYE_RTMP_PORT: '0',
    SHARPEYE_HOST: '127.0.0.1',
    SHARPEYE_ADMIN_PASSWORD: 'Crash@12345',
    SHARPEYE_RECORD_SEGMENT: '3',
    SHARPEYE_RECORD_MIN_FREE_MB: '0',
    SHARPEYE_LOG_LEVEL: 'warn',
    SHARPEYE_WEB_DIR: path.join(dataDir, 'no-web'),
  };
  const base = `http://127.0.0.1:${http}`;
  child = startServer(env);
  await waitHttp(base, 30_000);
  const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'Crash@12345' }) })).json();
  const auth = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };

  sim = new Simulator({ server: `127.0.0.1:${sip}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: clip, log: createLogger('silent') } as never);
  await sim.start();
  let channelId = '';
  for (let i = 0; i < 100 && !channelId; i++) {
    channelId = (await (await fetch(`${base}/api/v1/channels?online=true`, { headers: auth })).json()).items?.[0]?.id ?? '';
    if (!channelId) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(channelId, 'camera registered');
  const put = await fetch(`${base}/api/v1/channels/${channelId}/record-plan`, { method: 'PUT', headers: auth, body: JSON.stringify({ mode: 'always' }) });
  assert.equal(put.status, 200);

  const database = openDatabase(`sqlite://${path.join(dataDir, 'sharpeye.db')}`);
  const store = createStore(database);
  try {
    // wait for ≥ 2 closed segments and one open with some data
    let rows = await store.segments.range(channelId, 0, Date.now() + 60_000);
    for (let i = 0; i < 150; i++) {
      // kill when the open segment is 2 s old (3 s segments): it then holds at least one whole fragment on disk
      if (rows.filter((r) => r.state === 'closed').length >= 2 && rows.some((r) => r.state === 'open' && Date.now() - r.startMs > 2000)) break;
      await new Promise((r) => setTimeout(r, 200));
      rows = await store.segments.range(channelId, 0, Date.now() + 60_000);
    }
    const closed = rows.filter((r) => r.state === 'closed');
    const open = rows.find((r) => r.state === 'open' && Date.now() - r.startMs > 2000);
    assert.ok(closed.length >= 2 && open, `closed ${closed.length}, open ${open ? 'yes' : 'no'}`);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const killedAt = Date.now();

    child = startServer(env);
    await waitHttp(base, 30_000);
    const after = await store.segments.range(channelId, 0, Date.now() + 60_000, ['open', 'closed', 'corrupt', 'missing']);
    for (const c of closed) {
      const same = after.find((a) => a.id === c.id);
      assert.ok(same, `closed segment ${c.id} kept`);
      assert.equal(same.state, 'closed');
      assert.equal(same.size, c.size);
      assert.equal(same.checksum, c.checksum);
    }
    const repaired = after.find((a) => a.id === open.id);
    assert.ok(repaired, 'the open segment is still indexed');
    assert.equal(repaired.state, 'closed', 'repaired and closed at start');
    assert.match(repaired.checksum ?? '', /^[0-9a-f]{64}$/);
    assert.ok(repaired.endMs > repaired.startMs + 1000, `repaired segment holds ${repaired.endMs - repaired.startMs} ms`);
    assert.ok(repaired.endMs <= killedAt + 1000);
    // and the repaired file verifies against its new checksum
    const v = await fetch(`${base}/api/v1/records/verify?channelId=${channelId}`, { method: 'POST', headers: { authorization: auth.authorization } }).then((r) => r.json());
    assert.equal(v.corrupt + v.missing, 0, JSON.stringify(v));
  } finally {
    await database.close();
  }
});
