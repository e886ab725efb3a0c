import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isAppError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { prepareWatermark, watermarkFonts } from '../../src/media/ffmpeg/watermark.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const run = promisify(execFile);

// Download and snapshot watermarks (issue 8): a camera showing a still picture (SMPTE bars, so two pictures taken at
// different times are the same) is recorded; plain and watermarked downloads/snapshots are decoded by ffmpeg to grey
// pixels and compared region by region: the corners where the text goes differ, the middle does not.

/** A still 640x360 H.264 clip (SMPTE bars), made once per machine. */
async function stillClip(): Promise<string> {
  const dir = path.join(tmpdir(), 'sharpeye-media-clips');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'smpte-360p.mp4');
  if (existsSync(file)) return file;
  const tmp = `${file}.part.mp4`;
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'smptebars=size=640x360:rate=25', '-t', '8', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p', tmp]);
  renameSync(tmp, file);
  return file;
}

/** One picture as 8-bit grey pixels (the frame at `atSec` of a video, or a JPEG). */
async function grey(file: string, atSec?: number): Promise<{ w: number; h: number; px: Buffer }> {
  const { stdout: dims } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]);
  const [w, h] = dims.trim().split(',').map(Number);
  const args = ['-v', 'error', ...(atSec !== undefined ? ['-ss', String(atSec)] : []), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'];
  const { stdout } = await run('ffmpeg', args, { encoding: 'buffer', maxBuffer: 64 << 20 });
  assert.equal(stdout.length, w * h, `${file}: ${stdout.length} bytes for ${w}x${h}`);
  return { w, h, px: stdout };
}

/** Mean absolute difference of two pictures inside a rectangle given in fractions of the picture. */
function diff(a: { w: number; h: number; px: Buffer }, b: { w: number; h: number; px: Buffer }, r: { x0: number; y0: number; x1: number; y1: number }): number {
  assert.equal(a.w, b.w);
  assert.equal(a.h, b.h);
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(r.y0 * a.h); y < Math.floor(r.y1 * a.h); y++)
    for (let x = Math.floor(r.x0 * a.w); x < Math.floor(r.x1 * a.w); x++) {
      sum += Math.abs(a.px[y * a.w + x] - b.px[y * a.w + x]);
      n++;
    }
  return sum / n;
}

// where one line of text goes (a line is 1/24 of the height, 0.6 of a line from the edges)
const TOP_LEFT = { x0: 0, y0: 0, x1: 0.4, y1: 0.08 };
const BOTTOM_RIGHT = { x0: 0.6, y0: 0.92, x1: 1, y1: 1 };
const MIDDLE = { x0: 0.1, y0: 0.3, x1: 0.9, y1: 0.6 };

describe('download and snapshot watermarks', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let base: string;
  let sim: Simulator;
  let channelId = '';
  let range = '';
  const figures: string[] = [];

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, headers = t.admin) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { ...headers, host: new URL(base).host }, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.rawPayload, headers: r.headers };
  };
  const download = async (name: string, headers = t.admin) => {
    const t0 = Date.now();
    const res = await fetch(`${base}/api/v1/channels/${channelId}/download?${range}`, { headers });
    const body = Buffer.from(await res.arrayBuffer());
    const ms = Date.now() - t0;
    assert.equal(res.status, 200, body.toString().slice(0, 300));
    const file = path.join(t.dataDir, name);
    writeFileSync(file, body);
    return { file, ms, headers: res.headers, bytes: body.length };
  };
  const snapshot = async (name: string, headers = t.admin) => {
    const r = await api('POST', `/channels/${channelId}/snapshot`, undefined, headers);
    assert.equal(r.status, 200, String(r.body).slice(0, 300));
    const file = path.join(t.dataDir, name);
    writeFileSync(file, r.body as Buffer);
    return { file, headers: r.headers };
  };
  const duration = async (file: string) => Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])).stdout.trim());

  before(async () => {
    const clip = await stillClip();
    t = await startTestApp('sqlite', { SHARPEYE_RECORD_SEGMENT: '4', SHARPEYE_RECORD_MIN_FREE_MB: '0', SHARPEYE_STREAM_LINGER: '5' }, {}, { reconcileMs: 300, retryMs: 1000 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: clip, log: createLogger('silent') } as never);
    await sim.start();
    for (let i = 0; i < 100 && !channelId; i++) {
      channelId = (await api('GET', '/channels?online=true')).body.items[0]?.id ?? '';
      if (!channelId) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(channelId);
    assert.equal((await api('PUT', `/channels/${channelId}/record-plan`, { mode: 'always' })).status, 200);
    // 6 s recorded
    let spans: Array<{ startMs: number; endMs: number }> = [];
    for (let i = 0; i < 80; i++) {
      const q = `start=${new Date(Date.now() - 120_000).toISOString()}&end=${new Date(Date.now() + 60_000).toISOString()}`;
      spans = (await api('GET', `/channels/${channelId}/records?${q}`)).body.items;
      if (spans.length && spans[0].endMs - spans[0].startMs >= 7000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const from = spans[0].startMs + 500;
    range = `start=${new Date(from).toISOString()}&end=${new Date(from + 6000).toISOString()}`;
  });

  after(async () => {
    await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
    if (figures.length) console.log(`# ${figures.join('; ')}`);
  });

  test('a CJK font is found at run time; without drawtext the watermark is FEATURE_UNAVAILABLE, never left out', async () => {
    const f = watermarkFonts();
    assert.ok(f.cjk, 'a font with Chinese glyphs (fonts-noto-cjk)');
    figures.push(`font ${path.basename(f.cjk!)}`);
    await assert.rejects(prepareWatermark({ lines: ['张三 2026-11-25 10:00:00'] }, '/nonexistent/ffmpeg'), (e: unknown) => isAppError(e) && e.code === 'FEATURE_UNAVAILABLE');
  });

  test('channel policy: the download is transcoded with the text burnt in the corners; the picture elsewhere is unchanged', async () => {
    const plain = await download('plain.mp4');
    assert.ok(plain.headers.get('content-length'));
    assert.equal(plain.headers.get('x-watermark'), null);
    const put = await api('PUT', `/channels/${channelId}/watermark`, { enabled: true, text: '内部资料 禁止外传' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const eff = (await api('GET', `/channels/${channelId}/watermark`)).body;
    assert.equal(eff.effective.watermarked, true);
    assert.match(eff.effective.lines[0], /^超级管理员 \(admin\) {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'display name (login name), local time');
    assert.equal(eff.effective.lines[1], '内部资料 禁止外传');

    const marked = await download('marked.mp4');
    assert.equal(marked.headers.get('x-watermark'), 'applied');
    assert.equal(marked.headers.get('content-length'), null, 'size unknown before the transcode ends (chunked)');
    const [dp, dm] = [await duration(plain.file), await duration(marked.file)];
    assert.ok(Math.abs(dm - dp) < 0.5, `watermarked ${dm} s, plain ${dp} s`);
    const a = await grey(plain.file, 2);
    const b = await grey(marked.file, 2);
    const tl = diff(a, b, TOP_LEFT);
    const br = diff(a, b, BOTTOM_RIGHT);
    const mid = diff(a, b, MIDDLE);
    assert.ok(tl > 8 && br > 8, `text regions differ: top-left ${tl.toFixed(1)}, bottom-right ${br.toFixed(1)}`);
    assert.ok(mid < 3, `the middle is the same picture (transcode noise only): ${mid.toFixed(2)}`);
    figures.push(`download 6 s 360p: plain ${plain.ms} ms ${plain.bytes} B, watermarked ${marked.ms} ms ${marked.bytes} B; grey diff top-left ${tl.toFixed(1)} bottom-right ${br.toFixed(1)} middle ${mid.toFixed(2)}`);
    const job = (await api('GET', `/downloads/${marked.headers.get('x-download-id')}`)).body;
    assert.equal(job.state, 'done');
    const log = (await api('GET', '/logs/user?pageSize=50')).body.items as Array<{ action: string; detail: string }>;
    assert.ok(log.some((l) => l.action === 'record.download' && /watermarked \(channel:/.test(l.detail)), 'the audit says it was watermarked and by which policy');
  });

  test('channel policy: the server snapshot carries the watermark', async () => {
    const marked = await snapshot('marked.jpg');
    assert.equal(marked.headers['x-watermark'], 'applied');
    assert.equal((await api('PUT', `/channels/${channelId}/watermark`, { enabled: false })).status, 200);
    const plain = await snapshot('plain.jpg');
    assert.equal(plain.headers['x-watermark'], undefined);
    const a = await grey(plain.file);
    const b = await grey(marked.file);
    const tl = diff(a, b, TOP_LEFT);
    const mid = diff(a, b, MIDDLE);
    assert.ok(tl > 8, `top-left differs: ${tl.toFixed(1)}`);
    assert.ok(mid < 3, `middle the same: ${mid.toFixed(2)}`);
    figures.push(`snapshot grey diff top-left ${tl.toFixed(1)} middle ${mid.toFixed(2)}`);
  });

  test('role policy: users of the role get watermarks (Chinese display name), others do not', async () => {
    const role = await api('POST', '/roles', { name: '值班员-水印', permissions: ['device.view', 'live.view', 'playback.view', 'record.download'], allChannels: true });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const user = await api('POST', '/users', { username: 'zhangsan', password: 'Zhang@12345x', displayName: '张三', roleIds: [role.body.id] });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    assert.equal((await api('PUT', `/roles/${role.body.id}/watermark`, { enabled: true })).status, 200);
    const zs = await t.login('zhangsan', 'Zhang@12345x');
    const eff = (await api('GET', `/channels/${channelId}/watermark`, undefined, zs)).body;
    assert.equal(eff.effective.watermarked, true);
    assert.deepEqual(eff.effective.by, [`role:${role.body.id}`]);
    assert.match(eff.effective.lines[0], /^张三 \(zhangsan\) {2}\d{4}-/);
    const dl = await download('zs.mp4', zs);
    assert.equal(dl.headers.get('x-watermark'), 'applied');
    const plain = await download('admin.mp4');
    assert.equal(plain.headers.get('x-watermark'), null, 'admin is not in the role and the channel policy is off');
    const tl = diff(await grey(plain.file, 2), await grey(dl.file, 2), TOP_LEFT);
    assert.ok(tl > 8, `the CJK text is drawn: top-left differs by ${tl.toFixed(1)}`);
    const snap = await snapshot('zs.jpg', zs);
    assert.equal(snap.headers['x-watermark'], 'applied');
    const list = (await api('GET', '/watermark-policies')).body.items as Array<{ kind: string; enabled: boolean }>;
    assert.ok(list.some((p) => p.kind === 'role' && p.enabled) && list.some((p) => p.kind === 'channel' && !p.enabled));
    // only a role manager sets role policies; the role's own user cannot switch it off
    assert.equal((await api('PUT', `/roles/${role.body.id}/watermark`, { enabled: false }, zs)).status, 403);
    assert.equal((await api('PUT', `/channels/${channelId}/watermark`, { enabled: false }, zs)).status, 403);
  });
});
