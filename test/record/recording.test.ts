import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { readFlv } from '../helpers/flv.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const run = promisify(execFile);

// Platform recording end to end (issue 7): a simulated GB camera (real x264 bytes in PS over RTP) is recorded by plan
// into fMP4 segments; search, playback with controls and MP4 download are judged by ffprobe and by the FLV a viewer gets.

async function ffprobeFormat(file: string): Promise<{ duration: number; codec: string; frames: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'format=duration:stream=codec_name,codec_type,nb_read_packets', '-of', 'json', file], { timeout: 60_000 });
  const j = JSON.parse(stdout) as { format: { duration: string }; streams: Array<{ codec_name: string; codec_type: string; nb_read_packets: string }> };
  const v = j.streams.find((s) => s.codec_type === 'video')!;
  return { duration: Number(j.format.duration), codec: v.codec_name, frames: Number(v.nb_read_packets) };
}

describe('platform recording: plan → segments → search, playback, download', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let base: string;
  let sim: Simulator;
  let channelId = '';
  let recordStart = 0;

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { ...t.admin, host: new URL(base).host }, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.body ? (r.headers['content-type']?.toString().includes('json') ? r.json() : r.body) : undefined, headers: r.headers };
  };
  const spans = async (from = recordStart - 60_000, to = Date.now() + 60_000) => (await api('GET', `/channels/${channelId}/records?start=${new Date(from).toISOString()}&end=${new Date(to).toISOString()}`)).body;
  const recordedMs = async () => {
    const s = await spans();
    return s.items.length ? s.items[s.items.length - 1].endMs - s.items[0].startMs : 0;
  };
  const waitRecorded = async (ms: number, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await recordedMs()) >= ms) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.fail(`not ${ms} ms recorded within ${timeoutMs} ms (have ${await recordedMs()})`);
  };

  before(async () => {
    const clip = await testClip('h264-360p');
    t = await startTestApp('sqlite', { SHARPEYE_RECORD_SEGMENT: '8', SHARPEYE_RECORD_MIN_FREE_MB: '0', SHARPEYE_STREAM_LINGER: '2' }, {}, { reconcileMs: 300, retryMs: 1000 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: clip, log: createLogger('silent') } as never);
    await sim.start();
    for (let i = 0; i < 100 && !channelId; i++) {
      const r = await api('GET', '/channels?online=true');
      channelId = r.body.items[0]?.id ?? '';
      if (!channelId) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(channelId, 'the simulated camera registered');
  });

  after(async () => {
    await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
  });

  test('an "always" plan records; search finds the segment being written', async () => {
    const bad = await api('PUT', `/channels/${channelId}/record-plan`, { mode: 'schedule', schedule: [{ days: [1], from: '10:00', to: '09:00' }] });
    assert.equal(bad.status, 400, 'a window that ends before it starts is refused');
    recordStart = Date.now();
    const r = await api('PUT', `/channels/${channelId}/record-plan`, { mode: 'always' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.mode, 'always');
    await waitRecorded(3000, 15_000);
    const s = await spans();
    assert.equal(s.items.length, 1, JSON.stringify(s.items));
    assert.equal(s.items[0].recording, true, 'the open segment is part of the span');
    assert.ok(s.items[0].startMs >= recordStart - 1000 && s.items[0].startMs < recordStart + 10_000, 'span starts when recording started');
    const plan = await api('GET', `/channels/${channelId}/record-plan`);
    assert.equal(plan.body.status.state, 'recording');
    assert.equal(plan.body.retentionDaysEffective, 30);
  });

  test('playback at 4× delivers ≈4 s of content per wall second with wall-clock output timestamps; seek and frame step', async () => {
    await waitRecorded(14_000, 30_000);
    const s = await spans();
    const start = s.items[0].startMs;
    const pb = await api('POST', `/channels/${channelId}/playback`, { start: new Date(start).toISOString(), end: new Date(start + 60_000).toISOString(), speed: 4 });
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    const session = pb.body.session as string;
    const t0 = Date.now();
    const flv = await readFlv(pb.body.flv, 2500);
    const wall = (Date.now() - t0) / 1000;
    const st = (await api('GET', `/playback/${session}`)).body;
    const content = (st.positionMs - start) / 1000;
    assert.ok(flv.times.length > 10, `video tags: ${flv.times.length}`);
    const outSpan = (flv.times[flv.times.length - 1] - flv.times[0]) / 1000;
    // content ≈ 4 × wall (the session clock starts when the viewer attaches; lead 300 ms)
    assert.ok(content / wall > 3 && content / wall < 5, `content ${content.toFixed(2)} s in ${wall.toFixed(2)} s wall`);
    // output timestamps advance at wall pace, not 4×
    assert.ok(outSpan / wall > 0.6 && outSpan / wall < 1.4, `FLV timestamps spanned ${outSpan.toFixed(2)} s in ${wall.toFixed(2)} s wall`);

    // seek while paused lands within one GOP (1 s) before the target
    assert.equal((await api('POST', `/playback/${session}/control`, { action: 'pause' })).status, 200);
    const target = start + 6_500;
    const sk = await api('POST', `/playback/${session}/control`, { action: 'seek', time: new Date(target).toISOString() });
    assert.equal(sk.status, 200, JSON.stringify(sk.body));
    let pos = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      pos = (await api('GET', `/playback/${session}`)).body.positionMs;
      if (Math.abs(pos - target) < 1100) break;
    }
    assert.ok(pos <= target + 50 && pos >= target - 1000 - 50, `seek to +6.5 s landed at ${(pos - start) / 1000} s`);

    // single-frame step: exactly one frame (40 ms at 25 fps) forward, then back
    const p0 = pos;
    const f = await api('POST', `/playback/${session}/control`, { action: 'step', direction: 'forward' });
    assert.equal(f.status, 200, JSON.stringify(f.body));
    await new Promise((r) => setTimeout(r, 200));
    const p1 = (await api('GET', `/playback/${session}`)).body.positionMs;
    assert.ok(Math.abs(p1 - p0 - 40) <= 2, `step forward moved ${p1 - p0} ms`);
    await api('POST', `/playback/${session}/control`, { action: 'step', direction: 'backward' });
    await new Promise((r) => setTimeout(r, 300));
    const p2 = (await api('GET', `/playback/${session}`)).body.positionMs;
    assert.ok(Math.abs(p1 - p2 - 40) <= 2, `step backward moved ${p1 - p2} ms`);

    assert.equal((await api('POST', `/playback/${session}/control`, { action: 'speed', speed: 3 })).status, 400, 'speed 3 is not offered');
    assert.equal((await api('DELETE', `/playback/${session}`)).status, 204);
    assert.equal((await api('GET', `/playback/${session}`)).status, 404);
    const logs = (await api('GET', '/logs/user?pageSize=100')).body.items as Array<{ action: string }>;
    for (const a of ['record.plan', 'playback.start', 'playback.control', 'playback.stop']) assert.ok(logs.some((l) => l.action === a), `${a} audited`);
  });

  test('the MP4 of a 30 s range probes as 30 s with H.264; progress is visible; bad ranges get clear errors', async () => {
    await waitRecorded(33_000, 45_000);
    const s = await spans();
    const from = s.items[0].startMs + 1000;
    const to = from + 30_000;
    const res = await fetch(`${base}/api/v1/channels/${channelId}/download?start=${new Date(from).toISOString()}&end=${new Date(to).toISOString()}`, { headers: t.admin });
    assert.equal(res.status, 200, await res.clone().text().catch(() => ''));
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, Number(res.headers.get('content-length')));
    const file = path.join(t.dataDir, 'range.mp4');
    writeFileSync(file, body);
    const p = await ffprobeFormat(file);
    assert.equal(p.codec, 'h264');
    assert.ok(Math.abs(p.duration - 30) <= 1, `duration ${p.duration}`);
    const job = (await api('GET', `/downloads/${res.headers.get('x-download-id')}`)).body;
    assert.equal(job.state, 'done');
    assert.equal(job.progress, 100);

    const iso = (ms: number) => new Date(ms).toISOString();
    const dl = (a: number, b: number, ch = channelId) => api('GET', `/channels/${ch}/download?start=${iso(a)}&end=${iso(b)}`);
    const reversed = await dl(to, from);
    assert.equal(reversed.status, 400);
    assert.equal(reversed.body.code, 'RANGE_INVALID');
    const future = await dl(Date.now() + 86_400_000 * 365, Date.now() + 86_400_000 * 366);
    assert.equal(future.body.code, 'RANGE_INVALID');
    const tenYears = await dl(Date.now() - 86_400_000 * 3650, Date.now());
    assert.equal(tenYears.body.code, 'RANGE_INVALID');
    const none = await dl(Date.now() - 86_400_000 * 3, Date.now() - 86_400_000 * 2);
    assert.equal(none.status, 404);
    assert.equal(none.body.code, 'NO_RECORDINGS');
    const garbage = await api('GET', `/channels/${channelId}/records?start=yesterday&end=today`);
    assert.equal(garbage.body.code, 'RANGE_INVALID');
  });

  test('a damaged segment is found by the verifier, reported in the device log, and skipped by the download', async () => {
    const rows = await t.platform.store.segments.range(channelId, 0, Date.now() + 60_000);
    const closed = rows.filter((r) => r.state === 'closed');
    assert.ok(closed.length >= 3, `closed segments: ${closed.length}`);
    const victim = closed[1];
    truncateSync(victim.path, Math.floor(victim.size / 2));
    const v = await api('POST', `/records/verify?channelId=${channelId}`);
    assert.equal(v.status, 200);
    assert.equal(v.body.corrupt, 1, JSON.stringify(v.body));
    const devlog = (await api('GET', '/logs/device?pageSize=50')).body.items as Array<{ event: string; channelId: string }>;
    assert.ok(devlog.some((l) => l.event === 'record.corrupt' && l.channelId === channelId), 'device log names the damaged recording');
    const s = await spans(closed[0].startMs, closed[2].endMs);
    assert.equal(s.damaged.length, 1);
    assert.ok(s.items.length >= 2, 'the damaged segment leaves a gap between spans');

    const res = await fetch(`${base}/api/v1/channels/${channelId}/download?start=${new Date(closed[0].startMs).toISOString()}&end=${new Date(closed[2].endMs).toISOString()}`, { headers: t.admin });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-skipped-segments'), '1');
    const file = path.join(t.dataDir, 'skip.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const p = await ffprobeFormat(file);
    const expect = (closed[0].endMs - closed[0].startMs + closed[2].endMs - closed[2].startMs) / 1000;
    assert.ok(Math.abs(p.duration - expect) < 1.5, `duration ${p.duration} vs ${expect} without the damaged segment`);
  });

  test('turning the plan off closes the open segment', async () => {
    const r = await api('PUT', `/channels/${channelId}/record-plan`, { mode: 'off' });
    assert.equal(r.status, 200);
    for (let i = 0; i < 50; i++) {
      const open = (await t.platform.store.segments.range(channelId, 0, Date.now() + 60_000)).filter((s) => s.state === 'open');
      if (!open.length) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const rows = await t.platform.store.segments.range(channelId, 0, Date.now() + 60_000, ['open', 'closed', 'corrupt']);
    assert.equal(rows.filter((s) => s.state === 'open').length, 0);
    for (const s of rows.filter((x) => x.state === 'closed')) assert.match(s.checksum ?? '', /^[0-9a-f]{64}$/);
    const storage = (await api('GET', '/records/storage')).body;
    assert.ok(storage.roots.length >= 1 && storage.roots[0].freeBytes > 0);
    const mine = storage.channels.find((c: { channelId: string }) => c.channelId === channelId);
    assert.ok(mine.bytes > 0 && mine.segments >= 3);
  });
});
