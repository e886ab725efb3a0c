/**
 * End-to-end test of the web console against the real server, in headless Chromium.
 *
 * Starts `node --import tsx src/main.ts` on free ports with a fresh data dir, then drives the console as admin
 * (org, device with archive fields, two channels, a role scoped to one channel, a user), logs in as that
 * user (who must see exactly the granted channel), imports devices from a CSV and exports the user log.
 * Needs the built console (`npm run build:web`; built here when dist/web is missing) and /usr/bin/chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.SHARPEYE_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN_PASSWORD = 'Admin@12345';

const ORG_ID = '11';
const ORG_NAME = 'E2E市';
const DEVICE_ID = '34020000001320000001';
const DEVICE_NAME = 'E2E东门设备';
const CH1 = '34020000001310000001';
const CH2 = '34020000001310000002';
const ROLE = 'operator-A';
const OP_USER = 'op1';
const OP_PASSWORD = 'Viewer#2024x';
const OP_NEW_PASSWORD = 'Viewer#2025y';
const IMPORT_IDS = ['34020000001320000101', '34020000001320000102'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(base: string, server: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not healthy after ${timeoutMs} ms:\n${output()}`);
}

function stopServer(server: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.pid === undefined) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-server.pid, 'SIGTERM'); // the whole group: the server and anything it started
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** The <input>/<textarea> of a `data-test` element (Element Plus puts the attribute on the input or its wrapper). */
function field(page: Page, name: string) {
  const s = `[data-test="${name}"]`;
  return page.locator(`input${s}, textarea${s}, ${s} input, ${s} textarea`).first();
}

const byTest = (page: Page, name: string) => page.locator(`[data-test="${name}"]`).first();

async function login(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/login`);
  await field(page, 'login-username').fill(username);
  await field(page, 'login-password').fill(password);
  await byTest(page, 'login-submit').click();
  await byTest(page, 'nav-dashboard').waitFor();
}

async function logout(page: Page) {
  await byTest(page, 'user-menu').click();
  await page.locator('[data-test="menu-logout"]:visible').click();
  await byTest(page, 'login-submit').waitFor();
}

/** Opens an el-select / el-tree-select by its wrapper and picks an option. */
async function pick(page: Page, wrapper: string, option: string, search?: string) {
  await page.locator(`[data-test="${wrapper}"] .el-select__wrapper`).first().click();
  if (search) await page.keyboard.type(search);
  await page.locator(`${option}:visible`).first().click();
}

/** Closes an open select dropdown by clicking the title of the drawer or dialog around it. */
async function closeDropdown(page: Page) {
  await page.locator('.el-drawer__title:visible, .el-dialog__title:visible').last().click();
  await page.locator('.el-select-dropdown:visible').first().waitFor({ state: 'hidden' }).catch(() => undefined);
}

async function expectNoErrorToast(page: Page, step: string) {
  const toast = page.locator('.el-message--error');
  if (await toast.count()) assert.fail(`${step}: error shown: ${await toast.first().innerText()}`);
}

interface Env {
  base: string;
  browser: Browser;
  server: ChildProcess;
  dataDir: string;
  output: () => string;
}
let env: Env | undefined;

before(async () => {
  if (!existsSync(path.join(ROOT, 'dist/web/index.html'))) {
    const r = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(r.status, 0, 'console build failed');
  }
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-e2e-'));
  const [httpPort, sipPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${httpPort}`;
  let output = '';
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SHARPEYE_DATA_DIR: dataDir,
      SHARPEYE_HTTP_PORT: String(httpPort),
      SHARPEYE_SIP_PORT: String(sipPort),
      SHARPEYE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SHARPEYE_LOG_LEVEL: 'warn',
    },
  });
  const collect = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  server.stdout!.on('data', collect);
  server.stderr!.on('data', collect);
  try {
    await waitForHealth(base, server, () => output);
  } catch (e) {
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  env = { base, browser, server, dataDir, output: () => output };
});

after(async () => {
  if (!env) return;
  await env.browser.close().catch(() => undefined);
  await stopServer(env.server);
  rmSync(env.dataDir, { recursive: true, force: true });
});

/** Runs a scenario in a fresh browser context; on failure leaves a screenshot and the server's output. */
async function scenario(name: string, body: (page: Page, base: string, api: <T>(p: string) => Promise<T>) => Promise<void>) {
  assert.ok(env, 'server and browser started');
  const { base, browser } = env;
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const api = async <T>(p: string): Promise<T> => {
    const token = await page.evaluate(() => localStorage.getItem('sharpeye.token'));
    const res = await fetch(`${base}/api/v1${p}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, `GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const t0 = Date.now();
  try {
    await body(page, base, api);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    const shot = path.join(tmpdir(), `sharpeye-console-e2e-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    const toasts = await page.locator('.el-message').allInnerTexts().catch(() => []);
    console.error(`${name} failed. screenshot: ${shot}\nurl: ${page.url()}\ntoasts: ${JSON.stringify(toasts)}\npage errors: ${JSON.stringify(pageErrors)}`);
    console.error(`server output (tail):\n${env.output().slice(-4000)}`);
    throw e;
  } finally {
    await context.close().catch(() => undefined);
  }
}

test('console: admin sets up scope, operator sees only the granted channel, import and log export', { timeout: 120_000 }, () =>
  scenario('main scenario', async (page, base, api) => {
    // --- admin logs in through the UI
    await login(page, base, 'admin', ADMIN_PASSWORD);
    for (const nav of ['devices', 'channels', 'orgs', 'users', 'roles', 'logs', 'apikeys', 'settings']) await byTest(page, `nav-${nav}`).waitFor();

    // --- an org
    await byTest(page, 'nav-orgs').click();
    await byTest(page, 'org-create-root').click();
    await field(page, 'org-field-id').fill(ORG_ID);
    await field(page, 'org-field-name').fill(ORG_NAME);
    await byTest(page, 'org-save').click();
    await byTest(page, `org-node-${ORG_ID}`).waitFor();
    await expectNoErrorToast(page, 'create org');

    // --- a device with archive fields
    await byTest(page, 'nav-devices').click();
    await byTest(page, 'device-create').click();
    await field(page, 'device-field-id').fill(DEVICE_ID);
    await field(page, 'device-field-name').fill(DEVICE_NAME);
    await field(page, 'device-field-manufacturer').fill('Hikvision');
    await field(page, 'device-field-model').fill('DS-2CD');
    await field(page, 'device-field-ip').fill('192.168.1.64');
    await field(page, 'device-field-port').fill('5060');
    await pick(page, 'device-field-org', `.el-tree-node__content:has-text("${ORG_NAME}")`);
    await field(page, 'device-field-installAddress').fill('东门岗亭');
    await field(page, 'device-field-longitude').fill('116.397128');
    await field(page, 'device-field-latitude').fill('39.916527');
    await pick(page, 'device-field-siteCategory', '[data-test="site-school"]');
    await field(page, 'device-field-installDate').fill('2024-05-01');
    await field(page, 'device-field-installDate').press('Enter');
    await field(page, 'device-field-ownerUnit').fill('第一中学');
    await field(page, 'device-field-contactPerson').fill('张三');
    await field(page, 'device-field-contactPhone').fill('13800000000');
    await byTest(page, 'cap-ir').click();
    await byTest(page, 'cap-ptz').click();
    await field(page, 'device-field-remark').fill('e2e');
    await byTest(page, 'device-save').click();
    await byTest(page, `device-link-${DEVICE_ID}`).waitFor();
    await expectNoErrorToast(page, 'create device');
    const dev = await api<Record<string, unknown>>(`/devices/${DEVICE_ID}`);
    assert.deepEqual(
      {
        name: dev.name,
        orgId: dev.orgId,
        siteCategory: dev.siteCategory,
        installDate: dev.installDate,
        longitude: dev.longitude,
        latitude: dev.latitude,
        ip: dev.ip,
        port: dev.port,
        ownerUnit: dev.ownerUnit,
        contactPerson: dev.contactPerson,
        caps: dev.capabilities,
      },
      {
        name: DEVICE_NAME,
        orgId: ORG_ID,
        siteCategory: 'school',
        installDate: '2024-05-01',
        longitude: 116.397128,
        latitude: 39.916527,
        ip: '192.168.1.64',
        port: 5060,
        ownerUnit: '第一中学',
        contactPerson: '张三',
        caps: { ir: true, lowLight: false, wdr: false, gps: false, ptz: true, faceCapture: false },
      },
    );

    // --- two channels, from the device's detail view
    await byTest(page, `device-link-${DEVICE_ID}`).click();
    await byTest(page, 'device-basic').waitFor();
    await page.locator('#tab-channels').click();
    for (const [id, name] of [
      [CH1, 'E2E通道一'],
      [CH2, 'E2E通道二'],
    ] as const) {
      await page.locator('[data-test="channel-create"]:visible').click();
      await field(page, 'channel-field-id').fill(id);
      await field(page, 'channel-field-name').fill(name);
      await byTest(page, 'channel-save').click();
      await page.locator(`[data-test="channel-edit-${id}"]`).waitFor();
    }
    await expectNoErrorToast(page, 'create channels');
    assert.equal((await api<{ total: number }>(`/channels?deviceId=${DEVICE_ID}`)).total, 2);

    // --- a role: live.view + device.view, scoped to channel 1 only
    await byTest(page, 'nav-roles').click();
    await byTest(page, 'role-create').click();
    await field(page, 'role-field-name').fill(ROLE);
    await field(page, 'role-field-description').fill('e2e operator');
    await byTest(page, 'perm-live.view').click();
    await byTest(page, 'perm-device.view').click();
    await pick(page, 'role-field-channels', `[data-test="channel-option-${CH1}"]`, CH1);
    await closeDropdown(page);
    await byTest(page, 'role-save').click();
    await byTest(page, `role-edit-${ROLE}`).waitFor();
    await expectNoErrorToast(page, 'create role');
    const roles = await api<{ name: string; permissions: string[]; channelIds: string[]; allChannels: boolean }[]>('/roles');
    const role = roles.find((r) => r.name === ROLE);
    assert.ok(role, 'role saved');
    assert.deepEqual([...role.permissions].sort(), ['device.view', 'live.view']);
    assert.deepEqual(role.channelIds, [CH1]);
    assert.equal(role.allChannels, false);

    // --- user op1 with that role (must change the password at first login)
    await byTest(page, 'nav-users').click();
    await byTest(page, 'user-create').click();
    await field(page, 'user-field-username').fill(OP_USER);
    await field(page, 'user-field-displayName').fill('操作员一');
    await field(page, 'user-field-password').fill(OP_PASSWORD);
    await pick(page, 'user-field-roles', `[data-test="role-option-${ROLE}"]`);
    await closeDropdown(page);
    await byTest(page, 'user-save').click();
    await byTest(page, `user-edit-${OP_USER}`).waitFor();
    await expectNoErrorToast(page, 'create user');

    // --- op1 sees exactly the granted channel
    await logout(page);
    await login(page, base, OP_USER, OP_PASSWORD);
    await field(page, 'pwd-old').fill(OP_PASSWORD);
    await field(page, 'pwd-new').fill(OP_NEW_PASSWORD);
    await field(page, 'pwd-confirm').fill(OP_NEW_PASSWORD);
    await byTest(page, 'pwd-save').click();
    await page.locator('[data-test="pwd-save"]').waitFor({ state: 'hidden' });
    assert.equal(await byTest(page, 'nav-users').count(), 0, 'op1 must not see the users page');
    await byTest(page, 'nav-channels').click();
    await page.locator('.channel-row').first().waitFor();
    await page.waitForLoadState('networkidle');
    const ids = await page.locator('.channel-row [data-test="channel-row-id"]').allInnerTexts();
    assert.deepEqual(ids.map((s) => s.trim()), [CH1]);
    assert.equal(await page.locator('[data-test="channel-create"]').count(), 0, 'op1 cannot create channels');

    // --- back as admin: import devices from a CSV
    await logout(page);
    await login(page, base, 'admin', ADMIN_PASSWORD);
    await byTest(page, 'nav-devices').click();
    await byTest(page, 'device-import').click();
    const header = '设备编码,设备名称,厂商,IP地址,场所类别,安装日期,所属组织编码\n';
    await byTest(page, 'import-file').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}${IMPORT_IDS[0]},导入一,Dahua,not-an-ip,学校,2024-01-01,${ORG_ID}\n`),
    });
    await byTest(page, 'import-submit').click();
    await page.locator('[data-test="import-errors"] .el-table__row').first().waitFor();
    assert.match(await byTest(page, 'import-errors').innerText(), /IP/);
    await byTest(page, 'import-file').setInputFiles({
      name: 'devices.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `${header}${IMPORT_IDS[0]},导入一,Dahua,10.0.0.1,学校,2024-01-01,${ORG_ID}\n${IMPORT_IDS[1]},导入二,Uniview,10.0.0.2,停车场,2024/2/3,\n`,
      ),
    });
    await byTest(page, 'import-submit').click();
    await byTest(page, 'import-result').waitFor();
    await page.locator('.el-dialog:visible .el-dialog__footer button').first().click();
    for (const id of IMPORT_IDS) await byTest(page, `device-link-${id}`).waitFor();

    // --- logs: export the user log as CSV, it must contain op1's login
    await byTest(page, 'nav-logs').click();
    await page.locator('.log-row').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), byTest(page, 'log-export-csv').click()]);
    const file = await download.path();
    assert.ok(file, 'download saved');
    const csv = readFileSync(file, 'utf8');
    const op1Logins = csv.split(/\r?\n/).filter((line) => line.includes(OP_USER) && /login/i.test(line));
    assert.ok(op1Logins.length >= 1, `user log export lacks op1's login:\n${csv.slice(0, 2000)}`);
    assert.match(download.suggestedFilename(), /\.csv$/);
  }));

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

test('console: device detail tabs, API keys, settings, language, lockout and unlock', { timeout: 120_000 }, () =>
  scenario('detail/admin scenario', async (page, base, api) => {
    const send = async (method: string, p: string, body: unknown) => {
      const token = await page.evaluate(() => localStorage.getItem('sharpeye.token'));
      const res = await fetch(`${base}/api/v1${p}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(res.ok, `${method} ${p}: ${res.status} ${await res.text()}`);
    };
    const confirmBox = () => page.locator('.el-message-box .el-button--primary').click();
    const devId = '34020000001320000201';

    await login(page, base, 'admin', ADMIN_PASSWORD);
    await page.locator('[data-test="live-indicator"].on').waitFor(); // event WebSocket connected
    await send('POST', '/devices', { id: devId, name: '详情测试设备' });

    // maintenance records: add, then delete
    await page.goto(`${base}/devices/${devId}`);
    await byTest(page, 'device-basic').waitFor();
    await page.locator('#tab-maintenance').click();
    await byTest(page, 'maintenance-add').click();
    await field(page, 'maintenance-person').fill('李四');
    await field(page, 'maintenance-content').fill('更换电源适配器');
    await byTest(page, 'maintenance-save').click();
    const record = page.locator('[data-test="maintenance-table"] .el-table__row', { hasText: '更换电源适配器' });
    await record.waitFor();
    assert.equal((await api<unknown[]>(`/devices/${devId}/maintenance`)).length, 1);
    await record.locator('button', { hasText: '删除' }).click();
    await confirmBox();
    await record.waitFor({ state: 'detached' });

    // photos: upload, preview through an authenticated blob URL, delete
    await page.locator('#tab-photos').click();
    await byTest(page, 'photo-file').setInputFiles({ name: 'gate.png', mimeType: 'image/png', buffer: PNG });
    const photo = byTest(page, 'photo-item');
    await photo.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-test="photo-item"] img')?.getAttribute('src')?.startsWith('blob:'));
    assert.equal((await api<unknown[]>(`/devices/${devId}/photos`)).length, 1);
    await photo.locator('button', { hasText: '删除' }).click();
    await confirmBox();
    await photo.waitFor({ state: 'detached' });

    // API key: created, shown once, usable, deleted
    await byTest(page, 'nav-apikeys').click();
    await byTest(page, 'apikey-create').click();
    await field(page, 'apikey-field-name').fill('e2e-key');
    await byTest(page, 'apikey-scope-basic:read').click();
    await byTest(page, 'apikey-save').click();
    const key = await field(page, 'apikey-created-key').inputValue();
    assert.ok(key.length >= 16, 'the new key is shown');
    const viaKey = await fetch(`${base}/api/v1/devices?pageSize=1`, { headers: { 'X-API-Key': key } });
    assert.equal(viaKey.status, 200, 'the shown key works');
    await byTest(page, 'apikey-created-close').click();
    await byTest(page, 'apikey-delete-e2e-key').click();
    await confirmBox();
    await byTest(page, 'apikey-delete-e2e-key').waitFor({ state: 'detached' });

    // settings
    await byTest(page, 'nav-settings').click();
    await field(page, 'settings-logRetentionDays').fill('365');
    await byTest(page, 'settings-save').click();
    await page.locator('.el-message--success').first().waitFor();
    assert.equal((await api<{ logRetentionDays: number }>('/settings')).logRetentionDays, 365);

    // language: English survives a reload, then back to Chinese
    await byTest(page, 'lang-switch').click();
    await page.locator('[data-test="lang-en"]:visible').click();
    assert.equal((await byTest(page, 'nav-devices').innerText()).trim(), 'Devices');
    await page.reload();
    assert.equal((await byTest(page, 'nav-devices').innerText()).trim(), 'Devices');
    await byTest(page, 'lang-switch').click();
    await page.locator('[data-test="lang-zh-CN"]:visible').click();
    assert.equal((await byTest(page, 'nav-devices').innerText()).trim(), '设备档案');

    // lockout after 5 failures is shown on the login page; admin unlocks
    await send('POST', '/users', { username: 'locky', password: 'Blocked#2024x', mustChangePassword: false });
    await logout(page);
    await field(page, 'login-username').fill('locky');
    for (let i = 0; i < 5; i++) {
      await field(page, 'login-password').fill(`wrong-${i}`);
      await byTest(page, 'login-submit').click();
      await byTest(page, 'login-error').waitFor();
      await page.waitForFunction(() => !document.querySelector('[data-test="login-submit"]')?.classList.contains('is-loading'));
    }
    await field(page, 'login-password').fill('Blocked#2024x');
    await byTest(page, 'login-submit').click();
    await page.locator('[data-test="login-error"]', { hasText: '账号已锁定' }).waitFor();
    await login(page, base, 'admin', ADMIN_PASSWORD);
    await byTest(page, 'nav-users').click();
    await byTest(page, 'user-unlock-locky').click();
    await byTest(page, 'user-unlock-locky').waitFor({ state: 'detached' });
    const users = await api<{ items: { username: string; locked: boolean }[] }>('/users?q=locky');
    assert.equal(users.items.find((u) => u.username === 'locky')?.locked, false);
  }));
