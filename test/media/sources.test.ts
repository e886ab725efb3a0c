import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG, probe, testClip, video } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Non-GB sources through the platform API: an RTMP-pushed channel (ffmpeg publishes), an RTSP-pulled channel, and
// server snapshots, each checked with ffprobe.

describe('non-GB sources and snapshots', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing' }, () => {
  let t: TestApp;
  let host: string;
  let sim: Simulator;
  const children: ChildProcess[] = [];
  const DEV = '35020000001320009001';
  /** seconds a stream without viewers is kept (short here: the always-on test waits past it) */
  const LINGER_S = 3;

  before(async () => {
    const h264 = await testClip('h264-1080p');
    t = await startTestApp('sqlite', { SHARPEYE_STREAM_LINGER: String(LINGER_S) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    host = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, media: h264, log: createLogger('silent') } as never);
    await sim.start();
    for (let i = 0; i < 100; i++) {
      if ((await t.app.inject({ method: 'GET', url: '/api/v1/channels?online=true', headers: t.admin })).json().total >= 1) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const d = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: DEV, name: '非国标编码器' } });
    assert.equal(d.statusCode, 201, d.body);
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
  });

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => t.app.inject({ method, url, headers: { ...t.admin, host }, payload: payload ?? (method === 'POST' ? {} : undefined) });

  test('snapshot of the 1080p test pattern is a 1920x1080 JPEG; continuous snapshots come as a zip', async () => {
    const gb = (await api('GET', '/api/v1/channels?online=true')).json().items[0].id as string;
    const r = await api('POST', `/api/v1/channels/${gb}/snapshot`);
    assert.equal(r.statusCode, 200, r.body.slice(0, 300));
    assert.equal(r.headers['content-type'], 'image/jpeg');
    const jpeg = r.rawPayload;
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
    const file = `${t.dataDir}/snap.jpg`;
    (await import('node:fs')).writeFileSync(file, jpeg);
    const v = video(await probe(file));
    assert.deepEqual([v.codec_name, v.width, v.height], ['mjpeg', 1920, 1080]);
    const z = await api('POST', `/api/v1/channels/${gb}/snapshots`, { count: 3, intervalMs: 300 });
    assert.equal(z.statusCode, 200, z.body.slice(0, 300));
    assert.equal(z.headers['content-type'], 'application/zip');
    assert.equal(z.rawPayload.readUInt32LE(0), 0x04034b50, 'zip local file header');
    const entries = z.rawPayload.toString('latin1').match(/\.jpg/g) ?? [];
    assert.ok(entries.length >= 3, 'three JPEGs named in the zip');
  });

  test('RTMP push channel: wrong key refused, ffmpeg publishes with the push URL, outputs probe as H.264', async () => {
    const CH = '35020000001310009001';
    const c = await api('POST', '/api/v1/channels', { id: CH, deviceId: DEV, name: 'RTMP 推流通道', sourceType: 'rtmp' });
    assert.equal(c.statusCode, 201, c.body);
    const pushUrl = c.json().pushUrl as string;
    assert.match(pushUrl, /^rtmp:\/\/127\.0\.0\.1:\d+\/live\/35020000001310009001\?key=[\w-]{20,}$/);
    const notYet = await api('POST', `/api/v1/channels/${CH}/live`);
    assert.equal(notYet.statusCode, 409);
    assert.equal(notYet.json().code, 'CHANNEL_NOT_PUBLISHING');

    let publisher: ChildProcess | undefined;
    const publish = (url: string, seconds: number) => {
      const p = (publisher = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', String(seconds), '-c:v', 'libx264', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'flv', url], { stdio: 'ignore' }));
      children.push(p);
      return new Promise<number>((res) => p.on('exit', (code) => res(code ?? -1)));
    };
    const wrong = await publish(pushUrl.replace(/key=.*/, 'key=guessed'), 2);
    assert.notEqual(wrong, 0, 'a wrong key cannot publish');
    const done = publish(pushUrl, 12);
    let live;
    for (let i = 0; i < 50; i++) {
      live = await api('POST', `/api/v1/channels/${CH}/live`);
      if (live.statusCode === 200) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(live!.statusCode, 200, live!.body);
    const urls = live!.json();
    const [f, h, r] = await Promise.all([probe(urls.flv, { seconds: 2 }), probe(urls.hls, { seconds: 2 }), probe(urls.rtsp, { seconds: 2, args: ['-rtsp_transport', 'tcp'] })]);
    for (const [name, s] of [['flv', f], ['hls', h], ['rtsp', r]] as const) {
      const v = video(s);
      assert.deepEqual([v.codec_name, v.width, v.height], ['h264', 640, 360], name);
      assert.ok(Number(v.nb_read_frames) >= 25, `${name}: ${v.nb_read_frames} frames`);
    }
    const ch = (await api('GET', `/api/v1/channels/${CH}`)).json();
    assert.equal(ch.sourceState?.status, 'playing');
    // checked while it publishes: the rest of its 12 s (a margin for slow probes) is not needed
    publisher?.kill('SIGTERM');
    await done;
  });

  test('RTSP pull channel: added by URL (credentials masked), pulled on demand, outputs probe as H.264 1080p', async () => {
    // the source: the GB camera's own RTSP output, an RTSP server the pull client has to authenticate against by URL
    const gb = (await api('GET', '/api/v1/channels?online=true')).json().items.find((c: { deviceId: string }) => c.deviceId !== DEV).id as string;
    const src = (await api('POST', `/api/v1/channels/${gb}/live`)).json().rtsp as string;
    const CH = '35020000001310009002';
    const withCreds = src.replace('rtsp://', 'rtsp://viewer:s3cret@');
    const c = await api('POST', '/api/v1/channels', { id: CH, deviceId: DEV, name: 'RTSP 拉流通道', sourceUrl: withCreds });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal(c.json().sourceType, 'rtsp');
    assert.ok(!c.json().sourceUrl.includes('s3cret'), 'password masked in the answer');
    const live = await api('POST', `/api/v1/channels/${CH}/live`);
    assert.equal(live.statusCode, 200, live.body);
    assert.deepEqual([live.json().info.codec, live.json().info.width], ['h264', 1920]);
    const outs = await Promise.all([probe(live.json().flv, { seconds: 2 }), probe(live.json().hls, { seconds: 2 }), probe(live.json().rtsp, { seconds: 2, args: ['-rtsp_transport', 'tcp'] })]);
    for (const o of outs) {
      const v = video(o);
      assert.deepEqual([v.codec_name, v.width, v.height], ['h264', 1920, 1080]);
    }
    const ch = (await api('GET', `/api/v1/channels/${CH}`)).json();
    assert.equal(ch.sourceState?.status, 'playing');
    assert.equal(ch.online, true);
  });

  test('an always-on RTSP channel is pulled without viewers and survives the linger time', async () => {
    const gb = (await api('GET', '/api/v1/channels?online=true')).json().items.find((c: { deviceId: string }) => c.deviceId !== DEV).id as string;
    const src = (await api('POST', `/api/v1/channels/${gb}/live`, { stream: 'sub' })).json().rtsp as string;
    const CH = '35020000001310009004';
    const c = await api('POST', '/api/v1/channels', { id: CH, deviceId: DEV, name: '常开拉流', sourceUrl: src, pullMode: 'always' });
    assert.equal(c.statusCode, 201, c.body);
    const key = `live/${CH}/main`;
    let info;
    for (let i = 0; i < 100; i++) {
      info = await t.platform.media!.stream(key);
      if (info?.state === 'live') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(info?.state, 'live');
    assert.equal(info?.readers, 0);
    await new Promise((r) => setTimeout(r, (LINGER_S + 2) * 1000)); // longer than the linger
    assert.equal((await t.platform.media!.stream(key))?.state, 'live', 'still pulled without viewers');
  });

  test('an RTSP channel whose server refuses answers SOURCE_FAILED with the reason on the channel', async () => {
    const CH = '35020000001310009003';
    const c = await api('POST', '/api/v1/channels', { id: CH, deviceId: DEV, name: '坏地址', sourceUrl: 'rtsp://127.0.0.1:1/nothing' });
    assert.equal(c.statusCode, 201, c.body);
    // both at once: each waits out the first-frame timeout of the failing pull
    const [live, snap] = await Promise.all([api('POST', `/api/v1/channels/${CH}/live`), api('POST', `/api/v1/channels/${CH}/snapshot`)]);
    assert.ok([502, 504].includes(live.statusCode), live.body);
    assert.match(live.json().code, /SOURCE_FAILED|MEDIA_TIMEOUT/);
    assert.ok(snap.statusCode >= 400, 'no snapshot without video');
  });
});
