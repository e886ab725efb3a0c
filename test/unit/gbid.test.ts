import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gbTypeName, isCivilCode, parseGbId } from '../../src/core/gbid.js';
import { formatLocalDateTime, formatLocalIso } from '../../src/core/time.js';

test('GB IDs split into centre/industry/type/network/serial (GB/T 28181-2016 Appendix D)', () => {
  const g = parseGbId('34020000001320000001');
  assert.deepEqual(g, { id: '34020000001320000001', centre: '34020000', industry: '00', typeCode: '132', network: '0', serial: '000001', known: true });
  assert.equal(gbTypeName('118'), '网络视频录像机(NVR)');
  assert.equal(gbTypeName('215', 'en'), 'Business group');
  assert.equal(parseGbId('3402000000132000000'), null);
  assert.equal(parseGbId('3402000000132000000a'), null);
  assert.equal(parseGbId('35020000009990000001')?.known, false, 'unknown types parse but are flagged');
  assert.equal(parseGbId('35020000001250000001')?.known, true, '119-130 extension range');
  assert.ok(isCivilCode('3502') && isCivilCode('35020301') && !isCivilCode('350') && !isCivilCode('3502030101'));
});

test('local times use the configured zone, not the machine zone', () => {
  const d = new Date('2026-11-24T01:40:00.123Z');
  assert.equal(formatLocalIso(d, 'Asia/Shanghai'), '2026-11-24T09:40:00.123');
  assert.equal(formatLocalDateTime(d, 'Asia/Shanghai'), '2026-11-24 09:40:00');
  assert.equal(formatLocalDateTime(new Date('2026-11-24T16:00:00Z'), 'Asia/Shanghai'), '2026-11-25 00:00:00', 'midnight is 00, not 24');
  assert.equal(formatLocalDateTime(d, 'UTC'), '2026-11-24 01:40:00');
});
