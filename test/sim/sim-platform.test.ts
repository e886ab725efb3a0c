import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import {
  buildDeviceControl,
  buildQuery,
  parseCatalog,
  parseConfigDownload,
  parseControlResponse,
  parseDeviceInfo,
  parseDeviceStatus,
  parseKeepalive,
  parseMobilePosition,
  parsePresetList,
  parseRecordInfo,
  parseAlarm,
} from '../../src/lib/manscdp/index.js';
import { encodePtz } from '../../src/lib/ptz/index.js';
import { SipHeaders } from '../../src/lib/sip/index.js';
import { newCallId, newTag } from '../../src/sip/endpoint.js';
import { Simulator } from '../../src/sim/simulator.js';
import { IdPlan } from '../../src/sim/ids.js';
import { parseCli } from '../../src/sim/options.js';
import { DOMAIN, MiniPlatform, PASSWORD, SERVER_ID } from './mini-platform.js';

const silent = createLogger('silent');

function sim(platform: MiniPlatform, extra: Partial<ConstructorParameters<typeof Simulator>[0]> = {}): Simulator {
  return new Simulator({ server: platform.address, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD, devices: 1, channelsPerDevice: 1, log: silent, ...extra });
}

test('IDs: IPC/NVR types, channel serials map back to their device', () => {
  const nvr = new IdPlan('3502000000', 4, 1, 10);
  assert.equal(nvr.deviceId(0), '35020000001180000001');
  assert.equal(nvr.channelId(0, 0), '35020000001320000001');
  assert.equal(nvr.channelId(2, 3), '35020000001320000012');
  assert.equal(nvr.indexOf('35020000001320000012'), 2);
  assert.equal(nvr.indexOf('35020000001180000003'), 2);
  assert.equal(nvr.channelIndexOf(2, '35020000001320000012'), 3);
  assert.equal(nvr.indexOf('35020000001180000011'), -1);
  assert.equal(nvr.indexOf('35020000002000000001'), -1);
  const ipc = new IdPlan('3502000000', 1, 5, 3);
  assert.equal(ipc.deviceId(0), '35020000001320000005');
  assert.equal(ipc.channelId(0, 0), '35020000001310000005');
  assert.equal(ipc.indexOf('35020000001310000007'), 2);
});

test('command line: required flags, bounds and --help', () => {
  assert.equal(parseCli(['--help']), 'help');
  const o = parseCli(['--server', '127.0.0.1:5060', '--server-id', SERVER_ID, '--domain', DOMAIN, '--password', 'x', '--devices', '3', '--channels-per-device', '2', '--transport', 'tcp', '--stats']);
  assert.ok(o !== 'help');
  assert.equal(o.devices, 3);
  assert.equal(o.transport, 'tcp');
  assert.equal(o.stats, true);
  assert.throws(() => parseCli(['--server', '127.0.0.1:5060']), /missing --server-id/);
  assert.throws(() => parseCli(['--server', 'nohost', '--server-id', SERVER_ID, '--domain', DOMAIN, '--password', 'x', '--devices', '1', '--channels-per-device', '1']), /HOST:PORT/);
  assert.throws(() => parseCli(['--server', '127.0.0.1:5060', '--server-id', SERVER_ID, '--domain', DOMAIN, '--password', 'x', '--devices', '600000', '--channels-per-device', '2']), /channel serials/);
  assert.throws(() => parseCli(['--bogus']), /Unknown option/);
});

describe('against a minimal platform over UDP (20 NVRs × 12 channels, 8 devices per socket)', () => {
  let platform: MiniPlatform;
  let s: Simulator;
  let dev: string;

  before(async () => {
    platform = await MiniPlatform.start();
    s = sim(platform, { devices: 20, channelsPerDevice: 12, devicesPerSocket: 8, keepalive: 1, catalogPerMessage: 10, recordsPerMessage: 10 });
    await s.start();
    await s.whenAllRegistered(10_000);
    dev = s.deviceIds()[3];
  });
  after(async () => {
    await s.stop(2000);
    await platform.close();
  });

  test('every device registered with digest over 3 sockets; keepalives flow', async () => {
    assert.equal(platform.registrations.size, 20);
    const st = s.stats();
    assert.equal(st.registered, 20);
    assert.equal(st.sockets, 3);
    assert.equal(new Set([...platform.registrations.values()].map((r) => r.peer.port)).size, 3);
    await platform.until(() => platform.received.filter((r) => r.msg.cmdType === 'Keepalive').length >= 20, 5000, 'keepalives');
    const ka = platform.received.find((r) => r.msg.cmdType === 'Keepalive')!;
    assert.equal(parseKeepalive(ka.msg).status, 'OK');
    assert.equal(ka.msg.declaredCharset, 'GB2312');
  });

  test('Catalog: two MESSAGEs with the same SN, SumNum 12, DeviceList Num 10 + 2', async () => {
    const sn = platform.nextSn();
    const res = await platform.send(dev, buildQuery('Catalog', sn, dev));
    assert.equal(res.status, 200);
    await platform.until(() => platform.answers(sn, 'Catalog').length === 2, 5000, 'catalog pages');
    const pages = platform.answers(sn, 'Catalog').map(parseCatalog);
    assert.deepEqual(pages.map((p) => p.sumNum), [12, 12]);
    assert.deepEqual(pages.map((p) => p.items.length).sort(), [10, 2].sort());
    const items = pages.flatMap((p) => p.items);
    assert.deepEqual(items.map((i) => i.deviceId).sort(), s.channelIds(dev).sort());
    for (const it of items) {
      assert.equal(it.deviceId.slice(10, 13), '132');
      assert.equal(it.parentId, dev);
      assert.equal(it.status, 'ON');
      assert.ok(it.name && /交叉口/.test(it.name), `Chinese name survives GB2312: ${it.name}`);
      assert.ok(it.longitude! > 118 && it.latitude! > 24);
    }
  });

  test('DeviceInfo, DeviceStatus and ConfigDownload', async () => {
    const sn1 = platform.nextSn();
    await platform.send(dev, buildQuery('DeviceInfo', sn1, dev));
    const sn2 = platform.nextSn();
    await platform.send(dev, buildQuery('DeviceStatus', sn2, dev));
    const sn3 = platform.nextSn();
    await platform.send(dev, buildQuery('ConfigDownload', sn3, dev, { ConfigType: 'BasicParam' }));
    await platform.until(() => platform.answers(sn1, 'DeviceInfo').length === 1 && platform.answers(sn2, 'DeviceStatus').length === 1 && platform.answers(sn3, 'ConfigDownload').length === 1, 5000, 'answers');
    const info = parseDeviceInfo(platform.answers(sn1, 'DeviceInfo')[0]);
    assert.equal(info.manufacturer, 'Hikvision');
    assert.equal(info.channel, 12);
    const st = parseDeviceStatus(platform.answers(sn2, 'DeviceStatus')[0]);
    assert.equal(st.online, true);
    assert.equal(st.alarmStatus.length, 12);
    const cfg = parseConfigDownload(platform.answers(sn3, 'ConfigDownload')[0]);
    assert.equal(cfg.result, 'OK');
    assert.equal(String(cfg.basicParam?.HeartBeatInterval), '60');
  });

  test('RecordInfo: two days of hour-long records, paged under one SN', async () => {
    const ch = s.channelIds(dev)[5];
    const fmt = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19);
    const end = Date.now() - 3600_000;
    const start = end - 48 * 3600_000;
    const sn = platform.nextSn();
    await platform.send(dev, buildQuery('RecordInfo', sn, ch, { StartTime: fmt(start), EndTime: fmt(end) }));
    await platform.until(() => {
      const got = platform.answers(sn, 'RecordInfo').map(parseRecordInfo);
      return got.length > 0 && got.reduce((n, p) => n + p.items.length, 0) === got[0].sumNum;
    }, 10_000, 'record pages');
    const pages = platform.answers(sn, 'RecordInfo').map(parseRecordInfo);
    const items = pages.flatMap((p) => p.items);
    assert.ok(items.length >= 44 && items.length <= 49, `about 48 hours of records, got ${items.length}`);
    assert.ok(pages.every((p) => p.items.length <= 10 && p.sumNum === items.length));
    for (const it of items) {
      assert.equal(it.deviceId, ch);
      assert.ok(it.startTime! >= fmt(start) && it.endTime! <= fmt(end) && it.startTime! < it.endTime!);
      assert.match(it.type!, /^(time|alarm)$/);
    }
  });

  test('PTZ preset set/delete shows in PresetQuery; GuardCmd answered with Result OK and shown in DeviceStatus', async () => {
    const ch = s.channelIds(dev)[0];
    await platform.send(dev, buildDeviceControl(platform.nextSn(), ch, { type: 'PTZCmd', value: encodePtz({ kind: 'preset', action: 'set', index: 9 }) }));
    await platform.send(dev, buildDeviceControl(platform.nextSn(), ch, { type: 'PTZCmd', value: encodePtz({ kind: 'preset', action: 'delete', index: 2 }) }));
    const sn = platform.nextSn();
    await platform.send(dev, buildQuery('PresetQuery', sn, ch));
    await platform.until(() => platform.answers(sn, 'PresetQuery').length === 1, 5000, 'presets');
    assert.deepEqual(parsePresetList(platform.answers(sn, 'PresetQuery')[0]).items.map((p) => p.presetId), [1, 3, 9]);

    const g = platform.nextSn();
    await platform.send(dev, buildDeviceControl(g, dev, { type: 'GuardCmd', value: 'SetGuard' }));
    await platform.until(() => platform.answers(g, 'DeviceControl').length === 1, 5000, 'control response');
    assert.equal(parseControlResponse(platform.answers(g, 'DeviceControl')[0]).result, 'OK');
    const q = platform.nextSn();
    await platform.send(dev, buildQuery('DeviceStatus', q, dev));
    await platform.until(() => platform.answers(q, 'DeviceStatus').length === 1, 5000, 'status');
    assert.ok(parseDeviceStatus(platform.answers(q, 'DeviceStatus')[0]).alarmStatus.every((a) => a.dutyStatus === 'ONDUTY'));
  });

  test('SUBSCRIBE Catalog → 200 + NOTIFY with the catalog; MobilePosition NOTIFYs at the asked interval', async () => {
    const sn = platform.nextSn();
    const res = await platform.send(dev, buildQuery('Catalog', sn, dev), { method: 'SUBSCRIBE', event: 'Catalog', expires: 60 });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('to')!.includes('tag='));
    await platform.until(() => platform.received.filter((r) => r.method === 'NOTIFY' && r.msg.sn === sn).length === 2, 5000, 'catalog NOTIFYs');
    const items = platform.received.filter((r) => r.method === 'NOTIFY' && r.msg.sn === sn).flatMap((r) => parseCatalog(r.msg).items);
    assert.equal(items.length, 12);

    const mp = platform.nextSn();
    const r2 = await platform.send(dev, buildQuery('MobilePosition', mp, dev, { Interval: 1 }), { method: 'SUBSCRIBE', event: 'presence', expires: 60 });
    assert.equal(r2.status, 200);
    await platform.until(() => platform.received.filter((r) => r.method === 'NOTIFY' && r.msg.cmdType === 'MobilePosition').length >= 2, 5000, 'positions');
    const pos = parseMobilePosition(platform.received.find((r) => r.msg.cmdType === 'MobilePosition')!.msg);
    assert.ok(pos.longitude! > 118);
  });

  test('raiseAlarm sends an Alarm notification for the channel', async () => {
    const ch = s.channelIds(dev)[7];
    const status = await s.raiseAlarm(dev, ch, { priority: 2, method: 5, type: 2 });
    assert.equal(status, 200);
    const got = platform.received.filter((r) => r.msg.cmdType === 'Alarm' && r.msg.deviceId === ch);
    assert.equal(got.length, 1);
    const a = parseAlarm(got[0].msg);
    assert.equal(a.alarmPriority, 2);
    assert.equal(a.alarmMethod, '5');
    await assert.rejects(s.raiseAlarm('35020000001180099999'), /unknown device/);
  });

  test('INVITE without --media is answered 488; unknown targets 404', async () => {
    const reg = platform.registrations.get(dev)!;
    const h = SipHeaders.from({ From: `<sip:${SERVER_ID}@${DOMAIN}>;tag=${newTag()}`, To: `<sip:${s.channelIds(dev)[0]}@${DOMAIN}>`, 'Call-ID': newCallId(), CSeq: '1 INVITE', Contact: `<sip:${SERVER_ID}@127.0.0.1:1>` });
    const r = await platform.ep.request(reg.peer, { kind: 'request', method: 'INVITE', uri: `sip:${s.channelIds(dev)[0]}@127.0.0.1`, headers: h, body: Buffer.alloc(0) });
    assert.equal(r.status, 488);
    const h2 = SipHeaders.from({ From: `<sip:${SERVER_ID}@${DOMAIN}>;tag=${newTag()}`, To: `<sip:35029999991320000001@${DOMAIN}>`, 'Call-ID': newCallId(), CSeq: '1 MESSAGE' });
    const r2 = await platform.ep.request(reg.peer, { kind: 'request', method: 'MESSAGE', uri: 'sip:35029999991320000001@127.0.0.1', headers: h2, body: Buffer.from('x') });
    assert.equal(r2.status, 404);
  });

  test('a keepalive answered with an error makes the device register again', async () => {
    const before = platform.registerCount;
    platform.keepaliveStatus = 404;
    await platform.until(() => platform.registerCount > before, 5000, 're-registration');
    platform.keepaliveStatus = 200;
    await s.whenAllRegistered(5000);
    assert.ok(s.stats().keepaliveErrors >= 1);
  });

  test('stop() unregisters every device with Expires: 0', async () => {
    await s.stop(5000);
    assert.equal(platform.registrations.size, 0);
    assert.equal(new Set(platform.unregistered).size, 20);
  });
});

test('TCP: one connection per device, queries answered on it, unregister on stop', { timeout: 20_000 }, async () => {
  const platform = await MiniPlatform.start();
  const s = sim(platform, { devices: 5, channelsPerDevice: 1, transport: 'tcp' });
  try {
    await s.start();
    await s.whenAllRegistered(10_000);
    assert.equal(platform.sockets.tcpConnections, 5);
    const dev = s.deviceIds()[2];
    assert.equal(platform.registrations.get(dev)!.peer.transport, 'TCP');
    const sn = platform.nextSn();
    await platform.send(dev, buildQuery('Catalog', sn, dev));
    await platform.until(() => platform.answers(sn, 'Catalog').length === 1, 5000, 'catalog');
    const cat = parseCatalog(platform.answers(sn, 'Catalog')[0]);
    assert.equal(cat.sumNum, 1);
    assert.equal(cat.items[0].deviceId.slice(10, 13), '131');
    await s.stop(5000);
    assert.equal(platform.registrations.size, 0);
    assert.equal(platform.unregistered.length, 5);
  } finally {
    await s.stop(100);
    await platform.close();
  }
});

test('a wrong password gets 403: counted, retried with back-off, never registered', { timeout: 20_000 }, async () => {
  const platform = await MiniPlatform.start();
  platform.password = 'another';
  const s = sim(platform, { devices: 2 });
  try {
    await s.start();
    await platform.until(() => platform.forbiddenCount >= 2, 5000, '403s');
    await new Promise((r) => setTimeout(r, 200));
    const st = s.stats();
    assert.equal(st.registered, 0);
    assert.equal(st.failed, 2);
    assert.equal(st.forbidden, 2);
    assert.equal(platform.forbiddenCount, 2, 'no immediate retry after 403');
  } finally {
    await s.stop(100);
    await platform.close();
  }
});

test('register rate spreads the start', { timeout: 20_000 }, async () => {
  const platform = await MiniPlatform.start();
  const s = sim(platform, { devices: 10, registerRate: 20 });
  try {
    await s.start();
    const t = await s.whenAllRegistered(5000);
    assert.ok(t >= 0.4, `10 devices at 20/s take about 0.45 s, took ${t}`);
  } finally {
    await s.stop(2000);
    await platform.close();
  }
});

test('refreshes the registration before Expires, answering with the cached challenge first', { timeout: 20_000 }, async () => {
  const platform = await MiniPlatform.start();
  const s = sim(platform, { devices: 1, expires: 4 });
  try {
    await s.start();
    await s.whenAllRegistered(5000);
    const dev = s.deviceIds()[0];
    assert.equal(platform.registerCount, 2); // 401 + authorised
    await platform.until(() => platform.registrations.get(dev)!.count >= 2, 12_000, 'refresh');
    assert.equal(platform.registerCount, 3, 'the refresh carries Authorization at once');
    assert.equal(s.stats().registered, 1);
  } finally {
    await s.stop(1000);
    await platform.close();
  }
});

test('three unanswered keepalives (platform gone quiet) make the device register again', { timeout: 20_000 }, async () => {
  const platform = await MiniPlatform.start();
  const s = sim(platform, { devices: 2, keepalive: 1 });
  try {
    await s.start();
    await s.whenAllRegistered(5000);
    platform.keepaliveStatus = 0;
    const before = platform.registerCount;
    await platform.until(() => platform.registerCount >= before + 2, 10_000, 're-registration after silence');
    assert.ok(s.stats().keepaliveErrors >= 6);
    platform.keepaliveStatus = 200;
    await s.whenAllRegistered(5000);
  } finally {
    await s.stop(1000);
    await platform.close();
  }
});
