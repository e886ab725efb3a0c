import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { gapsBetween, mergeSpans } from '../../src/record/spans.js';
import { inSchedule, scheduleError } from '../../src/record/schedule.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Search (issue 7): one month of 5-minute segments for a channel is merged into spans in < 50 ms, on SQLite and on
// PostgreSQL (bigint times come back as strings there), with other channels' rows in the same table.

const DAY = 86_400_000;
const SEG = 300_000;

test('segments closer than 2 s join into one span; damaged ones break it; spans are clipped to the range', () => {
  const segs = [
    { startMs: 0, endMs: 300_000, state: 'closed', size: 1 },
    { startMs: 300_900, endMs: 600_000, state: 'closed', size: 1 }, // 0.9 s later: same span
    { startMs: 600_000, endMs: 900_000, state: 'corrupt', size: 1 },
    { startMs: 900_000, endMs: 1_200_000, state: 'open', size: 1 },
  ];
  const spans = mergeSpans(segs, 100_000, 1_100_000);
  assert.deepEqual(
    spans.map((s) => [s.startMs, s.endMs, !!s.recording]),
    [
      [100_000, 600_000, false],
      [900_000, 1_100_000, true],
    ],
  );
  assert.deepEqual(gapsBetween(spans, 0, 1_200_000), [
    { startMs: 0, endMs: 100_000 },
    { startMs: 600_000, endMs: 900_000 },
    { startMs: 1_100_000, endMs: 1_200_000 },
  ]);
});

test('weekly schedule windows in the platform time zone', () => {
  const w = [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:30' }];
  // 2026-11-25 is a Wednesday; 01:00Z = 09:00 in Asia/Shanghai
  assert.equal(inSchedule(w, new Date('2026-11-25T01:00:00Z'), 'Asia/Shanghai'), true);
  assert.equal(inSchedule(w, new Date('2026-11-25T11:00:00Z'), 'Asia/Shanghai'), false); // 19:00 local
  assert.equal(inSchedule(w, new Date('2026-11-28T01:00:00Z'), 'Asia/Shanghai'), false); // Saturday
  assert.equal(inSchedule([{ days: [7], from: '00:00', to: '24:00' }], new Date('2026-11-29T15:59:00Z'), 'Asia/Shanghai'), true); // Sunday 23:59
  assert.match(scheduleError([{ days: [8], from: '00:00', to: '01:00' }]) ?? '', /weekdays/);
  assert.match(scheduleError([{ days: [1], from: '10:00', to: '09:00' }]) ?? '', /before/);
  assert.equal(scheduleError(w), undefined);
});

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`search on ${kind}`, () => {
    let t: TestApp;
    after(async () => t?.close());

    test('a month of 5-minute segments (8,640 rows among 43,200) is searched in < 50 ms', async () => {
      t = await startTestApp(kind, { SHARPEYE_RECORD_MIN_FREE_MB: '0' });
      const db = t.platform.store.database.db;
      const end = Math.floor(Date.now() / SEG) * SEG;
      const start = end - 30 * DAY;
      const channels = ['35020000001320000001', '35020000001320000002', '35020000001320000003', '35020000001320000004', '35020000001320000005'];
      let perChannel = 0;
      for (const ch of channels) {
        const rows = [];
        for (let s = start; s < end; s += SEG) {
          // an hour missing every day at 03:00 UTC, so there are gaps to find
          if (new Date(s).getUTCHours() === 3) continue;
          rows.push({ channel_id: ch, start_ms: s, end_ms: s + SEG - 40, size: 75_000_000, path: `/r/${ch}/${s}.mp4`, node_id: 'n1', codec: 'h264', checksum: null, state: 'closed' });
        }
        perChannel = rows.length;
        for (let i = 0; i < rows.length; i += 500) await db.insertInto('record_segments').values(rows.slice(i, i + 500)).execute();
      }
      const ch = channels[2];
      const url = `/api/v1/channels/${ch}/records?start=${new Date(start).toISOString()}&end=${new Date(end).toISOString()}`;
      // records needs a visible channel
      await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001110000001', name: 'NVR' } });
      await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: t.admin, payload: { id: ch, deviceId: '35020000001110000001', name: 'cam' } });
      await t.app.inject({ method: 'GET', url, headers: t.admin }); // warm the statement cache
      const times: number[] = [];
      let body: { items: unknown[]; gaps: unknown[]; segments: number; searchMs: number } | undefined;
      for (let i = 0; i < 5; i++) {
        const r = await t.app.inject({ method: 'GET', url, headers: t.admin });
        assert.equal(r.statusCode, 200, r.body);
        body = r.json();
        times.push(body!.searchMs);
      }
      times.sort((a, b) => a - b);
      const median = times[2];
      console.log(`# ${kind}: month search over ${body!.segments} segments → ${body!.items.length} spans, median ${median} ms (${times.join(', ')})`);
      assert.equal(body!.segments, perChannel, 'every segment of the month counted, none of the other channels');
      assert.equal(body!.gaps.length, 30, 'the daily missing hour is a gap');
      assert.ok(body!.items.length >= 30 && body!.items.length <= 31, `${body!.items.length} spans (one a day)`);
      assert.ok(median < 50, `median search ${median} ms`);
    });
  });
}
