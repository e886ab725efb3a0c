import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adtsHeader,
  audioSpecificConfig,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  splitAdts,
} from '../../../src/lib/aac/index.js';
import { fixture } from '../ps/media-helpers.js';

const AAC = 'aac-44100-stereo.aac';

test('parseAdtsHeader: first header of the ffmpeg ADTS fixture', () => {
  const h = parseAdtsHeader(fixture(AAC))!;
  assert.deepEqual(h, { objectType: 2, sampleRate: 44100, channels: 2, headerLength: 7, frameLength: 131, rawBlocks: 1 });
  assert.equal(parseAdtsHeader(Buffer.from('fff1', 'hex')), undefined, 'too short');
  assert.equal(parseAdtsHeader(Buffer.from('fff7508011ffc0', 'hex')), undefined, 'layer ≠ 0');
  assert.equal(parseAdtsHeader(Buffer.from('fff17c8011ffc0', 'hex')), undefined, 'sampling index 15');
  assert.equal(parseAdtsHeader(Buffer.from('fff1508000bfc0', 'hex')), undefined, 'frame length shorter than the header');
});

test('splitAdts: 88 raw frames (as ffprobe counts), sizes add up to the file', () => {
  const file = fixture(AAC);
  const a = splitAdts(file)!;
  assert.equal(a.frames.length, 88);
  assert.deepEqual([a.objectType, a.sampleRate, a.channels], [2, 44100, 2]);
  assert.deepEqual(
    a.frames.slice(0, 3).map((f) => f.length),
    [124, 184, 101],
  );
  assert.equal(a.frames.reduce((n, f) => n + f.length + 7, 0), file.length);
  assert.equal(a.frames[0].buffer, file.buffer, 'subarrays, no copy');
  assert.equal(splitAdts(file.subarray(0, file.length - 1)), undefined, 'last frame cut');
  assert.equal(splitAdts(Buffer.from('00112233445566778899', 'hex')), undefined, 'no sync word');
});

test('adtsHeader wraps each raw frame back into the exact bytes ffmpeg wrote', () => {
  const file = fixture(AAC);
  const a = splitAdts(file)!;
  const rebuilt = Buffer.concat(a.frames.flatMap((f) => [adtsHeader(2, 44100, 2, f.length), f]));
  assert.ok(rebuilt.equals(file));
  assert.throws(() => adtsHeader(2, 12345, 2, 100), RangeError);
  assert.throws(() => adtsHeader(5, 44100, 2, 100), RangeError);
  assert.throws(() => adtsHeader(2, 44100, 2, 8200), RangeError);
});

test('audioSpecificConfig: 2-byte forms (ISO/IEC 14496-3 §1.6.2.1), explicit rate, parse round trip', () => {
  assert.equal(audioSpecificConfig(2, 44100, 2).toString('hex'), '1210');
  assert.equal(audioSpecificConfig(2, 48000, 1).toString('hex'), '1188');
  assert.equal(audioSpecificConfig(2, 8000, 1).toString('hex'), '1588');
  assert.equal(audioSpecificConfig(1, 16000, 2).toString('hex'), '0c10');
  const odd = audioSpecificConfig(2, 12345, 1);
  assert.equal(odd.length, 5);
  assert.deepEqual(parseAudioSpecificConfig(odd), { objectType: 2, sampleRate: 12345, channels: 1 });
  assert.deepEqual(parseAudioSpecificConfig(Buffer.from('1210', 'hex')), { objectType: 2, sampleRate: 44100, channels: 2 });
  // HE-AAC v1 signalled explicitly (object type 5 … extension) is read as its first fields
  assert.deepEqual(parseAudioSpecificConfig(Buffer.from('2b920800', 'hex')), { objectType: 5, sampleRate: 22050, channels: 2 });
  assert.throws(() => parseAudioSpecificConfig(Buffer.from('12', 'hex')), RangeError);
  assert.throws(() => audioSpecificConfig(0, 44100, 2), RangeError);
});
