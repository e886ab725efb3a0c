import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnvifError } from '../../src/onvif/client.js';
import { ptzVelocity } from '../../src/onvif/ptz-map.js';

test('directions map onto the generic velocity space: right/up positive, speed/255', () => {
  assert.deepEqual(ptzVelocity('right', 255), { x: 1, y: 0, zoom: 0 });
  assert.deepEqual(ptzVelocity('left', 255), { x: -1, y: 0, zoom: 0 });
  assert.deepEqual(ptzVelocity('up', 128), { x: 0, y: 0.502, zoom: 0 });
  assert.deepEqual(ptzVelocity('down', 51), { x: 0, y: -0.2, zoom: 0 });
  assert.deepEqual(ptzVelocity('upleft', 102), { x: -0.4, y: 0.4, zoom: 0 });
  assert.deepEqual(ptzVelocity('upright', 102), { x: 0.4, y: 0.4, zoom: 0 });
  assert.deepEqual(ptzVelocity('downleft', 102), { x: -0.4, y: -0.4, zoom: 0 });
  assert.deepEqual(ptzVelocity('downright', 102), { x: 0.4, y: -0.4, zoom: 0 });
  assert.deepEqual(ptzVelocity('zoomin', 255), { x: 0, y: 0, zoom: 1 });
  assert.deepEqual(ptzVelocity('zoomout', 1), { x: 0, y: 0, zoom: -0.0039 });
  assert.equal(ptzVelocity('stop', 128), 'stop');
  for (const a of ['left', 'right', 'up', 'down', 'zoomin']) {
    const v = ptzVelocity(a, 200);
    assert.ok(v !== 'stop' && !Object.is(v.x, -0) && !Object.is(v.y, -0) && !Object.is(v.zoom, -0), a);
  }
});

test('speed is clamped to 1–255 and rounded; non-finite means the REST default 128', () => {
  assert.deepEqual(ptzVelocity('right', 9999), { x: 1, y: 0, zoom: 0 });
  assert.deepEqual(ptzVelocity('right', 0), { x: 0.0039, y: 0, zoom: 0 });
  assert.deepEqual(ptzVelocity('right', 127.6), ptzVelocity('right', 128));
  assert.deepEqual(ptzVelocity('right', Number.NaN), ptzVelocity('right', 128));
});

test('focus/iris are not PTZ in ONVIF; unknown actions are refused', () => {
  for (const a of ['focusnear', 'focusfar', 'irisopen', 'irisclose', 'fistop']) {
    assert.throws(() => ptzVelocity(a, 100), (e) => e instanceof OnvifError && e.code === 'NOT_SUPPORTED', a);
  }
  assert.throws(() => ptzVelocity('spin', 100), (e) => e instanceof OnvifError && e.code === 'INVALID_ARGUMENT');
});
