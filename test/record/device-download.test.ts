import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Device download (issue 8): INVITE s=Download with a=downloadspeed; the platform records what the device sends into
// an MP4 (content clock), shows progress, ends at MediaStatus 121, re-INVITEs the rest when the device drops mid-way
// and fails clearly when it keeps dropping. The MP4 is judged by ffprobe.

const run = promisify(execFile);
const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Job {
  id: string;
  state: string;
  progress: number;
  receivedMs: number;
  attempts: number;
  rate?: number;
  endedBy?: string;
  error?: { code: string; message: string };
  file?: { name: string; size: number; durationMs: number; codec: string };
}

async function ffprobe(file: string): Promise<{ duration: number; codec: string; frames: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'format=duration:stream=codec_name,codec_type,nb_read_packets', '-of', 'json', file], { timeout: 60_000 });
  const j = JSON.parse(stdout) as { format: { duration: string }; streams: Array<{ codec_name: string; codec_type: string; nb_read_packets: string }> };
  const v = j.streams.find((s) => s.codec_type === 'video')!;
  return { duration: Number(j.format.duration), codec: v.codec_name, frames: Number(v.nb_read_packets) };
}

describe('device download over GB/T 28181 (Download INVITE, downloadspeed, MediaStatus 121)', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let base: string;
  const sims: Simulator[] = [];
  /** channel of: a steady device, one that hangs up every 3 s of sending, one that hangs up every second */
  const ch = { steady: '', drops: '', dies: '' };

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { ...t.admin, host: new URL(base).host }, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.body && r.headers['content-type']?.toString().includes('json') ? r.json() : r.body, headers: r.headers };
  };
  const waitJob = async (id: string, timeoutMs: number, seen: number[] = []): Promise<Job> => {
    const until = Date.now() + timeoutMs;
    let j: Job = (await api('GET', `/device-downloads/${id}`)).body;
    while (Date.now() < until && !['done', 'failed', 'aborted'].includes(j.state)) {
      await sleep(200);
      j = (await api('GET', `/device-downloads/${id}`)).body;
      seen.push(j.progress);
    }
    return j;
  };

  before(async () => {
    const clip = await testClip('h264-360p');
    t = await startTestApp('sqlite', {}, {}, { deviceDownloads: { maxResumes: 2, stallMs: 4000, firstFrameTimeoutMs: 5000 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const common = { server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: clip, log: createLogger('silent') };
    for (const [i, bye] of [[1, undefined], [2, 3], [3, 1]] as const) {
      const s = new Simulator({ ...common, idStart: i, ...(bye ? { mediaByeAfter: bye } : {}) } as never);
      sims.push(s);
      await s.start();
    }
    let items: Array<{ id: string; deviceId: string }> = [];
    for (let i = 0; i < 100 && items.length < 3; i++) {
      items = (await api('GET', '/channels?online=true')).body.items;
      if (items.length < 3) await sleep(100);
    }
    assert.equal(items.length, 3, 'three simulated cameras registered');
    const sorted = [...items].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    [ch.steady, ch.drops, ch.dies] = sorted.map((c) => c.id);
  });

  after(async () => {
    for (const s of sims) await s.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
  });

  test('30 s at downloadspeed 4: progress while receiving, done at MediaStatus 121, the MP4 probes as 30 s H.264', async (ctx) => {
    const start = Date.now() - 2 * HOUR;
    const t0 = Date.now();
    const r = await api('POST', `/channels/${ch.steady}/device-downloads`, { start: iso(start), end: iso(start + 30_000), speed: 4 });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.headers.location, `/api/v1/device-downloads/${r.body.id}`);
    const seen: number[] = [];
    const job = await waitJob(r.body.id, 30_000, seen);
    const wall = (Date.now() - t0) / 1000;
    assert.equal(job.state, 'done', JSON.stringify(job));
    assert.equal(job.progress, 100);
    assert.equal(job.endedBy, 'MediaStatus 121');
    assert.equal(job.attempts, 1);
    assert.ok(seen.some((p) => p > 5 && p < 95), `progress seen while receiving: ${seen.join(',')}`);
    // 30 s of content at 4× take ≈ 7.5 s
    assert.ok(job.rate !== undefined && job.rate > 3 && job.rate < 5, `content per wall second ${job.rate}`);

    const res = await fetch(`${base}/api/v1/device-downloads/${job.id}/file`, { headers: t.admin });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, Number(res.headers.get('content-length')));
    const file = path.join(t.dataDir, 'device.mp4');
    writeFileSync(file, body);
    const p = await ffprobe(file);
    assert.equal(p.codec, 'h264');
    assert.ok(Math.abs(p.duration - 30) <= 1, `duration ${p.duration}`);
    assert.ok(Math.abs(p.frames - 750) <= 25, `frames ${p.frames} (25 fps)`);
    ctx.diagnostic(`device download 30 s ×4: done in ${wall.toFixed(1)} s wall (${job.rate} s of content per s), ${Math.round(body.length / 1024)} KiB, ffprobe ${p.duration.toFixed(2)} s / ${p.frames} frames`);

    const logs = (await api('GET', '/logs/user?pageSize=50')).body.items as Array<{ action: string; detail: string }>;
    assert.ok(logs.some((l) => l.action === 'record.download' && l.detail.includes('device')), 'device download audited');
    assert.equal((await api('DELETE', `/device-downloads/${job.id}`)).status, 204);
    assert.equal((await api('GET', `/device-downloads/${job.id}`)).status, 404);
  });

  test('GET …/download?source=device starts a job (202 + Location); its file answers 409 until done', async () => {
    const start = Date.now() - 3 * HOUR;
    const r = await api('GET', `/channels/${ch.steady}/download?source=device&start=${iso(start)}&end=${iso(start + 20_000)}`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.match(r.headers.location as string, /^\/api\/v1\/device-downloads\/[0-9a-f]{16}$/);
    const early = await api('GET', `/device-downloads/${r.body.id}/file`);
    assert.equal(early.status, 409);
    assert.equal(early.body.code, 'DOWNLOAD_NOT_READY');
    const job = await waitJob(r.body.id, 20_000);
    assert.equal(job.state, 'done', JSON.stringify(job));
    assert.ok(Math.abs(job.file!.durationMs - 20_000) <= 1000, `duration ${job.file!.durationMs}`);
    const list = (await api('GET', '/device-downloads')).body.items as Job[];
    assert.ok(list.some((j) => j.id === job.id));
  });

  test('a device that hangs up mid-way is re-INVITEd for the rest: 30 s in 3 INVITEs', async (ctx) => {
    const start = Date.now() - 2 * HOUR;
    const r = await api('POST', `/channels/${ch.drops}/device-downloads`, { start: iso(start), end: iso(start + 30_000), speed: 4 });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const job = await waitJob(r.body.id, 40_000);
    assert.equal(job.state, 'done', JSON.stringify(job));
    assert.equal(job.attempts, 3, 'the device sends ≈12 s of content per INVITE (3 s at 4×)');
    const res = await fetch(`${base}/api/v1/device-downloads/${job.id}/file`, { headers: t.admin });
    const file = path.join(t.dataDir, 'resumed.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const p = await ffprobe(file);
    // each resume starts at the whole second received: up to 1 s repeats per resume
    assert.ok(p.duration >= 29 && p.duration <= 33, `duration ${p.duration}`);
    ctx.diagnostic(`resumed download: ${job.attempts} INVITEs, ffprobe ${p.duration.toFixed(2)} s`);
  });

  test('a device that keeps hanging up: the job fails with DOWNLOAD_FAILED naming where it stopped', async () => {
    const start = Date.now() - 2 * HOUR;
    const r = await api('POST', `/channels/${ch.dies}/device-downloads`, { start: iso(start), end: iso(start + 120_000), speed: 4 });
    assert.equal(r.status, 202);
    const job = await waitJob(r.body.id, 40_000);
    assert.equal(job.state, 'failed', JSON.stringify(job));
    assert.equal(job.error?.code, 'DOWNLOAD_FAILED');
    assert.equal(job.attempts, 3);
    assert.match(job.error!.message, /stopped sending at \d+ s of 120 s/);
    const f = await api('GET', `/device-downloads/${job.id}/file`);
    assert.equal(f.status, 502);
    assert.equal(f.body.code, 'DOWNLOAD_FAILED');
  });

  test('DELETE of a running download: BYE to the device, the job ends aborted', async () => {
    const start = Date.now() - 4 * HOUR;
    const r = await api('POST', `/channels/${ch.steady}/device-downloads`, { start: iso(start), end: iso(start + 120_000), speed: 1 });
    assert.equal(r.status, 202);
    let j: Job = r.body;
    for (let i = 0; i < 50 && j.state !== 'receiving'; i++) {
      await sleep(100);
      j = (await api('GET', `/device-downloads/${r.body.id}`)).body;
    }
    assert.equal(j.state, 'receiving');
    assert.equal((await api('DELETE', `/device-downloads/${r.body.id}`)).status, 204);
    j = await waitJob(r.body.id, 5000);
    assert.equal(j.state, 'aborted');
    const streams = (await api('GET', '/streams')).body.items as Array<{ key: string }>;
    assert.ok(!streams.some((s) => s.key.startsWith(`download/${ch.steady}/`)), 'the download stream is gone');
  });

  test('bad input: speed not offered, reversed range', async () => {
    const now = Date.now();
    const speed = await api('POST', `/channels/${ch.steady}/device-downloads`, { start: iso(now - HOUR), end: iso(now - HOUR + 10_000), speed: 3 });
    assert.equal(speed.status, 400);
    const rev = await api('POST', `/channels/${ch.steady}/device-downloads`, { start: iso(now - HOUR), end: iso(now - 2 * HOUR) });
    assert.equal(rev.body.code, 'RANGE_INVALID');
  });
});
