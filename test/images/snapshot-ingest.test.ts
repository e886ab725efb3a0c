import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Issue 12 §4: pictures from devices that do not speak the seed interfaces feed the same capture store.
// GB/T 28181-2022 snapshot upload (a session opened over the REST API, the device POSTs JPEGs to its URL) and the
// FTP ingest directory (<dir>/<device or channel ID>/...), both found again through GET /api/v1/face-captures.

const CAM = '35020000001320000001'; // one channel: pictures of the device land on that channel
const CAM_CH = '35020000001310000001';
const NVR = '35020000001180000002';
const NVR_CH1 = '35020000001310000021';
const NVR_CH2 = '35020000001310000022';
const UNKNOWN = '35020000001320009999';

const work = mkdtempSync(path.join(tmpdir(), 'sharpeye-snap-'));
const ingestDir = path.join(work, 'ftp');

function jpeg(name: string, filter: string): Buffer {
  const out = path.join(work, name);
  const r = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', filter, '-frames:v', '1', out]);
  assert.equal(r.status, 0, `ffmpeg: ${r.stderr}`);
  return readFileSync(out);
}

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('snapshot upload and ingest directory (issue 12 §4)', () => {
  let t: TestApp;
  let pic1: Buffer;
  let pic2: Buffer;
  let pic3: Buffer;
  const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: t.admin, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.headers['content-type']?.toString().startsWith('application/json') ? r.json() : r.rawPayload };
  };
  /** the device side: no credentials, only the URL */
  const upload = (url: string, body: Buffer | string, contentType = 'image/jpeg') => t.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body });
  const captures = async (q: string) => (await api('GET', `/face-captures?${q}`)).body as { total: number; items: any[] };

  before(async () => {
    pic1 = jpeg('a.jpg', 'testsrc2=size=320x240');
    pic2 = jpeg('b.jpg', 'testsrc=size=176x144');
    pic3 = jpeg('c.jpg', 'smptebars=size=160x120');
    t = await startTestApp('sqlite', { SHARPEYE_IMAGE_INGEST_DIR: ingestDir, SHARPEYE_IMAGE_MAX_MB: '0.05' });
    for (const id of [CAM, NVR]) assert.equal((await api('POST', '/devices', { id, name: `dev ${id.slice(-2)}` })).status, 201);
    for (const [id, deviceId] of [
      [CAM_CH, CAM],
      [NVR_CH1, NVR],
      [NVR_CH2, NVR],
    ])
      assert.equal((await api('POST', '/channels', { id, deviceId, name: `ch ${id.slice(-2)}` })).status, 201);
  });
  after(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a session takes its JPEGs (raw body and multipart), which are listed, served back and counted; then it is full', async () => {
    const s = await api('POST', `/channels/${NVR_CH2}/snapshot-upload`, { count: 2, intervalMs: 2000, baseUrl: 'http://10.0.0.5:8080' });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.match(s.body.sessionId, /^[0-9a-f]{48}$/);
    assert.equal(s.body.uploadUrl, `http://10.0.0.5:8080/api/v1/snapshots/upload/${s.body.sessionId}`);
    assert.equal(s.body.configSent, false, 'the device is not registered: SnapShotConfig could not be sent');
    assert.ok(s.body.configError);
    const path1 = new URL(s.body.uploadUrl).pathname;

    const r1 = await upload(path1, pic1);
    assert.equal(r1.statusCode, 200, r1.body);
    assert.equal(r1.json().received, 1);
    // multipart, with a file name appended to the URL as some devices do
    const boundary = 'snapboundary';
    const mp = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`), pic2, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const r2 = await upload(`${path1}/${NVR_CH2}_20261125100000_01.jpg`, mp, `multipart/form-data; boundary=${boundary}`);
    assert.equal(r2.statusCode, 200, r2.body);
    assert.equal(r2.json().received, 2);

    const list = await captures(`source=gb-snapshot&deviceId=${NVR_CH2}`);
    assert.equal(list.total, 2);
    const first = list.items.find((c) => c.id === r1.json().id);
    assert.ok(first);
    assert.equal(first.channelId, NVR_CH2);
    assert.equal(first.archiveDeviceId, NVR);
    assert.equal(first.faceCount, 0);
    assert.deepEqual([first.background.width, first.background.height], [320, 240]);
    const img = await t.app.inject({ method: 'GET', url: first.background.url, headers: t.admin });
    assert.equal(img.statusCode, 200);
    assert.ok(img.rawPayload.equals(pic1), 'the stored picture is the uploaded one, byte for byte');

    const r3 = await upload(path1, pic3);
    assert.equal(r3.statusCode, 409);
    assert.equal(r3.json().code, 'SNAPSHOT_SESSION_USED');
    assert.equal((await captures(`source=gb-snapshot&deviceId=${NVR_CH2}`)).total, 2);
  });

  test('unknown and expired sessions, non-JPEG and oversized bodies are refused and store nothing', async () => {
    const before = (await captures('pageSize=1')).total;
    const s = await api('POST', `/channels/${CAM_CH}/snapshot-upload`, { count: 3, intervalMs: 1000, send: false });
    assert.equal(s.status, 201);
    const url = `/api/v1/snapshots/upload/${s.body.sessionId}`;

    const unknown = await upload(`/api/v1/snapshots/upload/${'0'.repeat(48)}`, pic1);
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'SNAPSHOT_SESSION_UNKNOWN');

    for (const [body, type] of [
      ['this is not a picture', 'image/jpeg'],
      [Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'application/octet-stream'],
      [JSON.stringify({ picture: 'x' }), 'application/json'],
      ['', 'image/jpeg'],
    ] as const) {
      const r = await upload(url, body, type);
      assert.equal(r.statusCode, 400, `${type} ${String(body).slice(0, 20)}: ${r.body}`);
      assert.match(r.json().code, /INVALID_FILE|VALIDATION_FAILED/);
    }
    // over SHARPEYE_IMAGE_MAX_MB (0.05 MiB here): JPEG magic, then 60 KB
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60_000, 1), Buffer.from([0xff, 0xd9])]);
    const tooBig = await upload(url, big);
    assert.equal(tooBig.statusCode, 413);
    assert.equal(tooBig.json().code, 'PAYLOAD_TOO_LARGE');
    assert.equal((await captures('pageSize=1')).total, before, 'nothing stored by refused uploads');

    // refused uploads did not use the session up; after count × interval + 5 min it has expired
    t.clock.advance(3 * 1000 + 5 * 60_000 + 1);
    const expired = await upload(url, pic1);
    assert.equal(expired.statusCode, 410);
    assert.equal(expired.json().code, 'SNAPSHOT_SESSION_EXPIRED');
    assert.equal((await captures('pageSize=1')).total, before);
    assert.equal((await api('POST', `/channels/${UNKNOWN}/snapshot-upload`, {})).status, 404);
  });

  test('ingest directory: complete JPEGs are stored once, a slow upload only when complete; unknown IDs and non-JPEGs are rejected', async () => {
    const camFile = path.join(ingestDir, CAM, '2026-11-25', '10', 'pic001.jpg');
    const slowFile = path.join(ingestDir, NVR_CH1, 'slow.jpg');
    const unknownFile = path.join(ingestDir, UNKNOWN, 'x.jpg');
    const textFile = path.join(ingestDir, CAM, 'notes.jpg');
    const partial = path.join(ingestDir, CAM, 'upload.jpg.part');
    for (const f of [camFile, slowFile, unknownFile, textFile]) mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(camFile, pic1);
    writeFileSync(unknownFile, pic2);
    writeFileSync(textFile, 'not a jpeg at all\n');
    writeFileSync(partial, pic3.subarray(0, 100)); // an uploader's temporary name: left alone
    // the slow one: first half, a pause (longer than a scan, shorter than the 2 s stability wait), then the rest
    writeFileSync(slowFile, pic3.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await captures(`source=ftp&deviceId=${NVR_CH1}`)).total, 0, 'not taken while still being written');
    assert.ok(existsSync(slowFile));
    appendFileSync(slowFile, pic3.subarray(1000));

    await until('both pictures stored', async () => (await captures('source=ftp')).total === 2);
    await until('rejects moved', async () => !existsSync(unknownFile) && !existsSync(textFile) && !existsSync(slowFile) && !existsSync(camFile));
    assert.ok(existsSync(path.join(ingestDir, 'rejected', UNKNOWN, 'x.jpg')), 'unknown device → rejected/');
    assert.ok(existsSync(path.join(ingestDir, 'rejected', CAM, 'notes.jpg')), 'not a JPEG → rejected/');
    assert.ok(existsSync(partial), 'temporary upload names are not touched');

    const cam = await captures(`source=ftp&deviceId=${CAM}`);
    assert.equal(cam.total, 1);
    assert.equal(cam.items[0].channelId, CAM_CH, 'a device with one channel: the picture belongs to that channel');
    const slow = await captures(`source=ftp&deviceId=${NVR_CH1}`);
    assert.equal(slow.total, 1);
    const img = await t.app.inject({ method: 'GET', url: slow.items[0].background.url, headers: t.admin });
    assert.ok(img.rawPayload.equals(pic3), 'the slowly written file was stored whole');

    // the same picture dropped again is recognised (no second capture), and later scans store nothing more
    writeFileSync(path.join(ingestDir, CAM, 'again.jpg'), pic1);
    await until('the repeat consumed', async () => !existsSync(path.join(ingestDir, CAM, 'again.jpg')));
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await captures('source=ftp')).total, 2);
    assert.equal(t.platform.images?.ingestDir?.counters.stored, 2);
    assert.equal(t.platform.images?.ingestDir?.counters.rejected, 2);
  });
});
