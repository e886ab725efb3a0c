/**
 * Electronic patrol, real-time alarms and the map (issue 10) in headless Chromium against the real platform fed by the
 * GB/T 28181 simulator (2 devices × 4 channels playing a 360p H.264 clip).
 *
 * - A plan whose window opens during the test starts on the server with no browser connected and turns its page;
 *   a browser that connects afterwards shows the page the server is on, with its videos playing.
 * - Two browser contexts (admin and an operator) watching the plan stay on the same page through pause, manual
 *   paging (next/prev) and resume, and through a page turn made by the server.
 * - An alarm raised by a simulated camera reaches the console of an operator allowed to see that channel (bell and
 *   list) within 2 s and never the console of an operator restricted to other channels; it is acknowledged with a
 *   comment, and opens live video and the recordings page at the alarm time.
 * - The map shows the simulated channels at their catalog longitude/latitude (in the right places relative to each
 *   other) on the grid base, and a click opens live video.
 * The server's clock is the test's manual clock, so page turns and windows happen exactly when the test moves it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/platform.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.SHARPEYE_CHROMIUM ?? '/usr/bin/chromium';
/** The built console; SHARPEYE_E2E_WEB_DIR points at another build (e.g. one made while dist/web is in use). */
const WEB_DIR = process.env.SHARPEYE_E2E_WEB_DIR ?? path.join(ROOT, 'dist/web');
const skip = (!HAVE_FFMPEG && 'ffmpeg missing') || (!existsSync(CHROMIUM) && `Chromium missing at ${CHROMIUM}`) || false;
const PASSWORD = 'Patrol#E2e2026';
const local = (s: string) => new Date(`${s}+08:00`);
/** Set to a directory to keep screenshots of the pages (documentation, eyeballing). */
const SHOTS = process.env.SHARPEYE_E2E_SHOTS;

let t: TestApp;
let sim: Simulator;
let browser: Browser;
let base: string;
let devA: string;
let devB: string;
let chA: string[] = [];
let chB: string[] = [];

before(async () => {
  if (skip) return;
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) {
    const r = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(r.status, 0, 'console build failed');
  }
  const clip = await testClip('h264-360p');
  t = await startTestApp('sqlite', { SHARPEYE_WEB_DIR: WEB_DIR });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 2, channelsPerDevice: 4, media: clip, idStart: 61, log: createLogger('silent') });
  await sim.start();
  [devA, devB] = sim.deviceIds() as [string, string];
  chA = sim.channelIds(devA);
  chB = sim.channelIds(devB);
  for (let i = 0; i < 200; i++) {
    const r = await api('GET', '/channels?online=true&pageSize=100', t.admin);
    if (r.json().total >= 8) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const users: [string, string[], string[]][] = [
    ['patrolop', [...chA, ...chB], ['live.view', 'patrol.manage', 'playback.view']],
    ['alarmopa', chA, ['live.view', 'alarm.handle', 'playback.view']],
    ['alarmopb', chB, ['live.view', 'alarm.handle', 'playback.view']],
  ];
  for (const [name, channelIds, permissions] of users) {
    const role = await api('POST', '/roles', t.admin, { name: `role-${name}`, permissions, channelIds });
    assert.equal(role.statusCode, 201, role.body);
    const u = await api('POST', '/users', t.admin, { username: name, password: PASSWORD, roleIds: [role.json().id] });
    assert.equal(u.statusCode, 201, u.body);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await sim?.stop();
  await t?.close();
});

async function api(method: string, url: string, headers: Record<string, string>, payload?: unknown) {
  return t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: { ...headers, host: new URL(base).host }, payload: payload as never });
}

const byTest = (page: Page, name: string) => page.locator(`[data-test="${name}"]`).first();
const input = (page: Page, name: string) => page.locator(`input[data-test="${name}"], [data-test="${name}"] input`).first();

async function login(context: BrowserContext, username: string, password: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${base}/login`);
  await input(page, 'login-username').fill(username);
  await input(page, 'login-password').fill(password);
  await byTest(page, 'login-submit').click();
  await byTest(page, 'nav-dashboard').waitFor();
  return page;
}

/** The patrol status of a page: page number, count, paused, and the channels in the panes. */
async function patrolView(page: Page) {
  return page.evaluate(() => {
    const s = document.querySelector('[data-test="patrol-status"]');
    const panes = Array.from(document.querySelectorAll('[data-test="patrol-wall"] [data-test^="live-pane-"]')).map((p) => p.getAttribute('data-channel') ?? '');
    return { running: s?.getAttribute('data-running'), paused: s?.getAttribute('data-paused'), page: Number(s?.getAttribute('data-page')), count: Number(s?.getAttribute('data-page-count')), panes: panes.filter(Boolean) };
  });
}

async function waitPatrol(page: Page, want: { page: number; paused: boolean }, what: string) {
  await page
    .waitForFunction(
      ({ p, paused }) => {
        const s = document.querySelector('[data-test="patrol-status"]');
        return s?.getAttribute('data-page') === String(p) && s.getAttribute('data-paused') === String(paused);
      },
      { p: want.page, paused: want.paused },
      { timeout: 10_000 },
    )
    .catch(async () => assert.fail(`${what}: ${JSON.stringify(await patrolView(page))}`));
}

async function playing(page: Page, scope: string, i: number) {
  await page.waitForFunction(({ scope, i }) => document.querySelector(`${scope} [data-test="live-pane-${i}"]`)?.getAttribute('data-state') === 'playing', { scope, i }, { timeout: 25_000 }).catch(async (e) => {
    const st = await page.locator(`${scope} [data-test="live-pane-${i}"]`).first().getAttribute('data-state');
    throw new Error(`pane ${i} in ${scope} not playing (state ${st}): ${(e as Error).message}`);
  });
}

test('patrol plan on the server, two consoles in step, alarms to the right console, map', { skip, timeout: 180_000 }, async () => {
  const t0 = Date.now();
  const engine = t.platform.patrol!.engine;
  const all = [...chA, ...chB];

  // ---- a plan whose window opens during the test, with no browser connected
  t.clock.set(local('2026-11-25T09:59:50'));
  const task = await api('POST', '/patrol/tasks', t.admin, { name: '园区巡逻', layout: 4, dwellSeconds: 30, items: all.map((channelId) => ({ channelId })) });
  assert.equal(task.statusCode, 201, task.body);
  const plan = await api('POST', '/patrol/plans', t.admin, { name: '上午巡逻', taskId: task.json().id, wall: 'control-room', windows: [{ days: [3], from: '10:00', to: '11:00' }] });
  assert.equal(plan.statusCode, 201, plan.body);
  const planId = plan.json().id as string;
  const state = async () => (await api('GET', `/patrol/plans/${planId}/state`, t.admin)).json();
  await engine.tick();
  assert.equal((await state()).running, false, 'not before its window');
  t.clock.set(local('2026-11-25T10:00:00'));
  await engine.tick();
  let s = await state();
  assert.deepEqual([s.running, s.page, s.pageCount, s.channelIds], [true, 1, 2, chA]);
  // 3 s before the turn the next page is pre-invited; the streams are really started on the devices
  const invitesBefore = sim.stats().invites ?? 0;
  t.clock.advance(27_500);
  await engine.tick();
  assert.deepEqual(engine.preinvited.slice(-4).map((p) => p.channelId), chB);
  t.clock.advance(2_500);
  await engine.tick();
  s = await state();
  assert.deepEqual([s.page, s.channelIds], [2, chB], 'the server turned the page with no browser open');
  for (let i = 0; i < 100 && (sim.stats().invites ?? 0) - invitesBefore < 4; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(`pre-invite: ${(sim.stats().invites ?? 0) - invitesBefore} INVITEs reached the simulator for the next page before/at the turn`);

  // ---- a browser that connects now shows the page the server is on, playing
  const ctxA = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  const ctxB = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  const pageA = await login(ctxA, 'admin', ADMIN_PASSWORD);
  const pageB = await login(ctxB, 'patrolop', PASSWORD);
  await pageA.goto(`${base}/patrol?plan=${planId}`);
  await waitPatrol(pageA, { page: 2, paused: false }, 'late browser shows the server page');
  const late = await patrolView(pageA);
  assert.deepEqual([late.count, late.panes], [2, chB]);
  const tPlay = Date.now();
  for (let i = 0; i < 4; i++) await playing(pageA, '[data-test="patrol-wall"]', i);
  console.log(`late browser: page 2/2 of the server, 4 panes playing ${Date.now() - tPlay} ms after the page opened (streams pre-invited)`);
  if (SHOTS) await pageA.screenshot({ path: path.join(SHOTS, 'patrol.png') });

  // ---- two consoles stay in step through pause, manual paging and resume
  await pageB.goto(`${base}/patrol?plan=${planId}`);
  await waitPatrol(pageB, { page: 2, paused: false }, 'second console');
  const both = async (want: { page: number; paused: boolean }, what: string) => {
    await Promise.all([waitPatrol(pageA, want, `${what} (admin)`), waitPatrol(pageB, want, `${what} (operator)`)]);
    const [a, b] = await Promise.all([patrolView(pageA), patrolView(pageB)]);
    assert.deepEqual(a.panes, b.panes, `${what}: same channels in both consoles`);
    assert.deepEqual(a.panes, want.page === 1 ? chA : chB);
    return a;
  };
  const steps: [Page, string, { page: number; paused: boolean }][] = [
    [pageA, 'pause', { page: 2, paused: true }],
    [pageB, 'next', { page: 1, paused: true }],
    [pageA, 'prev', { page: 2, paused: true }],
    [pageB, 'next', { page: 1, paused: true }],
    [pageB, 'resume', { page: 1, paused: false }],
  ];
  const lag: number[] = [];
  for (const [who, action, want] of steps) {
    const clickAt = Date.now();
    await byTest(who, `patrol-ctl-${action}`).click();
    await both(want, action);
    lag.push(Date.now() - clickAt);
  }
  // the server turns the page while both watch (resume gave page 1 its full 30 s)
  t.clock.advance(30_000);
  await engine.tick();
  await both({ page: 2, paused: false }, 'server page turn');
  console.log(`two consoles in step: pause, next, prev, next, resume, server turn; click → both consoles updated in ${lag.join(', ')} ms`);
  const log = (await api('GET', `/logs/user?q=${planId}&pageSize=50`, t.admin)).json();
  const acts = log.items.map((l: { username: string; action: string }) => `${l.username}:${l.action}`).reverse();
  assert.deepEqual(acts, ['admin:patrol.plan.create', 'scheduler:patrol.start', 'admin:patrol.pause', 'patrolop:patrol.next', 'admin:patrol.prev', 'patrolop:patrol.next', 'patrolop:patrol.resume']);
  await ctxA.close();
  await ctxB.close();
  await api('POST', `/patrol/plans/${planId}/control`, t.admin, { action: 'stop' });

  // ---- alarms: to the console allowed to see the channel, within 2 s; not to the other
  const ctxAl = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  const ctxBl = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  const opA = await login(ctxAl, 'alarmopa', PASSWORD);
  const opB = await login(ctxBl, 'alarmopb', PASSWORD);
  await opA.goto(`${base}/alarms`);
  await opB.goto(`${base}/alarms`);
  await byTest(opA, 'alarms-table').waitFor();
  await byTest(opB, 'alarms-table').waitFor();
  await opA.waitForTimeout(500); // event sockets open
  const sent = Date.now();
  assert.equal(await sim.raiseAlarm(devA, chA[2], { priority: 1, method: 5, description: '区域入侵 e2e' } as never), 200);
  await opA.waitForFunction(() => Number(document.querySelector('[data-test="alarm-bell"]')?.getAttribute('data-unseen')) >= 1 || !!document.querySelector('.alarm-row.fresh'), null, { timeout: 2000 });
  const seenIn = Date.now() - sent;
  const row = opA.locator(`[data-channel="${chA[2]}"]`).first();
  await row.waitFor({ timeout: 2000 });
  const rowIn = Date.now() - sent;
  await opB.waitForTimeout(Math.max(0, 2000 - (Date.now() - sent)));
  assert.equal(await opB.locator(`[data-channel="${chA[2]}"]`).count(), 0, 'the restricted operator’s list stays empty');
  assert.equal(await byTest(opB, 'alarm-bell').getAttribute('data-unseen'), '0', 'and the bell silent');
  console.log(`alarm: simulator → allowed console notified in ${seenIn} ms, row in the list in ${rowIn} ms; restricted console: nothing after 2 s`);
  const alarmId = (await row.getAttribute('data-test'))!.replace('alarm-row-', '');
  // live video from the alarm, then acknowledge with a comment
  await byTest(opA, `alarm-live-${alarmId}`).click();
  await playing(opA, '[data-test="live-dialog"]', 0);
  await opA.keyboard.press('Escape');
  await byTest(opA, `alarm-ack-${alarmId}`).click();
  await opA.locator('[data-test="alarm-ack-comment"] textarea, textarea[data-test="alarm-ack-comment"]').first().fill('已核实，安排巡查');
  await byTest(opA, 'alarm-ack-submit').click();
  await byTest(opA, 'alarms-all').click();
  await byTest(opA, `alarm-acked-${alarmId}`).waitFor();
  if (SHOTS) await opA.screenshot({ path: path.join(SHOTS, 'alarms.png') });
  const stored = (await api('GET', `/logs/alarm?deviceId=${devA}`, t.admin)).json().items.find((x: { id: number }) => String(x.id) === alarmId);
  assert.deepEqual([stored.ackedBy, stored.ackComment], ['alarmopa', '已核实，安排巡查']);
  // the recording around the alarm: the recordings page opens on that channel and day
  await byTest(opA, `alarm-playback-${alarmId}`).click();
  await opA.waitForURL(/\/playback\?channel=/);
  assert.equal(new URL(opA.url()).searchParams.get('channel'), chA[2]);
  const chName = (await api('GET', `/channels/${chA[2]}`, t.admin)).json().name as string;
  await opA.locator('[data-test="pb-pane-0"] .pb-pane-name', { hasText: chName }).waitFor();
  await ctxAl.close();
  await ctxBl.close();

  // ---- the map: simulated channels at their positions, grid base, click for live video
  const ctxM = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
  const pm = await login(ctxM, 'admin', ADMIN_PASSWORD);
  await pm.goto(`${base}/map`);
  await byTest(pm, 'map').waitFor();
  await pm.waitForFunction(() => Number(document.querySelector('[data-test="map-counts"]')?.getAttribute('data-total')) >= 8);
  await byTest(pm, 'map-cluster-toggle').click(); // clustering off: one marker per channel
  const expected = new Map<string, { lng: number; lat: number }>();
  for (const id of all) {
    const c = (await api('GET', `/channels/${id}`, t.admin)).json();
    expected.set(id, { lng: c.longitude, lat: c.latitude });
  }
  await pm.waitForFunction((n) => document.querySelectorAll('[data-test^="map-pt-"]').length >= n, all.length);
  const shown = await pm.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('[data-test^="map-pt-"]')).map((e) => {
      const r = e.getBoundingClientRect();
      return { id: e.dataset.id!, lng: Number(e.dataset.lng), lat: Number(e.dataset.lat), online: e.dataset.online, x: r.x + r.width / 2, y: r.y + r.height / 2 };
    }),
  );
  const mine = shown.filter((p) => expected.has(p.id));
  assert.equal(mine.length, all.length, 'every simulated channel has a marker');
  for (const p of mine) {
    assert.deepEqual([p.lng, p.lat, p.online], [expected.get(p.id)!.lng, expected.get(p.id)!.lat, 'true'], `marker of ${p.id}`);
  }
  // placed where they belong relative to each other: east is right, north is up
  for (const a of mine) {
    for (const b of mine) {
      if (a.lng > b.lng + 1e-4) assert.ok(a.x > b.x, `${a.id} is east of ${b.id}`);
      if (a.lat > b.lat + 1e-4) assert.ok(a.y < b.y, `${a.id} is north of ${b.id}`);
    }
  }
  assert.equal(await pm.locator('.leaflet-tile-container canvas').count() > 0, true, 'the grid base is drawn (no tile server configured)');
  if (SHOTS) await pm.screenshot({ path: path.join(SHOTS, 'map.png') });
  await pm.locator(`[data-test="map-pt-${chB[1]}"]`).click();
  await byTest(pm, `map-live-${chB[1]}`).click();
  await playing(pm, '[data-test="live-dialog"]', 0);
  await ctxM.close();
  console.log(`patrol e2e took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
