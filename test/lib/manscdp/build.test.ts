import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import {
  buildAlarmNotify,
  buildCatalogNotify,
  buildCatalogResponses,
  buildConfigDownloadResponse,
  buildControlResponse,
  buildDeviceControl,
  buildDeviceInfoResponse,
  buildDeviceStatusResponse,
  buildKeepalive,
  buildMediaStatusNotify,
  buildMobilePositionNotify,
  buildPresetResponse,
  buildQuery,
  buildRecordInfoResponses,
  buildResultResponse,
  decodeManscdp,
  encodeManscdp,
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
  type CatalogItemInput,
  type DeviceControlCmd,
} from '../../../src/lib/manscdp/index.js';
import { decodePtz, encodePtz } from '../../../src/lib/ptz/index.js';
import { fixture } from './fixtures.js';

const isCode = (c: string) => (e: unknown) => e instanceof ManscdpError && e.code === c;

test('encodeManscdp writes the GB2312 prolog, header fields first, CRLF lines and GB2312 bytes', () => {
  const buf = encodeManscdp({ root: 'Query', cmdType: 'Catalog', sn: 17, deviceId: '34020000001320000001', fields: { Name: '东门' } });
  const expected = '<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Name>东门</Name>\r\n</Query>\r\n';
  assert.deepEqual(buf, iconv.encode(expected, 'gb2312'));
  assert.ok(buf.includes(Buffer.from([0xb6, 0xab, 0xc3, 0xc5]))); // 东门 in GB2312
  const utf8 = encodeManscdp({ root: 'Query', cmdType: 'Catalog', sn: 17, deviceId: 'x', fields: { Name: '东门' } }, 'UTF-8');
  assert.ok(utf8.toString('utf8').startsWith('<?xml version="1.0" encoding="UTF-8"?>\r\n'));
  assert.ok(utf8.includes(Buffer.from('东门', 'utf8')));
});

test('encodeManscdp: insertion order, nested elements, repeated elements, Num on lists, escaping', () => {
  const xml = encodeManscdp(
    {
      root: 'Response',
      cmdType: 'Test',
      sn: 1,
      deviceId: 'D&1',
      fields: {
        Z: 'a<b>&"c"',
        A: 2.5,
        Skip: null,
        List: { Item: [{ K: 1 }, { K: 2 }] },
        Given: { '@_Num': 9, Item: [] },
        Rep: ['x', 'y'],
        Mixed: { '@_Attr': 'v&', '#text': 't' },
        Empty: '',
        Ctl: 'a\u0001b',
      },
    },
    'UTF-8',
  ).toString('utf8');
  assert.ok(
    xml.includes(
      '<DeviceID>D&amp;1</DeviceID>\r\n<Z>a&lt;b&gt;&amp;&quot;c&quot;</Z>\r\n<A>2.5</A>\r\n<List Num="2">\r\n<Item>\r\n<K>1</K>\r\n</Item>\r\n<Item>\r\n<K>2</K>\r\n</Item>\r\n</List>\r\n<Given Num="9"></Given>\r\n<Rep>x</Rep>\r\n<Rep>y</Rep>\r\n<Mixed Attr="v&amp;">t</Mixed>\r\n<Empty></Empty>\r\n<Ctl>ab</Ctl>\r\n',
    ),
    xml,
  );
  const back = decodeManscdp(Buffer.from(xml));
  assert.equal(back.deviceId, 'D&1');
  assert.equal(back.body.Z, 'a<b>&"c"');
});

test('encodeManscdp refuses unusable input with BAD_INPUT', () => {
  const base = { root: 'Query' as const, cmdType: 'Catalog', sn: 1, deviceId: 'x' };
  assert.throws(() => encodeManscdp({ ...base, sn: -1 }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, sn: 1.5 }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, cmdType: '' }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, root: 'Message' as 'Query' }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, fields: { 'bad name': 1 } }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, fields: { N: Number.NaN } }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, fields: { SN: 2 } }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp({ ...base, fields: { B: true as unknown as string } }), isCode('BAD_INPUT'));
  assert.throws(() => encodeManscdp(base, 'latin1' as 'UTF-8'), isCode('BAD_INPUT'));
});

test('buildQuery: plain queries, RecordInfo in spec order with defaults, ConfigDownload', () => {
  for (const cmd of ['Catalog', 'DeviceInfo', 'DeviceStatus', 'PresetQuery']) {
    const m = decodeManscdp(buildQuery(cmd, 5, '34020000001320000001'));
    assert.deepEqual([m.root, m.cmdType, m.sn, m.deviceId, m.declaredCharset], ['Query', cmd, 5, '34020000001320000001', 'GB2312']);
  }
  const rq = buildQuery('RecordInfo', 6, '34020000001310000001', { Type: 'time', EndTime: '2026-11-24T23:59:59', StartTime: '2026-11-24T00:00:00', RecorderID: 'R' });
  const text = rq.toString('latin1');
  const order = ['StartTime', 'EndTime', 'Secrecy', 'Type', 'RecorderID'].map((t) => text.indexOf(`<${t}>`));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  const q = parseRecordInfoQuery(decodeManscdp(rq));
  assert.equal(q.startTime, '2026-11-24T00:00:00');
  assert.equal(q.type, 'time');
  assert.equal(q.secrecy, 0);
  assert.equal(q.recorderId, 'R');
  const dflt = parseRecordInfoQuery(decodeManscdp(buildQuery('RecordInfo', 7, 'x', { StartTime: 'a', EndTime: 'b', FilePath: '/f', Address: '地址' })));
  assert.equal(dflt.type, 'all');
  assert.equal(dflt.address, '地址');
  assert.equal(dflt.filePath, '/f');
  assert.throws(() => buildQuery('RecordInfo', 1, 'x', { StartTime: '', EndTime: 'b' }), isCode('BAD_INPUT'));
  const cfg = decodeManscdp(buildQuery('ConfigDownload', 8, 'x', { ConfigType: 'BasicParam/VideoParamOpt' }));
  assert.equal(cfg.body.ConfigType, 'BasicParam/VideoParamOpt');
  assert.throws(() => buildQuery('ConfigDownload', 1, 'x', {} as { ConfigType: string }), isCode('BAD_INPUT'));
  const sub = decodeManscdp(buildQuery('MobilePosition', 9, 'x', { Interval: 5 }, { charset: 'UTF-8' }));
  assert.deepEqual([sub.body.Interval, sub.declaredCharset], ['5', 'UTF-8']);
});

test('buildDeviceControl: every sub-command round-trips through parseDeviceControl', () => {
  const cmds: DeviceControlCmd[] = [
    { type: 'PTZCmd', value: encodePtz({ pan: 'left', panSpeed: 0x1f }) },
    { type: 'PTZCmd', value: encodePtz({ kind: 'preset', action: 'call', index: 3 }), controlPriority: 5 },
    { type: 'TeleBoot' },
    { type: 'RecordCmd', value: 'Record' },
    { type: 'RecordCmd', value: 'StopRecord', streamNumber: 1 },
    { type: 'GuardCmd', value: 'SetGuard' },
    { type: 'GuardCmd', value: 'ResetGuard' },
    { type: 'AlarmCmd', value: 'ResetAlarm' },
    { type: 'AlarmCmd', value: 'ResetAlarm', alarmMethod: '5', alarmType: '2' },
    { type: 'IFameCmd' },
    { type: 'DragZoomIn', length: 1920, width: 1080, midPointX: 960, midPointY: 540, lengthX: 200, lengthY: 100 },
    { type: 'DragZoomOut', length: 704, width: 576, midPointX: 10, midPointY: 20, lengthX: 30, lengthY: 40 },
    { type: 'HomePosition', enabled: 1, resetTime: 30, presetIndex: 1 },
    { type: 'HomePosition', enabled: 0 },
  ];
  for (const cmd of cmds) {
    const m = decodeManscdp(buildDeviceControl(42, '34020000001310000001', cmd));
    assert.deepEqual([m.root, m.cmdType, m.sn], ['Control', 'DeviceControl', 42]);
    const back = parseDeviceControl(m);
    const expected = cmd.type === 'HomePosition' && cmd.enabled === 0 ? { type: 'HomePosition', enabled: 0 } : cmd;
    assert.deepEqual(back, [expected], JSON.stringify(cmd));
  }
  const teleboot = buildDeviceControl(1, 'x', { type: 'TeleBoot' }).toString('latin1');
  assert.ok(teleboot.includes('<TeleBoot>Boot</TeleBoot>'));
  assert.ok(buildDeviceControl(1, 'x', { type: 'IFameCmd' }).toString('latin1').includes('<IFameCmd>Send</IFameCmd>'));
  const ptz = parseDeviceControl(decodeManscdp(buildDeviceControl(1, 'x', { type: 'PTZCmd', value: 'a50f0100000000b5' })))[0];
  assert.equal(ptz.type === 'PTZCmd' && ptz.value, 'A50F0100000000B5');
  assert.deepEqual(decodePtz('A50F0100000000B5'), { kind: 'ptz', address: 1, panSpeed: 0, tiltSpeed: 0, zoomSpeed: 0 });
  assert.throws(() => buildDeviceControl(1, 'x', { type: 'PTZCmd', value: 'A50F01' }), isCode('BAD_INPUT'));
});

const items: CatalogItemInput[] = [1, 2, 3, 4, 5].map((n) => ({
  deviceId: `3402000000132000000${n}`,
  name: `通道${n} A&B`,
  manufacturer: 'sharpeye',
  model: 'IPC',
  owner: 'Owner',
  civilCode: '3402000000',
  address: '厦门',
  parental: 0,
  parentId: '34020000002000000001',
  safetyWay: 0,
  registerWay: 1,
  secrecy: 0,
  status: n === 4 ? 'OFF' : 'ON',
  longitude: 118.0819,
  latitude: 24.4528,
  ptzType: n % 4,
  streamNumberList: [0, 1],
  info: { DownloadSpeed: '1/2/4' },
  extra: { SecurityLevelCode: 'B' },
}));

test('buildCatalogResponses: pages share the SN, SumNum is the total, Num the page size; items round-trip', () => {
  const bodies = buildCatalogResponses(99, '34020000002000000001', items, 2);
  assert.equal(bodies.length, 3);
  const msgs = bodies.map((b) => decodeManscdp(b));
  assert.deepEqual(msgs.map((m) => [m.root, m.sn, m.deviceId]), Array(3).fill(['Response', 99, '34020000002000000001']));
  assert.deepEqual(msgs.map((m) => (m.body.DeviceList as Record<string, unknown>)['@_Num']), ['2', '2', '1']);
  const parsed = msgs.map(parseCatalog);
  assert.deepEqual(parsed.map((p) => p.sumNum), [5, 5, 5]);
  const all = parsed.flatMap((p) => p.items);
  assert.equal(all.length, 5);
  for (const [i, it] of all.entries()) {
    const src = items[i];
    assert.equal(it.deviceId, src.deviceId);
    assert.equal(it.name, src.name);
    assert.equal(it.address, '厦门');
    assert.equal(it.status, src.status);
    assert.equal(it.longitude, 118.0819);
    assert.equal(it.ptzType, src.ptzType);
    assert.deepEqual(it.streamNumberList, [0, 1]);
    assert.equal(it.raw.SecurityLevelCode, 'B');
    assert.equal((it.raw.Info as Record<string, unknown>).DownloadSpeed, '1/2/4');
    assert.equal(it.event, null);
  }
  // A parsed item can be written again unchanged (cascade relay).
  const relayed = parseCatalog(decodeManscdp(buildCatalogResponses(1, 'p', [all[0]], 10)[0])).items[0];
  assert.deepEqual({ ...relayed, raw: null }, { ...all[0], raw: null });

  const empty = buildCatalogResponses(100, 'p', [], 50);
  assert.equal(empty.length, 1);
  const e = decodeManscdp(empty[0]);
  assert.deepEqual(parseCatalog(e), { sumNum: 0, items: [] });
  assert.ok(empty[0].toString('latin1').includes('<DeviceList Num="0"></DeviceList>'));
  assert.throws(() => buildCatalogResponses(1, 'p', items, 0), isCode('BAD_INPUT'));
});

test('buildCatalogNotify: every item carries the event; items may override it', () => {
  const m = decodeManscdp(buildCatalogNotify(3, 'p', 'ADD', [items[0], { deviceId: 'x', event: 'DEL' }]));
  assert.equal(m.root, 'Notify');
  const c = parseCatalog(m);
  assert.equal(c.sumNum, 2);
  assert.deepEqual(c.items.map((i) => [i.deviceId, i.event]), [[items[0].deviceId, 'ADD'], ['x', 'DEL']]);
  assert.equal(c.items[0].name, '通道1 A&B');
});

test('buildRecordInfoResponses pages like the catalog and round-trips', () => {
  const recs = Array.from({ length: 7 }, (_, i) => ({
    deviceId: '34020000001310000001',
    name: '大厅',
    filePath: `/rec/${i}.mp4`,
    startTime: `2026-11-24T0${i}:00:00`,
    endTime: `2026-11-24T0${i}:59:59`,
    type: 'time',
    fileSize: 1024 * (i + 1),
  }));
  const bodies = buildRecordInfoResponses(8, '34020000001310000001', '大厅', recs, 3);
  assert.equal(bodies.length, 3);
  const parsed = bodies.map((b) => parseRecordInfo(decodeManscdp(b)));
  assert.deepEqual(parsed.map((p) => [p.sumNum, p.items.length, p.name]), [[7, 3, '大厅'], [7, 3, '大厅'], [7, 1, '大厅']]);
  const all = parsed.flatMap((p) => p.items);
  assert.deepEqual(all.map((r) => r.filePath), recs.map((r) => r.filePath));
  assert.deepEqual(all.map((r) => r.fileSize), recs.map((r) => r.fileSize));
  assert.equal(all[0].secrecy, 0);
  assert.equal(all[6].startTime, '2026-11-24T06:00:00');
});

test('device-side answers round-trip through the typed parsers', () => {
  const info = parseDeviceInfo(decodeManscdp(buildDeviceInfoResponse(1, 'd', { deviceName: '模拟设备', manufacturer: 'sharpeye', model: 'SIM', firmware: '1.0', channel: 4 })));
  assert.deepEqual([info.deviceName, info.result, info.manufacturer, info.model, info.firmware, info.channel], ['模拟设备', 'OK', 'sharpeye', 'SIM', '1.0', 4]);

  const st = parseDeviceStatus(
    decodeManscdp(
      buildDeviceStatusResponse(2, 'd', {
        online: true,
        encode: true,
        record: false,
        deviceTime: '2026-11-24T09:40:00',
        alarmStatus: [{ deviceId: 'a1', dutyStatus: 'ONDUTY' }, { deviceId: 'a2', dutyStatus: 'ALARM' }],
      }),
    ),
  );
  assert.deepEqual([st.result, st.online, st.status, st.encode, st.record, st.deviceTime], ['OK', true, 'OK', true, false, '2026-11-24T09:40:00']);
  assert.deepEqual(st.alarmStatus, [{ deviceId: 'a1', dutyStatus: 'ONDUTY' }, { deviceId: 'a2', dutyStatus: 'ALARM' }]);
  assert.equal(parseDeviceStatus(decodeManscdp(buildDeviceStatusResponse(2, 'd', { online: false, status: 'ERROR', reason: '断电' }))).reason, '断电');

  assert.deepEqual(parseKeepalive(decodeManscdp(buildKeepalive(3, 'd'))), { deviceId: 'd', status: 'OK', faultDeviceIds: [] });
  assert.deepEqual(parseKeepalive(decodeManscdp(buildKeepalive(3, 'd', { status: 'ERROR', faultDeviceIds: ['c1', 'c2'] }))), {
    deviceId: 'd',
    status: 'ERROR',
    faultDeviceIds: ['c1', 'c2'],
  });
  assert.deepEqual(parseKeepalive(decodeManscdp(buildKeepalive(3, 'd', { faultDeviceIds: ['c1'] }))).faultDeviceIds, ['c1']);

  const al = parseAlarm(
    decodeManscdp(
      buildAlarmNotify(4, 'd', { alarmPriority: 1, alarmMethod: 5, alarmTime: '2026-11-24T09:40:00', alarmDescription: '移动侦测', longitude: 118.1, latitude: 24.5, alarmType: 2, alarmTypeParam: { EventType: 1 } }),
    ),
  );
  assert.deepEqual({ ...al, raw: null }, {
    deviceId: 'd',
    alarmPriority: 1,
    alarmMethod: '5',
    alarmTime: '2026-11-24T09:40:00',
    alarmDescription: '移动侦测',
    longitude: 118.1,
    latitude: 24.5,
    alarmType: '2',
    alarmTypeParam: { EventType: '1' },
    raw: null,
  });

  assert.deepEqual(
    parseMobilePosition(decodeManscdp(buildMobilePositionNotify(5, 'd', { time: '2026-11-24T09:40:00', longitude: 118.0819, latitude: 24.4528, speed: 0, direction: 90 }))),
    { deviceId: 'd', time: '2026-11-24T09:40:00', longitude: 118.0819, latitude: 24.4528, speed: 0, direction: 90, altitude: null },
  );
  assert.deepEqual(parseMediaStatus(decodeManscdp(buildMediaStatusNotify(6, 'd'))), { deviceId: 'd', notifyType: 121 });
  assert.deepEqual(parsePresetList(decodeManscdp(buildPresetResponse(7, 'd', [{ presetId: 1, presetName: '大门' }, { presetId: 2 }]))), {
    deviceId: 'd',
    sumNum: 2,
    items: [{ presetId: 1, presetName: '大门' }, { presetId: 2, presetName: '' }],
  });
  assert.ok(buildPresetResponse(7, 'd', []).toString('latin1').includes('<PresetList Num="0"></PresetList>'));
  const cfg = parseConfigDownload(decodeManscdp(buildConfigDownloadResponse(8, 'd', { BasicParam: { Name: '设备', Expiration: 3600, HeartBeatInterval: 60, HeartBeatCount: 3 } })));
  assert.deepEqual([cfg.result, cfg.basicParam], ['OK', { Name: '设备', Expiration: '3600', HeartBeatInterval: '60', HeartBeatCount: '3' }]);
  assert.deepEqual(parseControlResponse(decodeManscdp(buildControlResponse(9, 'd', 'ERROR'))), { deviceId: 'd', result: 'ERROR', ok: false });
  const alarmAck = decodeManscdp(buildResultResponse('Alarm', 10, 'd'));
  assert.deepEqual([alarmAck.root, alarmAck.cmdType, alarmAck.body.Result], ['Response', 'Alarm', 'OK']);
});

test('decode → re-encode keeps the Chinese of a real GB2312 fixture', () => {
  const src = parseCatalog(decodeManscdp(fixture('hikvision-ipc-catalog.xml')));
  for (const charset of ['GB2312', 'UTF-8', 'GB18030'] as const) {
    const again = parseCatalog(decodeManscdp(buildCatalogResponses(1, 'p', src.items, 10, { charset })[0]));
    assert.deepEqual(again.items.map((i) => i.name), ['东门入口', ''], charset);
  }
  const rare = parseCatalog(decodeManscdp(buildCatalogResponses(1, 'p', [{ deviceId: 'x', name: '𠮷野家 😀' }], 1)[0]));
  assert.equal(rare.items[0].name, '𠮷野家 😀');
});
