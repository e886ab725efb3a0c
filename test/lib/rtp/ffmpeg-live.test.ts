import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VideoFrame } from '../../../src/lib/av/frame.js';
import { H264Depacketizer, parseRtp, ReorderBuffer } from '../../../src/lib/rtp/index.js';
import { accessUnits, splitAnnexB } from '../../fixtures/rtp/annexb.js';
import { captureFfmpeg, haveFfmpeg, RECIPES } from '../../fixtures/rtp/capture.js';

// The fixture tests use a recorded capture; this one records afresh, so a change in ffmpeg's packetizer shows up.
test('live: what ffmpeg sends over UDP reassembles into exactly its access units', { skip: !haveFfmpeg() && 'ffmpeg not installed' }, async () => {
  const r = RECIPES.h264;
  const cap = await captureFfmpeg([...r.input], [...r.codec], r.ref, r.pt);
  const aus = accessUnits(splitAnnexB(cap.ref), (n) => (n[0] & 0x1f) === 9);
  assert.equal(aus.length, 50);
  const frames: VideoFrame[] = [];
  const d = new H264Depacketizer({ onFrame: (f) => frames.push(f) });
  const rb = new ReorderBuffer({ onPacket: (p) => d.push(p) });
  for (const b of cap.packets) rb.push(parseRtp(b)!);
  rb.flush();
  d.flush();
  assert.equal(rb.stats.lost, 0);
  assert.equal(frames.length, 50);
  frames.forEach((f, i) => assert.deepEqual(f.units, aus[i]));
});
