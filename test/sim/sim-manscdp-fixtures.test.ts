import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createAnswers, type DeviceView } from '../../src/sim/answers.js';
import { IdPlan } from '../../src/sim/ids.js';

// The simulator's MANSCDP is compared with captured real-device bodies (test/fixtures/manscdp, see its README):
// every element a real Hikvision/Dahua device writes for the same answer is there, in a GB2312 body that glibc's
// iconv (not iconv-lite, which wrote it) reads back. The platform queries are the captured open-source platforms' ones.

const FIX = fileURLToPath(new URL('../fixtures/manscdp/', import.meta.url));
const fixture = (name: string) => readFileSync(FIX + name);

/** Child element names under the first element at `path` (e.g. ['Response', 'DeviceList', 'Item']). */
function childNames(xml: string, path: string[]): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  let done = false;
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w.-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.join('/') === path.join('/')) done = out.length > 0;
      stack.pop();
      continue;
    }
    if (!done && stack.join('/') === path.join('/')) out.push(name);
    if (!selfClose) stack.push(name);
  }
  return out;
}

/** GB2312 bytes → text with glibc iconv (an implementation independent of the one that wrote them). */
function glibcDecode(bytes: Buffer): string {
  const r = spawnSync('iconv', ['-f', 'GB2312', '-t', 'UTF-8'], { input: bytes });
  assert.equal(r.status, 0, `glibc iconv rejected the bytes: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

const hasIconv = spawnSync('sh', ['-c', 'command -v iconv']).status === 0;

function setup(channels: number) {
  const plan = new IdPlan('3402000000', channels, 2, 10);
  const answers = createAnswers({ plan, vendor: 'hikvision', timeZone: 'Asia/Shanghai', catalogPerMessage: 10, recordsPerMessage: 10, recordDays: 30, domain: '3402000000' });
  const dev: DeviceView = { id: plan.deviceId(0), index: 0 };
  return { plan, answers, dev };
}

function superset(sim: string[], real: string[], what: string, vendorOnly: string[] = []): void {
  const missing = real.filter((n) => !vendorOnly.includes(n) && !sim.includes(n));
  assert.deepEqual(missing, [], `${what}: elements real devices send that the simulator leaves out`);
}

test('Catalog answer to a captured platform query has every element of Hikvision and Dahua items', { skip: !hasIconv && 'no iconv' }, () => {
  const { answers, dev, plan } = setup(4);
  const q = Buffer.from(fixture('platform-catalog-query.xml').toString('latin1').replace('34020000001320000002', dev.id), 'latin1');
  const a = answers.message(dev, q);
  assert.equal(a.status, 200);
  assert.equal(a.kind, 'query');
  assert.equal(a.after.length, 1);
  const text = glibcDecode(a.after[0]);
  assert.match(text, /^<\?xml version="1\.0" encoding="GB2312"\?>\r\n<Response>\r\n<CmdType>Catalog<\/CmdType>\r\n<SN>204070<\/SN>/);
  assert.match(text, /<Name>[^<]*交叉口[^<]*<\/Name>/, 'Chinese names readable by glibc as GB2312');
  const simTop = childNames(text, ['Response']);
  superset(simTop, childNames(glibcDecode(fixture('hikvision-ipc-catalog.xml')), ['Response']), 'Response');
  const simItem = childNames(text, ['Response', 'DeviceList', 'Item']);
  superset(simItem, childNames(glibcDecode(fixture('hikvision-ipc-catalog.xml')), ['Response', 'DeviceList', 'Item']), 'Hikvision item');
  superset(simItem, childNames(glibcDecode(fixture('dahua-nvr-catalog-1.xml')), ['Response', 'DeviceList', 'Item']), 'Dahua NVR item');
  superset(childNames(text, ['Response', 'DeviceList', 'Item', 'Info']), ['PTZType'], 'Info');
  assert.match(text, new RegExp(`<DeviceID>${plan.channelId(0, 3)}</DeviceID>`));
  assert.match(text, /<DeviceList Num="4">/);
});

test('DeviceInfo, DeviceStatus and Keepalive carry what Hikvision IPCs send', { skip: !hasIconv && 'no iconv' }, () => {
  const { answers, dev } = setup(1);
  const query = (cmd: string) => Buffer.from(`<?xml version="1.0"?>\r\n<Query>\r\n<CmdType>${cmd}</CmdType>\r\n<SN>7</SN>\r\n<DeviceID>${dev.id}</DeviceID>\r\n</Query>\r\n`);
  const info = glibcDecode(answers.message(dev, query('DeviceInfo')).after[0]);
  superset(childNames(info, ['Response']), childNames(glibcDecode(fixture('hikvision-ipc-deviceinfo.xml')), ['Response']), 'DeviceInfo');
  const status = glibcDecode(answers.message(dev, query('DeviceStatus')).after[0]);
  superset(childNames(status, ['Response']), childNames(glibcDecode(fixture('hikvision-ipc-devicestatus.xml')), ['Response']), 'DeviceStatus');
  assert.match(status, /<DeviceTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d<\/DeviceTime>/);
  const ka = glibcDecode(answers.keepalive(dev, 1));
  superset(childNames(ka, ['Notify']), childNames(fixture('hikvision-ipc-keepalive.xml').toString(), ['Notify']), 'Keepalive', ['Info']);
});

test('RecordInfo answer to a captured platform query has the Hikvision NVR item layout', { skip: !hasIconv && 'no iconv' }, () => {
  const { answers, dev, plan } = setup(4);
  const ch = plan.channelId(0, 1);
  const day = new Date(Date.now() + 8 * 3600_000 - 86_400_000).toISOString().slice(0, 10);
  const q = Buffer.from(
    fixture('platform-recordinfo-query.xml').toString('latin1').replace('34020000001320000002', ch).replace(/2020-06-02/g, day),
    'latin1',
  );
  const a = answers.message(dev, q);
  assert.equal(a.status, 200);
  const pages = a.after.map(glibcDecode);
  assert.ok(pages.length >= 1);
  for (const p of pages) assert.match(p, /<SN>840887582<\/SN>/);
  superset(childNames(pages[0], ['Response']), childNames(glibcDecode(fixture('hikvision-nvr-recordinfo.xml')), ['Response']), 'RecordInfo');
  superset(childNames(pages[0], ['Response', 'RecordList', 'Item']), childNames(glibcDecode(fixture('hikvision-nvr-recordinfo.xml')), ['Response', 'RecordList', 'Item']), 'RecordInfo item');
  const starts = pages.flatMap((p) => [...p.matchAll(/<StartTime>([^<]+)<\/StartTime>/g)].map((m) => m[1]));
  assert.ok(starts.length >= 3 && starts.every((s) => s >= `${day}T12:00:00` && s < `${day}T15:59:00`), starts.join(','));
});

test('captured PTZ control is accepted silently (no Response), alarms carry the Dahua notify elements', { skip: !hasIconv && 'no iconv' }, () => {
  const { answers, dev, plan } = setup(4);
  const ch = plan.channelId(0, 0);
  const ptz = Buffer.from(fixture('platform-ptz-control.xml').toString('latin1').replace('34020000001310000053', ch), 'latin1');
  const a = answers.message(dev, ptz);
  assert.deepEqual([a.status, a.kind, a.after.length], [200, 'control', 0]);
  const alarm = glibcDecode(answers.alarm(dev, 3, ch, {}));
  superset(childNames(alarm, ['Notify']), childNames(glibcDecode(fixture('dahua-alarm-notify.xml')), ['Notify']), 'Alarm', ['AlarmInfo']);
  assert.match(alarm, /<AlarmDescription>移动侦测报警<\/AlarmDescription>/);
});

test('a body that is not MANSCDP gets 400, not a crash', () => {
  const { answers, dev } = setup(1);
  assert.equal(answers.message(dev, Buffer.from('<Query><SN>x</SN>')).status, 400);
  assert.equal(answers.message(dev, Buffer.from('hello')).status, 400);
  assert.equal(answers.subscribe(dev, Buffer.from('<Query><CmdType>Weather</CmdType><SN>1</SN><DeviceID>1</DeviceID></Query>'), 'Weather').status, 489);
});
