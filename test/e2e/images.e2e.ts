/**
 * The face/vehicle image page in headless Chromium (issue 12): captures pushed through the served seed interface
 * (real JPEGs made by ffmpeg) show up in the gallery with every face box drawn where `facePos` puts it on the
 * background picture, vehicle passes show their plate and pictures, a user without the capture's channel sees
 * nothing, and the forwarding tab shows a bureau target's state and queue.
 * Needs the built console (SHARPEYE_E2E_WEB_DIR, else dist/web; built when missing), /usr/bin/chromium, ffmpeg.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HAVE_FFMPEG } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { SeedTestClient, carJson, faceJson } from '../images/seed-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB_DIR = process.env.SHARPEYE_E2E_WEB_DIR ?? path.join(ROOT, 'dist/web');
const CHROMIUM = process.env.SHARPEYE_CHROMIUM ?? '/usr/bin/chromium';
const skip = (!existsSync(CHROMIUM) && `no ${CHROMIUM}`) || (!HAVE_FFMPEG && 'ffmpeg missing') || false;
const CAM = '35020000001320000501';
const CAM_CH = '35020000001310000501';
const KAKOU = '35020000001320000502';
const PASSWORD = 'Images#2024x';

let t: TestApp;
let browser: Browser;
let base = '';
const tmp = mkdtempSync(path.join(tmpdir(), 'sharpeye-img-e2e-'));

/** A JPEG of ffmpeg's test pattern. */
function jpeg(name: string, size: string): Buffer {
  const file = path.join(tmp, `${name}.jpg`);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=1`, '-frames:v', '1', file]);
  assert.equal(r.status, 0, r.stderr?.toString());
  return readFileSync(file);
}

before(async () => {
  if (skip) return;
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) {
    const r = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(r.status, 0, 'console build failed');
  }
  t = await startTestApp('sqlite', { SHARPEYE_WEB_DIR: WEB_DIR });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const api = (method: 'POST', url: string, payload: object) => t.app.inject({ method, url: `/api/v1${url}`, headers: t.admin, payload });
  assert.equal((await api('POST', '/devices', { id: CAM, name: '人脸相机' })).statusCode, 201);
  assert.equal((await api('POST', '/channels', { id: CAM_CH, deviceId: CAM, name: '东门人脸' })).statusCode, 201);
  assert.equal((await api('POST', '/devices', { id: KAKOU, name: '卡口' })).statusCode, 201);
  // a bureau target nobody listens on: the capture below queues for it
  assert.equal((await api('POST', '/image-forward/targets', { name: '市局人像云', kind: 'face', url: 'http://127.0.0.1:9/redis/rest/face', retryMaxSeconds: 5 })).statusCode, 201);
  const face = new SeedTestClient(base, 'face');
  const key = await face.key({ deviceID: CAM });
  const bg = jpeg('bg', '1280x720');
  const crop = jpeg('face', '96x120');
  // four faces at known places: 10 %, 30 %, 50 %, 70 % across, a fifth of the height tall
  const json = faceJson(CAM, [crop, crop, crop, crop], bg);
  (json.faceImages as Array<{ facePos: object }>).forEach((f, i) => (f.facePos = { leftTopX: 128 + i * 256, leftTopY: 144, rightBottomX: 256 + i * 256, rightBottomY: 288 }));
  (json.backgroundImage as { width: number; height: number }).width = 1280;
  (json.backgroundImage as { width: number; height: number }).height = 720;
  assert.equal((await face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify(json) })).body.success, true);
  const car = new SeedTestClient(base, 'car');
  const carKey = await car.key({ gbid: KAKOU });
  assert.equal((await car.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: carKey, imageJsonData: JSON.stringify(carJson(KAKOU, 'GC-E2E-1', '闽D88888', jpeg('car', '640x360'), jpeg('plate', '160x48'))) })).body.success, true);
  const role = await api('POST', '/roles', { name: 'no-cams', permissions: ['image.view'], channelIds: [] });
  assert.equal((await api('POST', '/users', { username: 'imgview', password: PASSWORD, roleIds: [role.json().id] })).statusCode, 201);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await t?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const byTest = (page: Page, name: string) => page.locator(`[data-test="${name}"]`).first();
const input = (page: Page, name: string) => page.locator(`input[data-test="${name}"], [data-test="${name}"] input`).first();

async function login(username: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${base}/login`);
  await input(page, 'login-username').fill(username);
  await input(page, 'login-password').fill(password);
  await byTest(page, 'login-submit').click();
  await byTest(page, 'nav-dashboard').waitFor();
  return page;
}

test('gallery draws the face boxes on the background; passes show plates; scope hides; forwarding shows the queue', { skip, timeout: 120_000 }, async () => {
  const page = await login('admin', 'Admin@12345');
  await byTest(page, 'nav-images').click();
  await byTest(page, 'face-card').waitFor();
  // the background loaded and the four boxes sit where facePos puts them
  await page.waitForFunction(() => (document.querySelector('[data-test="face-card"] img') as HTMLImageElement | null)?.naturalWidth === 1280);
  const geo = await page.evaluate(() => {
    const img = document.querySelector('[data-test="face-card"] .face-bg img')!.getBoundingClientRect();
    const boxes = Array.from(document.querySelectorAll('[data-test="face-card"] [data-test="face-box"]')).map((b) => b.getBoundingClientRect());
    return { img: { x: img.x, y: img.y, w: img.width, h: img.height }, boxes: boxes.map((b) => ({ x: b.x, y: b.y, w: b.width, h: b.height })) };
  });
  assert.equal(geo.boxes.length, 4);
  geo.boxes.forEach((b, i) => {
    assert.ok(Math.abs(b.x - (geo.img.x + geo.img.w * (0.1 + i * 0.2))) < 3, `box ${i} x`);
    assert.ok(Math.abs(b.y - (geo.img.y + geo.img.h * 0.2)) < 3, `box ${i} y`);
    assert.ok(Math.abs(b.w - geo.img.w * 0.1) < 4 && Math.abs(b.h - geo.img.h * 0.2) < 4, `box ${i} size`);
  });
  const crops = await page.evaluate(() => Array.from(document.querySelectorAll('[data-test="face-card"] .face-crops img')).map((i) => (i as HTMLImageElement).naturalWidth));
  assert.deepEqual(crops, [96, 96, 96, 96]);
  await page.screenshot({ path: path.join(tmpdir(), 'sharpeye-images-gallery.png') });

  await page.getByRole('tab', { name: '过车记录' }).click();
  await byTest(page, 'pass-plate').waitFor();
  assert.equal(await byTest(page, 'pass-plate').textContent(), '闽D88888');
  await input(page, 'img-plate').fill('D1');
  await byTest(page, 'img-search').click();
  await page.waitForFunction(() => !document.querySelector('[data-test="pass-plate"]'));

  await page.getByRole('tab', { name: '转发市局' }).click();
  await byTest(page, 'target-state').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test="target-pending"]')?.textContent === '1', undefined, { timeout: 15_000 });
  assert.match((await byTest(page, 'target-state').textContent()) ?? '', /市局不可达|连接中/);
  await page.screenshot({ path: path.join(tmpdir(), 'sharpeye-images-forward.png') });

  // a user whose roles hold no channel sees no capture
  const viewer = await login('imgview', PASSWORD);
  await byTest(viewer, 'nav-images').click();
  await byTest(viewer, 'face-gallery').waitFor();
  await viewer.waitForTimeout(500);
  assert.equal(await viewer.locator('[data-test="face-card"]').count(), 0);
});
