import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQuery, decodeManscdp, encodeManscdp, parseCatalog } from '../../src/lib/manscdp/index.js';
import { osdConfigFields } from '../../src/ops/naming/osd-config.js';
import { createAnswers } from '../../src/sim/answers.js';
import { IdPlan } from '../../src/sim/ids.js';

// The simulator takes the platform's OSDConfig (GB/T 28181-2022 A.2.1.12): Result OK, and the text becomes the
// channel's name in later Catalog answers, so an OSD push can be seen end to end against simulated cameras.
test('simulator: DeviceConfig/OSDConfig answered OK and the OSD text remembered as the channel name', () => {
  const plan = new IdPlan('3402000000', 4, 1, 10);
  const answers = createAnswers({ plan, vendor: 'dahua', timeZone: 'Asia/Shanghai', catalogPerMessage: 10, recordsPerMessage: 10, recordDays: 1, domain: '3402000000' });
  const dev = { id: plan.deviceId(0), index: 0 };
  const ch = plan.channelId(0, 2);
  const body = encodeManscdp({ root: 'Control', cmdType: 'DeviceConfig', sn: 41, deviceId: ch, fields: osdConfigFields('湖滨南路口东向西', { width: 1920, height: 1080, textCorner: 'bottom-right' }) });
  const a = answers.message(dev, body);
  assert.equal(a.status, 200);
  assert.equal(a.after.length, 1);
  const r = decodeManscdp(a.after[0]);
  assert.equal(r.root, 'Response');
  assert.equal(r.cmdType, 'DeviceConfig');
  assert.equal(r.sn, 41);
  assert.equal(r.deviceId, ch);
  assert.equal(r.body.Result, 'OK');
  const cat = answers.message(dev, buildQuery('Catalog', 42, dev.id));
  const items = cat.after.flatMap((b) => parseCatalog(decodeManscdp(b)).items);
  assert.equal(items.find((i) => i.deviceId === ch)?.name, '湖滨南路口东向西');
  assert.notEqual(items.find((i) => i.deviceId === plan.channelId(0, 1))?.name, '湖滨南路口东向西', 'only that channel');
});
