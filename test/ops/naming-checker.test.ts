import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkChannels, NameChecker, nameWidth, type NamedChannel } from '../../src/ops/naming/checker.js';
import { encodeManscdp, decodeManscdp } from '../../src/lib/manscdp/index.js';
import { osdConfigFields, osdTextProblem } from '../../src/ops/naming/osd-config.js';
import { DEFAULT_NAMING_RULES, mergeRules, ruleProblems } from '../../src/ops/naming/rules.js';

const rules = { ...DEFAULT_NAMING_RULES, redundantPrefixes: ['厦门市', '思明区'] };
const codes = (name: string, ptzType: number | null = null) => new NameChecker(rules).check(name, ptzType).map((v) => v.code);
const ch = (id: string, name: string, orgId: string | null = 'o1', ptzType: number | null = null): NamedChannel => ({ id, name, orgId, deviceId: 'd1', ptzType });

describe('GA/T 751 channel-name checker (pure)', () => {
  test('a name laid out location first, then direction, passes', () => {
    for (const n of ['湖滨南路与厦禾路交叉口东向西', '嘉禾路口朝北', '莲前东路12号北向', '仙岳路-金尚路口南向北2', 'BRT第一码头站东北向西南']) assert.deepEqual(codes(n), [], n);
  });

  test('each rule is reported with its code', () => {
    assert.deepEqual(codes(''), ['EMPTY']);
    assert.ok(codes('Camera 01').includes('DEFAULT_NAME'));
    assert.ok(codes('通道1').includes('DEFAULT_NAME'));
    assert.ok(codes('34020000001310000001').includes('DEFAULT_NAME'));
    assert.deepEqual(codes('湖滨南路 东向西'), ['WHITESPACE']);
    assert.deepEqual(codes('湖滨南路，嘉禾路口东向西'), ['CHARSET']);
    assert.deepEqual(codes('ＡＢ路口东向西'), ['CHARSET'], 'full-width letters');
    assert.deepEqual(codes('湖滨南路--口东向西'), ['PUNCT_RUN']);
    assert.deepEqual(codes('-湖滨南路口东向西'), ['PUNCT_RUN']);
    assert.deepEqual(codes('厦门市思明区湖滨南路与厦禾路交叉口人行天桥东向西'), ['TOO_LONG']);
    assert.deepEqual(codes('东向西'), ['NO_LOCATION']);
    assert.deepEqual(codes('东向西湖滨南路'), ['DIRECTION_NOT_LAST']);
    assert.deepEqual(codes('湖滨南路口'), ['DIRECTION_MISSING']);
    assert.deepEqual(codes('湖滨南路口', 1), [], 'a PTZ dome turns: no fixed direction needed');
    assert.deepEqual(codes('朝阳路口'), ['DIRECTION_MISSING'], '朝阳 is a place, not a direction');
  });

  test('width counts ASCII as half a 汉字', () => {
    assert.equal(nameWidth('湖滨路'), 3);
    assert.equal(nameWidth('BRT1'), 2);
    assert.deepEqual(codes('湖滨南路与厦禾路交叉口天桥下12号东向西'), [], '18 汉字 + 2 digits = 19 wide');
  });

  test('suggestions pass every rule; a missing location or direction needs a person', () => {
    const c = new NameChecker(rules);
    assert.equal(c.suggest('湖滨南路  口，朝北').name, '湖滨南路口朝北');
    assert.equal(c.suggest('东向西湖滨南路').name, '湖滨南路东向西');
    assert.equal(c.suggest('ＡＢ１路口南向北').name, 'AB1路口南向北');
    assert.equal(c.suggest('厦门市思明区湖滨南路与厦禾路交叉口人行天桥东向西').name, '湖滨南路与厦禾路交叉口人行天桥东向西');
    const cut = c.suggest('湖滨南路与厦禾路交叉口人行天桥下面的公交站台东向西');
    assert.equal(cut.lossy, true);
    assert.ok(cut.name && nameWidth(cut.name) <= 20 && cut.name.endsWith('东向西'), cut.name ?? '');
    assert.equal(c.suggest('湖滨南路口').name, null);
    assert.equal(c.suggest('Camera 01').name, null);
  });

  test('duplicates within an organisation are reported and renumbered; other organisations may repeat a name', () => {
    const r = checkChannels([ch('c1', '湖滨南路口东向西'), ch('c2', '湖滨南路口东向西'), ch('c3', '湖滨南路口 东向西'), ch('c4', '湖滨南路口东向西', 'o2')], rules);
    assert.deepEqual(r.get('c1')!.violations, []);
    assert.deepEqual(r.get('c2')!.violations.map((v) => v.code), ['DUPLICATE']);
    assert.equal(r.get('c2')!.suggestion, '湖滨南路口东向西2');
    assert.deepEqual(r.get('c3')!.violations.map((v) => v.code), ['WHITESPACE']);
    assert.equal(r.get('c3')!.suggestion, '湖滨南路口东向西3', 'a suggestion never takes a name in use');
    assert.deepEqual(r.get('c4')!.violations, []);
    const off = checkChannels([ch('c1', '湖滨南路口东向西'), ch('c2', '湖滨南路口东向西')], { ...rules, uniqueInOrg: false });
    assert.deepEqual(off.get('c2')!.violations, []);
  });

  test('rule set: configurable, validated, merged over defaults', () => {
    const strict = new NameChecker({ ...rules, maxLength: 8, pattern: '^(思明|湖里)' });
    assert.deepEqual(strict.check('思明湖滨南路口东向西').map((v) => v.code), ['TOO_LONG']);
    assert.deepEqual(strict.check('湖滨路口东向西').map((v) => v.code), ['PATTERN']);
    const noDir = new NameChecker({ ...rules, requireDirection: false });
    assert.deepEqual(noDir.check('湖滨南路口').map((v) => v.code), []);
    const custom = new NameChecker({ ...rules, directions: ['上行', '下行'], directionLinks: ['往'] });
    assert.deepEqual(custom.check('环岛路往上行').map((v) => v.code), []);
    assert.ok(ruleProblems({ ...rules, maxLength: 2 }).length);
    assert.ok(ruleProblems({ ...rules, pattern: '([' }).length);
    assert.ok(ruleProblems({ ...rules, separators: 'a' }).length);
    assert.deepEqual(ruleProblems(DEFAULT_NAMING_RULES), []);
    assert.equal(mergeRules({ maxLength: 16, bogus: 1, directions: 'x' }).maxLength, 16);
    assert.deepEqual(mergeRules({ directions: 'x' }).directions, DEFAULT_NAMING_RULES.directions);
  });

  test('20,000 channels are checked in bounded time (≈0.3 s warm; 3 s allowed on a loaded CI machine)', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ch(String(i).padStart(6, '0'), i % 10 ? `湖滨南路${i}号东向西` : `Camera ${i}`, `o${i % 200}`));
    const t0 = performance.now();
    const r = checkChannels(many, rules);
    const ms = performance.now() - t0;
    assert.equal([...r.values()].filter((x) => x.violations.length).length, 2000);
    assert.ok(ms < 3000, `${ms} ms`);
  });

  test('OSDConfig body (GB/T 28181-2022 A.2.1.12): elements, no Num attribute, 32-character limit', () => {
    const body = encodeManscdp({ root: 'Control', cmdType: 'DeviceConfig', sn: 7, deviceId: '35020000001310000081', fields: osdConfigFields('湖滨南路口东向西', { width: 1920, height: 1080, textCorner: 'bottom-right' }) });
    const text = body.toString('latin1');
    assert.match(text, /<OSDConfig>\r\n<Length>1920<\/Length>\r\n<Width>1080<\/Width>\r\n<TimeX>32<\/TimeX>\r\n<TimeY>32<\/TimeY>\r\n<TimeEnable>1<\/TimeEnable>\r\n<TimeType>0<\/TimeType>\r\n<TextEnable>1<\/TextEnable>\r\n<SumNum>1<\/SumNum>\r\n<Item>/);
    const m = decodeManscdp(body);
    const osd = m.body.OSDConfig as { Item: { Text: string; X: string; Y: string }[] };
    assert.equal(osd.Item[0].Text, '湖滨南路口东向西');
    assert.equal(Number(osd.Item[0].X), 1920 - 32 - 8 * 32);
    assert.equal(Number(osd.Item[0].Y), 1080 - 32 - 32);
    assert.equal(osdTextProblem('一'.repeat(32)), null);
    assert.match(osdTextProblem('一'.repeat(33))!, /32/);
    assert.match(osdTextProblem(' ')!, /empty/);
  });
});
