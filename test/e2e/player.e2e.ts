/**
 * Live video in a real browser: headless Chromium plays the platform's WS-FLV with mpegts.js (the player the console
 * uses), for an H.264 camera and for an H.265 camera through its on-demand H.264 rendition (Chromium here cannot
 * decode H.265). Asserts that playback advances and the decoded picture has the camera's size.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const CHROMIUM = process.env.SHARPEYE_CHROMIUM ?? '/usr/bin/chromium';
const MPEGTS = readFileSync(createRequire(import.meta.url).resolve('mpegts.js/dist/mpegts.js'), 'utf8');

let t: TestApp;
let browser: Browser;
let host: string;
const sims: Simulator[] = [];

before(async () => {
  if (!HAVE_FFMPEG) return;
  const [h264, h265] = await Promise.all([testClip('h264-360p'), testClip('h265-360p')]);
  t = await startTestApp('sqlite');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  host = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const common = { server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, log: createLogger('silent') };
  sims.push(new Simulator({ ...common, media: h264, idStart: 1 } as never), new Simulator({ ...common, media: h265, idStart: 2 } as never));
  for (const s of sims) await s.start();
  for (let i = 0; i < 100; i++) {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/channels?online=true', headers: t.admin });
    if (r.json().total >= 2) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  await browser?.close();
  await Promise.all(sims.map((s) => s.stop())); // before the platform goes: unregistering against nothing waits for timeouts
  await t?.close();
});

async function channelOf(deviceSuffix: string): Promise<string> {
  const items = (await t.app.inject({ method: 'GET', url: '/api/v1/channels', headers: t.admin })).json().items as { id: string; deviceId: string }[];
  return items.find((c) => c.deviceId.endsWith(deviceSuffix))!.id;
}

/** Plays a WS-FLV URL with mpegts.js; resolves with the playback position and picture size after `ms`. */
async function playInBrowser(wsFlv: string, ms: number): Promise<{ currentTime: number; width: number; height: number; errors: string[] }> {
  const page = await browser.newPage();
  try {
    await page.setContent('<!doctype html><video id="v" muted autoplay playsinline></video>');
    await page.addScriptTag({ content: MPEGTS });
    return await page.evaluate(
      async ({ url, ms }) => {
        const errors: string[] = [];
        const w = window as unknown as { mpegts: any };
        const video = document.getElementById('v') as HTMLVideoElement;
        const player = w.mpegts.createPlayer({ type: 'flv', isLive: true, url, hasAudio: false }, { enableStashBuffer: false });
        player.on(w.mpegts.Events.ERROR, (type: string, detail: string) => errors.push(`${type} ${detail}`));
        player.attachMediaElement(video);
        player.load();
        await video.play().catch((e: Error) => errors.push(`play: ${e.message}`));
        await new Promise((r) => setTimeout(r, ms));
        const out = { currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight, errors };
        player.destroy();
        return out;
      },
      { url: wsFlv, ms },
    );
  } finally {
    await page.close();
  }
}

test('headless Chromium plays an H.264 camera over WS-FLV with mpegts.js', { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, async () => {
  const ch = await channelOf('0000001');
  const r = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/live`, headers: { ...t.admin, host }, payload: {} });
  assert.equal(r.statusCode, 200, r.body);
  const p = await playInBrowser(r.json().wsFlv, 4000);
  assert.deepEqual(p.errors, []);
  assert.ok(p.currentTime > 2, `playback advanced to ${p.currentTime} s in 4 s`);
  assert.deepEqual([p.width, p.height], [640, 360]);
});

test('an H.265 camera plays in Chromium through its H.264 rendition', { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, async () => {
  const ch = await channelOf('0000002');
  const r = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch}/live`, headers: { ...t.admin, host }, payload: { codec: 'h264' } });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.equal(body.transcoded, true);
  assert.equal(body.info.codec, 'h264');
  assert.match(body.wsFlv, /\/main-h264\.flv\?/);
  const p = await playInBrowser(body.wsFlv, 5000);
  assert.deepEqual(p.errors, []);
  assert.ok(p.currentTime > 2, `playback advanced to ${p.currentTime} s in 5 s`);
  assert.deepEqual([p.width, p.height], [640, 360]);
});
