import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { namingServiceOf } from '../../src/api/routes/naming.js';
import { freeUdpPort, SIPP_DIR } from '../helpers/sipp.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

interface Camera {
  dev: string;
  ch1: string;
  result: 'OK' | 'ERROR' | 'NONE';
  dir: string;
  done: Promise<{ code: number | null; output: string }>;
}

/**
 * sipp (Debian sip-tester, an independent peer) as the camera: registers, answers DeviceInfo/Catalog, and answers
 * the platform's DeviceConfig/OSDConfig with Result `result`. Every message it saw is traced to a file (raw bytes).
 */
function startCamera(server: string, port: number, dev: string, ch1: string, result: Camera['result'], pauseMs: number): Camera {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-osd-'));
  const vars = { dev, domain: dev.slice(0, 10), srv: '35020000002000000001', ch1, result };
  const args = [server, '-sf', path.join(SIPP_DIR, 'naming-device.xml'), '-oocsf', path.join(SIPP_DIR, 'naming-device-ooc.xml'), '-m', '1', '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-timeout', '30s', '-timeout_error', '-trace_err', '-trace_msg', '-message_file', path.join(dir, 'messages.log'), '-t', 'u1', '-d', String(pauseMs), '-au', dev, '-ap', '12345678'];
  for (const [k, v] of Object.entries(vars)) args.push('-set', k, String(v));
  const done = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const p = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (signal) output += `\nsipp ended by ${signal}`;
      const errs = readdirSync(dir).filter((f) => f.endsWith('_errors.log')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
      resolve({ code, output: `${output.slice(-3000)}\n${errs.join('\n').slice(-4000)}` });
    });
  });
  return { dev, ch1, result, dir, done };
}

/** The DeviceConfig MESSAGE (start line to end of body) the camera received, as raw bytes. */
function receivedDeviceConfig(cam: Camera): Buffer {
  const file = path.join(cam.dir, 'messages.log');
  assert.ok(existsSync(file), 'sipp traced its messages');
  const log = readFileSync(file);
  const text = log.toString('latin1');
  const at = text.indexOf('<CmdType>DeviceConfig</CmdType>');
  assert.ok(at > 0, 'a DeviceConfig MESSAGE reached the camera');
  const start = text.lastIndexOf('MESSAGE sip:', at);
  const end = text.indexOf('</Control>', at) + '</Control>'.length;
  return log.subarray(start, end);
}

describe('OSD name push (GB/T 28181-2022 DeviceConfig/OSDConfig) with sipp as the camera', () => {
  let t: TestApp;
  const cams: Camera[] = [];
  const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 8000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  before(async () => {
    t = await startTestApp('sqlite', {}, { queryTimeoutMs: 1500 });
    namingServiceOf.get(t.platform)!.osd.opts.timeoutMs = 1500;
    const server = `127.0.0.1:${t.platform.sipPort}`;
    // a 2022 camera (Result OK), a 2016 camera (Result ERROR), a camera that never answers DeviceConfig
    const plan: [string, string, Camera['result']][] = [
      ['35020000001320000401', '35020000001310000401', 'OK'],
      ['35020000001320000402', '35020000001310000402', 'ERROR'],
      ['35020000001320000403', '35020000001310000403', 'NONE'],
    ];
    for (const [dev, ch, result] of plan) cams.push(startCamera(server, await freeUdpPort(), dev, ch, result, 5000));
    for (const c of cams) {
      await waitFor(`catalog of ${c.dev}`, async () => (await t.app.inject({ url: `/api/v1/channels?deviceId=${c.dev}`, headers: t.admin })).json().total === 1);
    }
  });
  after(async () => {
    await Promise.all(cams.map((c) => c.done));
    await t.close();
    for (const c of cams) rmSync(c.dir, { recursive: true, force: true });
  });

  test('the factory-default channel name from the camera catalog is reported; after a fix the new name reaches the OSD', async () => {
    const [cam] = cams;
    const rep = (await t.app.inject({ url: '/api/v1/naming/report?rule=DEFAULT_NAME', headers: t.admin })).json();
    const mine = rep.items.find((i: { channelId: string }) => i.channelId === cam.ch1);
    assert.ok(mine, JSON.stringify(rep));
    assert.equal(mine.name, 'IPCamera 01');
    assert.ok(mine.violations.some((v: { code: string }) => v.code === 'DEFAULT_NAME'));

    const name = '湖滨南路与厦禾路交叉口东向西';
    const fix = await t.app.inject({ method: 'POST', url: '/api/v1/naming/fix', headers: t.admin, payload: { channelIds: [cam.ch1], mode: 'manual', names: [name], pushOsd: true } });
    assert.equal(fix.statusCode, 200, fix.body);
    assert.equal(fix.json().renamed, 1);
    assert.deepEqual(fix.json().items[0].osd, { ok: true });
    const log = (await t.app.inject({ url: `/api/v1/logs/user?action=channel.osd`, headers: t.admin })).json();
    assert.equal(log.items[0].targetId, cam.ch1);
    assert.equal(log.items[0].result, 'ok');

    // the bytes the camera received: a MANSCDP MESSAGE, GB2312 body, OSDConfig with the name as its text line
    const msg = receivedDeviceConfig(cam);
    const text = msg.toString('latin1');
    assert.match(text, /^MESSAGE sip:35020000001320000401@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
    assert.match(text, /\r\nContent-Type: Application\/MANSCDP\+xml\r\n/i);
    assert.match(text, /<\?xml version="1\.0" encoding="GB2312"\?>\r\n<Control>\r\n<CmdType>DeviceConfig<\/CmdType>\r\n<SN>\d+<\/SN>\r\n<DeviceID>35020000001310000401<\/DeviceID>\r\n<OSDConfig>\r\n/);
    assert.match(text, /<OSDConfig>\r\n<Length>1920<\/Length>\r\n<Width>1080<\/Width>\r\n<TimeX>32<\/TimeX>\r\n<TimeY>32<\/TimeY>\r\n<TimeEnable>1<\/TimeEnable>\r\n<TimeType>0<\/TimeType>\r\n<TextEnable>1<\/TextEnable>\r\n<SumNum>1<\/SumNum>\r\n<Item>\r\n<Text>/);
    const gbName = iconv.encode(name, 'gb2312');
    assert.ok(msg.includes(Buffer.concat([Buffer.from('<Text>'), gbName, Buffer.from('</Text>')])), 'the name in GB2312 bytes');
    assert.ok(!msg.includes(Buffer.from(name, 'utf8')), 'not UTF-8');
    assert.match(text, /<X>1440<\/X>\r\n<Y>1016<\/Y>\r\n<\/Item>\r\n<\/OSDConfig>\r\n<\/Control>$/);
    // Content-Length counts the GB2312 bytes
    const len = Number(/Content-Length: (\d+)/i.exec(text)![1]);
    assert.equal(len, msg.length - (text.indexOf('\r\n\r\n') + 4) + 2, 'Content-Length = body bytes (the CRLF after </Control> included)');

    // a single push with explicit text
    const one = await t.app.inject({ method: 'POST', url: `/api/v1/naming/osd/${cam.ch1}`, headers: t.admin, payload: { text: '湖滨南路口东向西' } });
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(one.json().result, 'OK');
  });

  test('a GB/T 28181-2016 camera answering Result ERROR: UNSUPPORTED_BY_DEVICE', async () => {
    const cam = cams[1];
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/naming/osd/${cam.ch1}`, headers: t.admin, payload: { text: '嘉禾路口朝北' } });
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(r.json().code, 'UNSUPPORTED_BY_DEVICE');
    assert.match(r.json().message, /Result ERROR/);
    assert.match(receivedDeviceConfig(cam).toString('latin1'), /<OSDConfig>/);
  });

  test('a camera that accepts the MESSAGE but never answers: DEVICE_TIMEOUT in bounded time; bulk push reports per channel', async () => {
    const started = Date.now();
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/naming/osd/${cams[2].ch1}`, headers: t.admin, payload: { text: '仙岳路口南向北' } });
    assert.equal(r.statusCode, 504, r.body);
    assert.equal(r.json().code, 'DEVICE_TIMEOUT');
    assert.ok(Date.now() - started < 3000);
    const bulk = await t.app.inject({ method: 'POST', url: '/api/v1/naming/osd', headers: t.admin, payload: { channelIds: [cams[0].ch1, cams[1].ch1] } });
    assert.equal(bulk.statusCode, 200, bulk.body);
    const by = Object.fromEntries(bulk.json().items.map((i: { channelId: string }) => [i.channelId, i]));
    assert.equal(by[cams[0].ch1].ok, true, JSON.stringify(by));
    assert.equal(by[cams[1].ch1].code, 'UNSUPPORTED_BY_DEVICE');
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/naming/osd/${cams[0].ch1}`, headers: t.admin, payload: { text: '一'.repeat(33) } })).statusCode, 400);
  });

  test('every camera scenario ran to its end without a SIP error', async () => {
    for (const c of cams) {
      const r = await c.done;
      assert.equal(r.code, 0, `sipp ${c.dev} failed:\n${r.output}`);
    }
  });
});
