/**
 * The built console under the secure headers (R11): served over HTTPS with the self-signed certificate generated at
 * start, every page of the menu is opened in headless Chromium and no Content-Security-Policy violation may occur;
 * the "who watched what" page lists the views recorded in the user log.
 * Needs the built console (`npm run build:web`, or SHARPEYE_E2E_WEB_DIR) and /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startCapturedApp } from '../security/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = process.env.SHARPEYE_E2E_WEB_DIR ?? path.join(ROOT, 'dist/web');
const CHROMIUM = process.env.SHARPEYE_CHROMIUM ?? '/usr/bin/chromium';
const PAGES = ['/dashboard', '/live', '/devices', '/channels', '/playback', '/patrol', '/alarms', '/map', '/images', '/orgs', '/users', '/roles', '/logs', '/view-audit', '/api-keys', '/settings', '/status'];

let browser: Browser | undefined;
let t: Awaited<ReturnType<typeof startCapturedApp>> | undefined;
after(async () => {
  await browser?.close();
  await t?.close();
});

test('every console page runs under the CSP over HTTPS; the view report shows recorded views', async () => {
  if (!existsSync(path.join(WEB, 'index.html'))) {
    const b = spawnSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(b.status, 0, 'npm run build:web');
  }
  t = await startCapturedApp('sqlite', { SHARPEYE_TLS_SELF_SIGNED: 'true', SHARPEYE_WEB_DIR: WEB });
  await t.platform.store.logs.appendUser({ at: new Date().toISOString(), userId: null, username: 'op-e2e', action: 'live.start', targetType: 'channel', targetId: '35020000001310000001', detail: 'main', ip: '10.0.0.1', result: 'ok' });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `https://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = await browser.newContext({ ignoreHTTPSErrors: true }); // trust itself is checked in test/security
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
  });
  const res = await page.goto(`${base}/login`);
  assert.match(String(res?.headers()['content-security-policy']), /script-src 'self'/);
  assert.equal(res?.headers()['strict-transport-security'], 'max-age=31536000');
  await page.locator('[data-test="login-username"] input, input[data-test="login-username"]').first().fill('admin');
  await page.locator('[data-test="login-password"] input, input[data-test="login-password"]').first().fill('Admin@12345');
  await page.locator('[data-test="login-submit"]').first().click();
  await page.locator('[data-test="nav-dashboard"]').first().waitFor({ timeout: 20_000 });
  for (const p of PAGES) {
    await page.goto(`${base}${p}`);
    await page.locator('.page, .page-card, main').first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
  }
  await page.goto(`${base}/view-audit`);
  await page.locator('[data-test="views-table"] .el-table__row').first().waitFor({ timeout: 10_000 });
  assert.match(await page.locator('[data-test="views-table"]').innerText(), /op-e2e/);
  assert.deepEqual(violations, []);
  // the detector itself: an inline script is refused and reported
  await page.addScriptTag({ content: 'window.__inline = 1' }).catch(() => undefined);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline), undefined);
  assert.ok(violations.some((v) => /script-src/.test(v)), `inline script reported: ${violations.join(' | ')}`);
});
