import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import {
  decodeManscdp,
  ManscdpError,
  parseAlarm,
  parseCatalog,
  parseConfigDownload,
  parseControlResponse,
  parseDeviceControl,
  parseDeviceInfo,
  parseDeviceStatus,
  parseKeepalive,
  parseMediaStatus,
  parseMobilePosition,
  parsePresetList,
  parseRecordInfo,
  parseRecordInfoQuery,
  type ManscdpErrorCode,
} from '../../../src/lib/manscdp/index.js';
import { decodePtz } from '../../../src/lib/ptz/index.js';
import { fixture, fixtureNames } from './fixtures.js';

const decode = (name: string) => decodeManscdp(fixture(name));

function code(body: Buffer | string): ManscdpErrorCode | 'ok' {
  try {
    decodeManscdp(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof ManscdpError, `not a ManscdpError: ${String(e)}`);
    return e.code;
  }
}

test('every fixture decodes', () => {
  const names = fixtureNames();
  assert.ok(names.length >= 25);
  for (const n of names) assert.doesNotThrow(() => decode(n), n);
});

test('Hikvision IPC catalog: GB2312 Chinese name, empty name of the AlarmIn item', () => {
  const m = decode('hikvision-ipc-catalog.xml');
  assert.deepEqual([m.root, m.cmdType, m.sn, m.deviceId], ['Response', 'Catalog', 10021, '34020000001320000002']);
  assert.equal(m.charset, 'GB18030');
  assert.equal(m.declaredCharset, 'GB2312');
  const c = parseCatalog(m);
  assert.equal(c.sumNum, 2);
  assert.equal(c.items.length, 2);
  const [cam, alarmIn] = c.items;
  assert.equal(cam.deviceId, '34020000001310000001');
  assert.equal(cam.name, '东门入口');
  assert.equal(cam.manufacturer, 'Hikvision');
  assert.equal(cam.model, 'IP Camera');
  assert.equal(cam.civilCode, '3402000000');
  assert.equal(cam.parental, 0);
  assert.equal(cam.parentId, '34020000002000000001');
  assert.equal(cam.safetyWay, 0);
  assert.equal(cam.registerWay, 1);
  assert.equal(cam.secrecy, 0);
  assert.equal(cam.status, 'ON');
  assert.equal(cam.longitude, null);
  assert.equal(cam.ptzType, null);
  assert.equal(cam.event, null);
  assert.equal(alarmIn.name, '');
  assert.equal(alarmIn.model, 'AlarmIn');
});

test('Hikvision NVR RecordInfo: lower-case gb2312 prolog, mixed CRLF/LF, indentation', () => {
  const r = parseRecordInfo(decode('hikvision-nvr-recordinfo.xml'));
  assert.equal(r.sumNum, 3);
  assert.equal(r.name, '一楼大厅');
  assert.equal(r.items.length, 3);
  assert.deepEqual(
    { ...r.items[0], raw: undefined },
    {
      deviceId: '34020000001320000002',
      name: '一楼大厅',
      filePath: '1591069694_1591071812',
      address: 'Address 1',
      startTime: '2020-06-02T11:48:14',
      endTime: '2020-06-02T12:23:32',
      secrecy: 0,
      type: 'time',
      recorderId: null,
      fileSize: null,
      streamNumber: null,
      raw: undefined,
    },
  );
  assert.equal(r.items[2].type, 'alarm');
});

test('Hikvision keepalive, DeviceStatus and DeviceInfo', () => {
  assert.deepEqual(parseKeepalive(decode('hikvision-ipc-keepalive.xml')), {
    deviceId: '34020000001320000003',
    status: 'OK',
    faultDeviceIds: [],
  });
  const s = parseDeviceStatus(decode('hikvision-ipc-devicestatus.xml'));
  assert.equal(s.result, 'OK');
  assert.equal(s.online, true);
  assert.equal(s.status, 'OK');
  assert.equal(s.encode, true);
  assert.equal(s.record, false);
  assert.equal(s.deviceTime, '2026-11-24T09:40:00');
  assert.deepEqual(s.alarmStatus, []);
  const i = parseDeviceInfo(decode('hikvision-ipc-deviceinfo.xml'));
  assert.equal(i.deviceName, 'IP CAMERA');
  assert.equal(i.model, 'DS-2CD2T47G2-L');
  assert.equal(i.firmware, 'V5.7.3');
  assert.equal(i.channel, 1);
});

test('Dahua IPC catalog and DeviceInfo: vendor fields kept in raw, PTZType from Info', () => {
  const c = parseCatalog(decode('dahua-ipc-catalog.xml'));
  const it = c.items[0];
  assert.equal(it.name, '北门枪机');
  assert.equal(it.ptzType, 3);
  assert.equal(it.ipAddress, '192.168.163.170');
  assert.equal(it.safetyWay, null);
  assert.equal(it.raw.StreamNum, '2');
  assert.deepEqual(it.raw.Info, { PTZType: '3', DownloadSpeed: '1/2/4/8' });
  const i = parseDeviceInfo(decode('dahua-ipc-deviceinfo.xml'));
  assert.equal(i.deviceType, 'IPC');
  assert.equal(i.firmware, 'V2.420.14.R.2016-06-18');
  assert.equal(i.maxCamera, 1);
  assert.equal(i.maxAlarm, 0);
  assert.equal(i.deviceName, null);
});

test('Dahua NVR catalog split over three messages: same SN, SumNum 5, all items collected', () => {
  const pages = [1, 2, 3].map((n) => decode(`dahua-nvr-catalog-${n}.xml`));
  assert.deepEqual(new Set(pages.map((p) => p.sn)), new Set([412]));
  const parsed = pages.map(parseCatalog);
  assert.deepEqual(parsed.map((p) => p.sumNum), [5, 5, 5]);
  assert.deepEqual(parsed.map((p) => p.items.length), [2, 2, 1]);
  assert.deepEqual(pages.map((p) => (p.body.DeviceList as Record<string, unknown>)['@_Num']), ['2', '2', '1']);
  const all = parsed.flatMap((p) => p.items);
  assert.deepEqual(all.map((i) => i.name), ['IP:192.168.1.177 -球机', '一楼大厅', '二楼走廊', '停车场出口', '仓库']);
  assert.deepEqual(all.map((i) => i.status), ['ON', 'ON', 'ON', 'OFF', 'ON']);
  assert.equal(all[0].ptzType, 1);
  assert.equal(all[0].port, 37777);
  assert.equal(all[0].longitude, 113.2644);
  assert.equal(all[0].latitude, 23.1291);
  // The single-Item page is still a list.
  assert.ok(Array.isArray((pages[2].body.DeviceList as Record<string, unknown>).Item));
});

test('Dahua alarm NOTIFY: GB2312 description, AlarmType and AlarmTypeParam from Info', () => {
  const a = parseAlarm(decode('dahua-alarm-notify.xml'));
  assert.equal(a.deviceId, '62000000001320000011');
  assert.equal(a.alarmPriority, 1);
  assert.equal(a.alarmMethod, '5');
  assert.equal(a.alarmTime, '2023-04-27T18:01:58');
  assert.equal(a.alarmDescription, '视频动检');
  assert.equal(a.alarmType, '2');
  assert.deepEqual(a.alarmTypeParam, { EventType: '1' });
  assert.equal(a.raw.AlarmInfo, '11');
  assert.equal(a.longitude, null);
});

test('Uniview IPC catalog: tab indentation, zero coordinates, firmware in Owner', () => {
  const it = parseCatalog(decode('uniview-ipc-catalog.xml')).items[0];
  assert.equal(it.name, '南门球机');
  assert.equal(it.model, 'HIC6622-IR@X33-VF');
  assert.equal(it.owner, 'IPC-B2202.7.11.230222');
  assert.equal(it.parental, 1);
  assert.equal(it.longitude, 0);
  assert.equal(it.latitude, 0);
  assert.equal(it.ptzType, 1);
});

test('unescaped & and stray < are repaired; real entities are decoded once', () => {
  const c = parseCatalog(decode('uniview-nvr-catalog-unescaped-amp.xml'));
  assert.equal(c.items[0].name, 'A&B栋 出入口');
  assert.equal(c.items[0].address, '园区路1号&2号 <东侧>');
  assert.equal(c.items[1].name, 'R&D 实验室 中');
  assert.equal(c.items[1].status, 'OFF');
});

test('GB/T 28181-2022 catalog: GB18030 4-byte character, StreamNumberList, BusinessGroupID, org item', () => {
  const m = decode('gb2022-catalog-streamnumberlist.xml');
  assert.equal(m.declaredCharset, 'GB18030');
  const [org, cam] = parseCatalog(m).items;
  assert.equal(org.deviceId, '35020000002150000001');
  assert.equal(org.name, '思明区业务分组');
  assert.equal(org.manufacturer, null);
  assert.equal(cam.name, '中山路步行街𠮷');
  assert.equal(cam.address, '厦门市思明区中山路');
  assert.equal(cam.businessGroupId, '35020000002150000001');
  assert.deepEqual(cam.streamNumberList, [0, 1, 2]);
  assert.equal(cam.ptzType, 1);
  assert.equal(cam.raw.SecurityLevelCode, 'B');
  assert.equal((cam.raw.Info as Record<string, unknown>).RecordSaveDays, '30');
});

test('the standard example quirks: unquoted Num=2 and "</ FilePath >"', () => {
  const m = decode('spec2016-recordinfo-quirks.xml');
  assert.equal(m.declaredCharset, null);
  assert.equal((m.body.RecordList as Record<string, unknown>)['@_Num'], '2');
  const r = parseRecordInfo(m);
  assert.equal(r.sumNum, 100);
  assert.equal(r.items.length, 2);
  assert.equal(r.items[1].filePath, '64010000002100000001');
  assert.equal(r.items[0].recorderId, '64010000003000000001');
  assert.equal(r.items[0].fileSize, 1048576);
});

test('charset: UTF-8 declared with GB bytes, GB2312 declared with UTF-8 bytes, no prolog, BOM', () => {
  const a = decode('utf8-declared-gb-bytes.xml');
  assert.equal(a.declaredCharset, 'UTF-8');
  assert.equal(a.charset, 'GB18030');
  const it = parseCatalog(a).items[0];
  assert.equal(it.name, '西门岗亭');
  assert.equal(it.event, 'UPDATE');

  const b = decode('gb2312-declared-utf8-bytes.xml');
  assert.equal(b.charset, 'UTF-8');
  assert.equal(parseDeviceInfo(b).deviceName, '下级平台（测试）');

  const c = decode('no-prolog-gb.xml');
  assert.equal(c.declaredCharset, null);
  assert.equal(c.charset, 'GB18030');
  const al = parseAlarm(c);
  assert.equal(al.alarmDescription, '防区1报警');
  assert.equal(al.alarmType, '1');
  assert.equal(al.longitude, 118.0819);

  const d = decode('bom-utf8-preset.xml');
  assert.deepEqual(parsePresetList(d).items, [
    { presetId: 1, presetName: '大门全景' },
    { presetId: 2, presetName: '车道特写' },
  ]);
});

test('charset: GBK-only characters and GB18030 labels decode under a GB2312 prolog', () => {
  const xml = '<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>1</DeviceID><AlarmDescription>鎔鐵 㐀</AlarmDescription></Notify>';
  assert.equal(parseAlarm(decodeManscdp(iconv.encode(xml, 'gb18030'))).alarmDescription, '鎔鐵 㐀');
  for (const label of ['gbk', 'GB18030', 'gb2312']) {
    const m = decodeManscdp(iconv.encode(xml.replace('GB2312', label), 'gbk'));
    assert.equal(parseAlarm(m).alarmDescription?.slice(0, 2), '鎔鐵', label);
  }
});

test('notifications and answers: MobilePosition (trailing NULs), MediaStatus, catalog status events, ConfigDownload, control', () => {
  assert.deepEqual(parseMobilePosition(decode('mobile-position-notify.xml')), {
    deviceId: '34020000001380000001',
    time: '2026-11-24T09:40:00',
    longitude: 118.0819,
    latitude: 24.4528,
    speed: 35.5,
    direction: 270,
    altitude: 12,
  });
  assert.deepEqual(parseMediaStatus(decode('media-status-notify.xml')), { deviceId: '34020000001320000002', notifyType: 121 });
  const ev = parseCatalog(decode('catalog-notify-status.xml'));
  assert.deepEqual(ev.items.map((i) => [i.deviceId, i.event]), [
    ['44010200491310000004', 'OFF'],
    ['44010200491310000005', 'VLOST'],
  ]);
  const cfg = parseConfigDownload(decode('configdownload-response.xml'));
  assert.equal(cfg.result, 'OK');
  assert.deepEqual(cfg.basicParam, { Name: '东门入口', Expiration: '3600', HeartBeatInterval: '60', HeartBeatCount: '3' });
  assert.deepEqual(cfg.videoParamOpt, { DownloadSpeed: '1/2/4', Resolution: '5/6' });
  assert.equal(cfg.svacEncodeConfig, null);
  assert.deepEqual(Object.keys(cfg.configs), ['BasicParam', 'VideoParamOpt']);
  assert.deepEqual(parseControlResponse(decode('control-response.xml')), { deviceId: '34020000001320000002', result: 'OK', ok: true });
});

test('platform side bodies: queries and a PTZ control with trailing spaces in values', () => {
  const q = decode('platform-catalog-query.xml');
  assert.deepEqual([q.root, q.cmdType, q.sn], ['Query', 'Catalog', 204070]);
  const c = decode('platform-ptz-control.xml');
  assert.deepEqual([c.root, c.cmdType, c.sn, c.deviceId], ['Control', 'DeviceControl', 11, '34020000001310000053']);
  const cmds = parseDeviceControl(c);
  assert.deepEqual(cmds, [{ type: 'PTZCmd', value: 'A50F01021F0000D6', controlPriority: 5 }]);
  assert.deepEqual(decodePtz(cmds[0].type === 'PTZCmd' ? cmds[0].value : ''), { kind: 'ptz', address: 1, pan: 'left', panSpeed: 31, tiltSpeed: 0, zoomSpeed: 0 });
  assert.deepEqual(parseRecordInfoQuery(decode('platform-recordinfo-query.xml')), {
    deviceId: '34020000001320000002',
    startTime: '2020-06-02T12:00:00',
    endTime: '2020-06-02T15:59:00',
    filePath: null,
    address: null,
    secrecy: 0,
    type: 'all',
    recorderId: null,
    indistinctQuery: null,
    streamNumber: null,
  });
});

test('lenient: case of root and element names, LF/CRLF, CDATA, comments, leading junk whitespace', () => {
  const m = decodeManscdp(
    Buffer.from('\r\n\t <?xml version="1.0"?>\n<!-- hi & bye --><response>\r\n<cmdtype>Catalog</cmdtype><sn>5</sn><deviceid>X</deviceid><sumnum>1</sumnum><devicelist num="1"><item><DeviceID>A</DeviceID><Name><![CDATA[x & <y>]]></Name></item></devicelist></response>\0'),
  );
  assert.deepEqual([m.root, m.cmdType, m.sn, m.deviceId], ['Response', 'Catalog', 5, 'X']);
  const c = parseCatalog(m);
  assert.equal(c.sumNum, 1);
  assert.equal(c.items[0].name, 'x & <y>');
});

test('lenient lists: Items without the DeviceList wrapper, a DeviceList sent twice', () => {
  const bare = decodeManscdp(Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>P</DeviceID><SumNum>2</SumNum><Item><DeviceID>A</DeviceID></Item><Item><DeviceID>B</DeviceID></Item></Response>'));
  assert.deepEqual(parseCatalog(bare).items.map((i) => i.deviceId), ['A', 'B']);
  const twice = decodeManscdp(
    Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceList Num="1"><Item><DeviceID>A</DeviceID></Item></DeviceList><DeviceList Num="1"><Item><DeviceID>B</DeviceID></Item></DeviceList></Response>'),
  );
  assert.deepEqual(parseCatalog(twice), { sumNum: 2, items: parseCatalog(twice).items });
  assert.deepEqual(parseCatalog(twice).items.map((i) => i.deviceId), ['A', 'B']);
});

test('errors: real garbage gets a typed code', () => {
  assert.equal(code(''), 'EMPTY');
  assert.equal(code('   \r\n\0'), 'EMPTY');
  assert.equal(code('hello'), 'XML_INVALID');
  assert.equal(code('<Response><CmdType>Catalog</CmdType><SN>1</SN>'), 'XML_INVALID');
  assert.equal(code('<Response><CmdType>Catalog</CmdType><SN>1</SN></Notify>'), 'XML_INVALID');
  assert.equal(code('<Response></Response><Response></Response>'), 'XML_INVALID');
  assert.equal(code('<Message><CmdType>Catalog</CmdType><SN>1</SN></Message>'), 'NO_ROOT');
  assert.equal(code('<Response>text</Response>'), 'NO_CMDTYPE');
  assert.equal(code('<Response><SN>1</SN></Response>'), 'NO_CMDTYPE');
  assert.equal(code('<Response><CmdType> </CmdType><SN>1</SN></Response>'), 'NO_CMDTYPE');
  assert.equal(code('<Response><CmdType>Catalog</CmdType></Response>'), 'BAD_SN');
  assert.equal(code('<Response><CmdType>Catalog</CmdType><SN>-1</SN></Response>'), 'BAD_SN');
  assert.equal(code('<Response><CmdType>Catalog</CmdType><SN>1x</SN></Response>'), 'BAD_SN');
  assert.equal(code('<Response><CmdType>Catalog</CmdType><SN>7</SN></Response>'), 'ok');
  assert.equal(code(Buffer.alloc(1024 * 1024 + 1, 0x20)), 'TOO_LARGE');
  assert.throws(() => decodeManscdp('x' as unknown as Buffer), (e: unknown) => e instanceof ManscdpError && e.code === 'BAD_INPUT');
});

test('errors: hostile input (entities, DOCTYPE, nesting, prototype names) is refused quickly', () => {
  const bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Response><CmdType>&b;</CmdType><SN>1</SN></Response>';
  assert.equal(code(bomb), 'XML_INVALID');
  assert.equal(code('<Response><CmdType>x</CmdType><SN>1</SN>' + '<a>'.repeat(100) + '</a>'.repeat(100) + '</Response>'), 'XML_INVALID');
  const t0 = performance.now();
  assert.equal(code('<Response>' + '<a>'.repeat(400_000) + '</Response>'), 'TOO_LARGE');
  assert.equal(code('<Response>' + '<a>'.repeat(200_000) + '</Response>'), 'XML_INVALID');
  assert.ok(performance.now() - t0 < 3000);
  assert.equal(code('<Response><CmdType>x</CmdType><SN>1</SN><__proto__><polluted>1</polluted></__proto__></Response>'), 'XML_INVALID');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const m = decodeManscdp(
    Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><toString>a</toString><valueOf>b</valueOf><DeviceList><Item><DeviceID>A</DeviceID><hasOwnProperty>x</hasOwnProperty></Item></DeviceList></Response>'),
  );
  assert.equal(typeof m.body.toString, 'function');
  assert.deepEqual(parseCatalog(m).items.map((i) => i.deviceId), ['A']);
});

test('typed parsers refuse another CmdType', () => {
  const m = decode('hikvision-ipc-keepalive.xml');
  assert.throws(() => parseCatalog(m), (e: unknown) => e instanceof ManscdpError && e.code === 'WRONG_CMDTYPE');
  assert.throws(() => parseRecordInfo(m), (e: unknown) => e instanceof ManscdpError && e.code === 'WRONG_CMDTYPE');
});
