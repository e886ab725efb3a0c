import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { readFlv } from '../helpers/flv.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Device playback (issue 8): POST /channels/{id}/playback {source:'device'} INVITEs s=Playback; control goes to the
// device as MANSRTSP in INFO. The simulator sends its clip as the "recording" (25 fps, a keyframe a second), k× faster
// after Scale with its own content timestamps, jumps on Range, and ends with MediaStatus 121. Judged like platform
// playback: content advances k× while FLV timestamps advance at wall pace.

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('device playback over GB/T 28181 (Playback INVITE + MANSRTSP)', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let base: string;
  let sim: Simulator;
  let channelId = '';

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { ...t.admin, host: new URL(base).host }, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.body ? r.json() : undefined };
  };
  const state = async (session: string) => (await api('GET', `/playback/${session}`)).body as { positionMs: number; speed: number; paused: boolean; ended: boolean; endReason?: string; source: string };
  const control = (session: string, body: object) => api('POST', `/playback/${session}/control`, body);

  before(async () => {
    const clip = await testClip('h264-360p');
    t = await startTestApp('sqlite', { SHARPEYE_STREAM_LINGER: '3' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: clip, log: createLogger('silent') } as never);
    await sim.start();
    for (let i = 0; i < 100 && !channelId; i++) {
      const r = await api('GET', '/channels?online=true');
      channelId = r.body.items[0]?.id ?? '';
      if (!channelId) await sleep(100);
    }
    assert.ok(channelId, 'the simulated camera registered');
  });

  after(async () => {
    await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
  });

  test('at 4× content advances ≈4 s per wall second while FLV timestamps keep wall pace; pause, seek, speed, step', async (ctx) => {
    const start = Date.now() - 2 * HOUR;
    const end = start + 120_000;
    const t0 = Date.now();
    const pb = await api('POST', `/channels/${channelId}/playback`, { start: iso(start), end: iso(end), source: 'device', speed: 4 });
    const openMs = Date.now() - t0;
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    assert.equal(pb.body.source, 'device');
    const session = pb.body.session as string;

    const w0 = Date.now();
    const s0 = await state(session);
    const flv = await readFlv(pb.body.flv, 2500);
    const s1 = await state(session);
    const wall = (Date.now() - w0) / 1000;
    const content = (s1.positionMs - s0.positionMs) / 1000;
    assert.ok(flv.times.length > 10, `video tags: ${flv.times.length}`);
    const outSpan = (flv.times[flv.times.length - 1] - flv.times[0]) / 1000;
    assert.ok(content / wall > 3 && content / wall < 5, `content ${content.toFixed(2)} s in ${wall.toFixed(2)} s wall`);
    assert.ok(outSpan / wall > 0.6 && outSpan / wall < 1.4, `FLV timestamps spanned ${outSpan.toFixed(2)} s in ${wall.toFixed(2)} s wall`);
    for (let i = 1; i < flv.times.length; i++) assert.ok(flv.times[i] >= flv.times[i - 1], 'FLV timestamps never go back');
    ctx.diagnostic(`open (INVITE → first frame) ${pb.body.firstFrameMs} ms, POST ${openMs} ms; 4×: content ${content.toFixed(2)} s / FLV ${outSpan.toFixed(2)} s in ${wall.toFixed(2)} s wall`);

    // pause: the position stands still
    assert.equal((await control(session, { action: 'pause' })).status, 200);
    const p0 = (await state(session)).positionMs;
    await sleep(600);
    const p1 = await state(session);
    assert.equal(p1.paused, true);
    assert.ok(Math.abs(p1.positionMs - p0) <= 200, `moved ${p1.positionMs - p0} ms while paused`);

    // seek while paused lands within one GOP (1 s) before the target and shows that picture
    const target = start + 70_500;
    const sk = await control(session, { action: 'seek', time: iso(target) });
    assert.equal(sk.status, 200, JSON.stringify(sk.body));
    let pos = 0;
    for (let i = 0; i < 40; i++) {
      pos = (await state(session)).positionMs;
      if (Math.abs(pos - target) < 1100) break;
      await sleep(50);
    }
    assert.ok(pos <= target + 50 && pos >= target - 1000 - 50, `seek to +70.5 s landed at ${(pos - start) / 1000} s`);
    ctx.diagnostic(`seek while paused landed ${target - pos} ms before the target (keyframe every 1 s)`);
    await sleep(500);
    assert.ok(Math.abs((await state(session)).positionMs - pos) <= 100, 'still paused after the seek');

    // step forward: one frame (40 ms at 25 fps); backward is the platform's only
    const st = await control(session, { action: 'step', direction: 'forward' });
    assert.equal(st.status, 200, JSON.stringify(st.body));
    const q1 = (await state(session)).positionMs;
    assert.ok(Math.abs(q1 - pos - 40) <= 2, `step forward moved ${q1 - pos} ms`);
    const back = await control(session, { action: 'step', direction: 'backward' });
    assert.equal(back.status, 409);
    assert.equal(back.body.code, 'UNSUPPORTED_BY_DEVICE');

    // resume at 1×: content ≈ wall from the seek point on
    assert.equal((await control(session, { action: 'speed', speed: 1 })).status, 200);
    assert.equal((await control(session, { action: 'resume' })).status, 200);
    const r0 = await state(session);
    const rw = Date.now();
    await sleep(2000);
    const r1 = await state(session);
    const rate = (r1.positionMs - r0.positionMs) / (Date.now() - rw);
    assert.ok(rate > 0.7 && rate < 1.3, `1× after resume: ${rate.toFixed(2)}`);
    assert.ok(r1.positionMs > target && r1.positionMs < target + 5000, `continues from the seek point: +${(r1.positionMs - start) / 1000} s`);

    assert.equal((await control(session, { action: 'speed', speed: 3 })).status, 400, 'speed 3 is not offered');
    assert.equal((await api('DELETE', `/playback/${session}`)).status, 204);
    assert.equal((await api('GET', `/playback/${session}`)).status, 404);
  });

  test('MediaStatus 121 at the end of the range ends the session (ended, with the reason); a seek plays again', async (ctx) => {
    const start = Date.now() - 3 * HOUR;
    const end = start + 8000;
    const pb = await api('POST', `/channels/${channelId}/playback`, { start: iso(start), end: iso(end), source: 'device', speed: 4 });
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    const session = pb.body.session as string;
    const t0 = Date.now();
    let s = await state(session);
    while (!s.ended && Date.now() - t0 < 8000) {
      await sleep(100);
      s = await state(session);
    }
    assert.equal(s.ended, true, JSON.stringify(s));
    assert.match(s.endReason ?? '', /121/);
    assert.ok(s.positionMs >= end - 1500, `ended at +${(s.positionMs - start) / 1000} s of 8`);
    ctx.diagnostic(`8 s at 4× ended by MediaStatus 121 after ${Date.now() - t0} ms`);
    // after the end a seek is a new INVITE from the target
    const sk = await control(session, { action: 'seek', time: iso(start + 2000) });
    assert.equal(sk.status, 200, JSON.stringify(sk.body));
    await sleep(400);
    s = await state(session);
    assert.equal(s.ended, false);
    assert.ok(s.positionMs >= start + 1000 && s.positionMs <= end, `replaying at +${(s.positionMs - start) / 1000} s`);
    assert.equal((await api('DELETE', `/playback/${session}`)).status, 204);
  });

  test('bad requests: a device playback of an unknown or non-GB channel, reversed range', async () => {
    const now = Date.now();
    const none = await api('POST', '/channels/35020000001310999999/playback', { start: iso(now - HOUR), end: iso(now), source: 'device' });
    assert.equal(none.status, 404);
    const rev = await api('POST', `/channels/${channelId}/playback`, { start: iso(now - HOUR), end: iso(now - 2 * HOUR), source: 'device' });
    assert.equal(rev.body.code, 'RANGE_INVALID');
  });
});
