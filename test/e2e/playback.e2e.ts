/**
 * The 录像回放 (recordings) page end to end: a simulated GB camera is recorded by an "always" plan; an operator (role
 * with playback.view + record.download, scoped to the channel) opens the page in headless Chromium, picks the channel,
 * sees the recorded span on the timeline, plays it at 2× (the <video> advances with a real picture, the position runs
 * at ≈2× wall time), pauses with Space and steps a frame with →, seeks by clicking the timeline, selects a range on the
 * time axis and downloads it (progress reaches 100 %, the file is an MP4 of the range), and sees the empty state on a
 * day without recordings. Needs ffmpeg, /usr/bin/chromium and the built console (built here when dist/web is missing).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/platform.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.SHARPEYE_CHROMIUM ?? '/usr/bin/chromium';
const OP = { username: 'rec-op', password: 'Replay#2024x' };
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const skip = !HAVE_FFMPEG ? 'ffmpeg missing' : !existsSync(CHROMIUM) ? `Chromium not found at ${CHROMIUM} (scripts/install-test-tools.sh)` : false;

let t: TestApp;
let sim: Simulator;
let browser: Browser;
let base = '';
let admin: Record<string, string> = {};
let channelId = '';
let clockTimer: NodeJS.Timeout | undefined;

/** A zone where the local time is far from midnight, so "today" on the page does not flip during the test. */
function middayZone(): string {
  const zones = ['UTC', 'Asia/Shanghai', 'America/New_York', 'Asia/Kolkata', 'America/Los_Angeles', 'Pacific/Auckland'];
  const hour = (z: string) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: z, hour: 'numeric', hourCycle: 'h23' }).format(new Date()));
  return zones.find((z) => hour(z) >= 1 && hour(z) <= 21) ?? 'UTC';
}

async function api<T = any>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<T> {
  const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: admin, ...(payload ? { payload } : {}) });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json() as T;
}

async function recordedSpan(): Promise<{ startMs: number; endMs: number }> {
  const now = Date.now();
  const r = await api('GET', `/channels/${channelId}/records?start=${new Date(now - 3600_000).toISOString()}&end=${new Date(now + 60_000).toISOString()}`);
  return r.items[0] ?? { startMs: 0, endMs: 0 };
}

before(async () => {
  if (skip) return;
  if (!existsSync(path.join(ROOT, 'dist/web/index.html'))) {
    const r = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(r.status, 0, 'console build failed');
  }
  const clip = await testClip('h264-360p');
  t = await startTestApp('sqlite', { SHARPEYE_RECORD_SEGMENT: '8', SHARPEYE_RECORD_MIN_FREE_MB: '0', SHARPEYE_WEB_DIR: path.join(ROOT, 'dist/web') }, {}, { reconcileMs: 300 });
  // playback refuses ranges after the platform clock: run the test clock at wall time (and log in again after the jump)
  t.clock.set(new Date());
  clockTimer = setInterval(() => t.clock.set(new Date()), 100);
  admin = await t.login('admin', ADMIN_PASSWORD);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: clip, log: createLogger('silent') } as never);
  await sim.start();
  for (let i = 0; i < 100 && !channelId; i++) {
    channelId = (await api('GET', '/channels?online=true')).items[0]?.id ?? '';
    if (!channelId) await sleep(100);
  }
  assert.ok(channelId, 'the simulated camera registered');
  await api('PUT', `/channels/${channelId}/record-plan`, { mode: 'always' });
  const role = await api('POST', '/roles', { name: '录像操作员', permissions: ['device.view', 'playback.view', 'record.download'], channelIds: [channelId] });
  await api('POST', '/users', { username: OP.username, password: OP.password, displayName: '回放操作员', roleIds: [role.id], mustChangePassword: false });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  // ≥ 22 s recorded before the operator starts
  for (let i = 0; i < 80; i++) {
    const s = await recordedSpan();
    if (s.endMs - s.startMs >= 22_000) break;
    await sleep(500);
  }
});

after(async () => {
  clearInterval(clockTimer);
  await browser?.close().catch(() => undefined);
  await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
  await t?.close();
});

const byTest = (page: Page, name: string) => page.locator(`[data-test="${name}"]`).first();

/** Page coordinates of a time on the timeline (lane row or the time axis). */
async function timelinePoint(page: Page, ms: number, row: 'lane' | 'axis'): Promise<{ x: number; y: number }> {
  const svg = byTest(page, 'pb-timeline');
  const box = (await svg.boundingBox())!;
  const [vs, ve, axis, lane] = await svg.evaluate((el) => ['data-view-start', 'data-view-end', 'data-axis-height', 'data-lane-height'].map((a) => Number(el.getAttribute(a))));
  assert.ok(ms >= vs! && ms <= ve!, `time ${new Date(ms).toISOString()} is in the view`);
  return { x: box.x + ((ms - vs!) / (ve! - vs!)) * box.width, y: box.y + (row === 'axis' ? axis! / 2 : axis! + lane! / 2) };
}

const cursorMs = (page: Page) => byTest(page, 'pb-cursor').evaluate((el) => Number(el.getAttribute('data-ms')));
/** The session's position as last polled from the server (GET /playback/{session}). */
const serverMs = (page: Page) => byTest(page, 'pb-pane-0').evaluate((el) => Number(el.getAttribute('data-position-ms')));

/** currentTime of the first pane's video and how many of 64×36 sampled pixels are not black. */
function videoSample(page: Page) {
  return page.evaluate(() => {
    const v = document.querySelector('[data-test="pb-pane-0"] video') as HTMLVideoElement;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 36;
    const g = c.getContext('2d')!;
    g.drawImage(v, 0, 0, 64, 36);
    const d = g.getImageData(0, 0, 64, 36).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 60) lit++;
    return { currentTime: v.currentTime, width: v.videoWidth, height: v.videoHeight, lit };
  });
}

test('recordings page: pick, see the span, play at 2×, pause/step, seek by click, download a range, empty day', { skip, timeout: 120_000 }, async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: middayZone() });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const t0 = Date.now();
  try {
    // --- log in as the operator and open the page
    await page.goto(`${base}/login`);
    await page.locator('[data-test="login-username"] input, input[data-test="login-username"]').first().fill(OP.username);
    await page.locator('[data-test="login-password"] input, input[data-test="login-password"]').first().fill(OP.password);
    await byTest(page, 'login-submit').click();
    await byTest(page, 'nav-playback').click();
    await page.waitForURL(/\/playback$/);

    // --- pick the channel: the recorded span shows on the timeline; no plan editing without device.manage
    await byTest(page, `pb-channel-${channelId}`).click();
    const spanEl = byTest(page, 'pb-span');
    await spanEl.waitFor();
    const span = { startMs: Number(await spanEl.getAttribute('data-start')), endMs: Number(await spanEl.getAttribute('data-end')) };
    const server = await recordedSpan();
    assert.ok(Math.abs(span.startMs - server.startMs) < 1000, `timeline span starts at the recording (${span.startMs} vs ${server.startMs})`);
    assert.ok(span.endMs - span.startMs >= 20_000, `span of ${(span.endMs - span.startMs) / 1000} s`);
    assert.equal(await page.locator('[data-test="pb-plan-0"]').count(), 0, 'no record-plan button without device.manage');
    assert.match(await byTest(page, 'pb-rec-state').innerText(), /录像中/);

    // --- 2×, play: the first picture, then ≈2 s of recording per wall second
    await byTest(page, 'pb-speed').click();
    await page.locator('[data-test="pb-speed-2"]:visible').click();
    await byTest(page, 'pb-play').click();
    const pane = byTest(page, 'pb-pane-0');
    await page.waitForFunction(() => document.querySelector('[data-test="pb-pane-0"]')?.getAttribute('data-first-frame-ms'));
    const firstFrameMs = Number(await pane.getAttribute('data-first-frame-ms'));
    await sleep(500);
    const a = { s: await videoSample(page), pos: await serverMs(page), at: Date.now() };
    await sleep(2000);
    const b = { s: await videoSample(page), pos: await serverMs(page), at: Date.now() };
    assert.ok(b.s.currentTime - a.s.currentTime > 1.2, `video advanced ${(b.s.currentTime - a.s.currentTime).toFixed(2)} s in 2 s`);
    assert.deepEqual([b.s.width, b.s.height], [640, 360]);
    assert.ok(b.s.lit > 64 * 36 * 0.3, `picture is not black (${b.s.lit} of ${64 * 36} pixels lit)`);
    const rate = (b.pos - a.pos) / (b.at - a.at);
    assert.ok(rate > 1.4 && rate < 2.8, `position ran at ${rate.toFixed(2)}× wall time at 2×`);
    assert.match(await byTest(page, 'pb-pane-position').innerText(), /2×/);

    // --- Space pauses, → steps one frame
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Space');
    await page.waitForFunction(() => /播放/.test(document.querySelector('[data-test="pb-play"]')?.textContent ?? ''));
    await sleep(400);
    assert.equal(await byTest(page, 'pb-pane-0').getAttribute('data-paused'), 'true');
    const p0 = await serverMs(page);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((p) => Number(document.querySelector('[data-test="pb-pane-0"]')?.getAttribute('data-position-ms')) > p, p0);
    const p1 = await serverMs(page);
    assert.ok(p1 - p0 > 0 && p1 - p0 <= 200, `frame step moved ${p1 - p0} ms`);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => /暂停/.test(document.querySelector('[data-test="pb-play"]')?.textContent ?? ''));

    // --- zoom to 10 min around the cursor; click the timeline: the position follows
    await byTest(page, 'pb-zoom-10min').click();
    const target = span.startMs + 16_000;
    const click = await timelinePoint(page, target, 'lane');
    await page.mouse.click(click.x, click.y);
    const near = (ms: number) => ms >= target - 1100 && ms <= target + 4000;
    let pos = 0;
    for (let i = 0; i < 30 && !near(pos); i++) {
      await sleep(100);
      pos = await serverMs(page);
    }
    assert.ok(near(pos), `after a click at +16 s the session is at +${((pos - span.startMs) / 1000).toFixed(2)} s`);
    await sleep(1200);
    const [later, cursorLater] = [await serverMs(page), await cursorMs(page)];
    assert.ok(later > pos, 'playback goes on after the seek');
    assert.ok(Math.abs(cursorLater - later) < 1000, 'the timeline cursor follows the session');

    // --- select 10 s on the time axis and download: progress to 100 %, an MP4 of the range
    await byTest(page, 'pb-stop').click();
    const from = await timelinePoint(page, span.startMs + 3000, 'axis');
    const to = await timelinePoint(page, span.startMs + 13_000, 'axis');
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, from.y, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    await byTest(page, 'pb-selection-text').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), byTest(page, 'pb-download').click()]);
    await byTest(page, 'pb-download-done').waitFor();
    assert.equal(await byTest(page, 'pb-download-done').getAttribute('data-percent'), '100');
    const file = path.join(tmpdir(), `sharpeye-playback-e2e-${Date.now()}.mp4`);
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /^\d{20}_.*\.mp4$/);
    const size = statSync(file).size;
    assert.ok(size > 10_000, `MP4 of ${size} bytes`);
    assert.equal(readFileSync(file).subarray(4, 8).toString('latin1'), 'ftyp');
    const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', file])).stdout) as { format: { duration: string } };
    const duration = Number(probe.format.duration);
    rmSync(file, { force: true });
    assert.ok(Math.abs(duration - 10) <= 1.5, `downloaded ${duration} s for a 10 s selection`);

    // --- a day without recordings: the empty state
    const dateInput = page.locator('[data-test="pb-date"] input, input[data-test="pb-date"]').first();
    const yesterday = new Date(Date.now() - 86_400_000);
    const ymd = await page.evaluate((ms) => {
      const d = new Date(ms);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    }, yesterday.getTime());
    await dateInput.fill(ymd);
    await dateInput.press('Enter');
    await byTest(page, 'pb-empty').waitFor();
    assert.match(await byTest(page, 'pb-empty').innerText(), /该时间段无录像/);
    await byTest(page, 'pb-play').click();
    await page.locator('.el-message--warning:has-text("该时间段无录像")').waitFor();

    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    const errToasts = await page.locator('.el-message--error').allInnerTexts();
    assert.deepEqual(errToasts, []);
    console.log(`recordings page: first picture ${firstFrameMs} ms after pressing play; download ${size} bytes (${duration.toFixed(2)} s); scenario ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    const shot = path.join(tmpdir(), `sharpeye-playback-e2e-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    console.error(`screenshot: ${shot}; page errors: ${JSON.stringify(pageErrors)}; toasts: ${JSON.stringify(await page.locator('.el-message').allInnerTexts().catch(() => []))}`);
    throw e;
  } finally {
    await context.close().catch(() => undefined);
  }
});

test('recordings page: with device.manage the record-plan dialog shows the status and saves a weekly schedule', { skip, timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: middayZone() });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  try {
    await page.goto(`${base}/login`);
    await page.locator('[data-test="login-username"] input, input[data-test="login-username"]').first().fill('admin');
    await page.locator('[data-test="login-password"] input, input[data-test="login-password"]').first().fill(ADMIN_PASSWORD);
    await byTest(page, 'login-submit').click();
    await byTest(page, 'nav-playback').click();
    await byTest(page, `pb-channel-${channelId}`).click();
    await byTest(page, 'pb-plan-0').click();
    const dialog = page.locator('.el-dialog:visible');
    await dialog.locator('[data-test="pb-plan-status"]').waitFor();
    assert.match(await dialog.locator('[data-test="pb-plan-status"]').innerText(), /录像中/);
    await dialog.locator('[data-test="pb-plan-mode-schedule"]').click();
    // a schedule plan without windows cannot be saved
    assert.equal(await dialog.locator('[data-test="pb-plan-save"]').isDisabled(), true);
    await dialog.locator('[data-test="pb-window-add"]').click();
    await dialog.locator('[data-test="pb-plan-save"]').click();
    await dialog.waitFor({ state: 'hidden' });
    const plan = await api('GET', `/channels/${channelId}/record-plan`);
    assert.equal(plan.mode, 'schedule');
    assert.deepEqual(plan.schedule, [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }]);
    assert.deepEqual(pageErrors, []);
  } catch (e) {
    const shot = path.join(tmpdir(), `sharpeye-playback-e2e-plan-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    console.error(`screenshot: ${shot}; page errors: ${JSON.stringify(pageErrors)}`);
    throw e;
  } finally {
    await context.close().catch(() => undefined);
  }
});
