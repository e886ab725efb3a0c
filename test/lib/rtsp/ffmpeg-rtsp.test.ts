import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { VideoFrame } from '../../../src/lib/av/frame.js';
import { H264Depacketizer, packetizeAac, packetizeH264, packetizeH265, parseRtp } from '../../../src/lib/rtp/index.js';
import {
  buildRtspSdp,
  formatSession,
  formatTransport,
  parseRtspTracks,
  parseTransport,
  RtspHeaders,
  type RtspRequest,
  rtspResponse,
  RtspStreamParser,
  serializeRtspMessage,
} from '../../../src/lib/rtsp/index.js';
import { accessUnits, splitAdts, splitAnnexB } from '../../fixtures/rtp/annexb.js';
import { haveFfmpeg, loadFixture } from '../../fixtures/rtp/capture.js';

const skip = !haveFfmpeg() && 'ffmpeg not installed';
const isAud = (n: Buffer) => (n[0] & 0x1f) === 9;

function ffmpeg(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`ffmpeg ${code}: ${err}`))));
  });
}

/** A minimal RTSP server made of our codec; `handle` answers each request on the connection. */
async function server(handle: (req: RtspRequest, sock: net.Socket) => void, onData?: (ch: number, d: Buffer) => void) {
  const log: string[] = [];
  const srv = net.createServer((sock) => {
    const parser = new RtspStreamParser({
      onMessage: (m) => {
        if (m.kind !== 'request') return;
        log.push(m.method);
        handle(m, sock);
      },
      onInterleaved: (ch, d) => onData?.(ch, d),
    });
    sock.on('data', (chunk) => parser.push(chunk));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { srv, port: (srv.address() as net.AddressInfo).port, log };
}

const send = (sock: net.Socket, req: RtspRequest, status: number, headers: Record<string, string> = {}, body = '') => sock.write(serializeRtspMessage(rtspResponse(status, req, new RtspHeaders(headers), body)));

test('ffmpeg publishes over RTSP (ANNOUNCE/SETUP/RECORD, TCP interleaved): we get its exact access units', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtsp-rec-'));
  const frames: VideoFrame[] = [];
  let depack: H264Depacketizer | undefined;
  let rtpChannel = -1;
  const { srv, port, log } = await server(
    (req, sock) => {
      switch (req.method) {
        case 'OPTIONS':
          return send(sock, req, 200, { Public: 'OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN' });
        case 'ANNOUNCE': {
          const [track] = parseRtspTracks(req.body.toString(), req.uri);
          assert.equal(track.codec, 'h264');
          depack = new H264Depacketizer({ sps: track.sps, pps: track.pps, onFrame: (f) => frames.push(f) });
          return send(sock, req, 200);
        }
        case 'SETUP': {
          const [t] = parseTransport(req.headers.get('transport')!);
          assert.equal(t.lowerTransport, 'TCP');
          assert.equal(t.mode, 'RECORD');
          rtpChannel = t.interleaved![0];
          return send(sock, req, 200, { Transport: formatTransport({ ...t, unicast: true }), Session: formatSession({ id: '12345678', timeout: 60 }) });
        }
        case 'RECORD':
          assert.equal(req.headers.get('session'), '12345678');
          return send(sock, req, 200, { Session: '12345678' });
        default:
          return send(sock, req, 200);
      }
    },
    (ch, d) => {
      if (ch === rtpChannel) depack!.push(parseRtp(d)!);
    },
  );
  try {
    const ref = join(dir, 'ref.h264');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '1'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '36', '-g', '10', '-bf', '0', '-pix_fmt', 'yuv420p', '-bsf:v', 'h264_metadata=aud=insert'],
      ...['-f', 'tee', '-map', '0', `[f=h264]${ref}|[f=rtsp:rtsp_transport=tcp]rtsp://127.0.0.1:${port}/live/test`],
    ]);
    await new Promise((r) => setTimeout(r, 100));
    depack!.flush();
    const aus = accessUnits(splitAnnexB(readFileSync(ref)), isAud);
    assert.deepEqual(log.slice(0, 4), ['OPTIONS', 'ANNOUNCE', 'SETUP', 'RECORD']);
    assert.equal(aus.length, 25);
    assert.equal(frames.length, 25);
    frames.forEach((f, i) => assert.deepEqual(f.units, aus[i], `access unit ${i}`));
    assert.equal(frames.filter((f) => f.key).length, 3); // -g 10
    assert.deepEqual(frames.map((f) => f.pts), Array.from({ length: 25 }, (_, i) => i * 3600));
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg plays from us (DESCRIBE/SETUP/PLAY, TCP interleaved): our SDP and packetizer give it the exact stream', { skip }, async () => {
  const fx = loadFixture('h264', 'h264');
  const aus = accessUnits(splitAnnexB(fx.ref), isAud);
  const sps = aus[0].find((n) => (n[0] & 0x1f) === 7)!;
  const pps = aus[0].find((n) => (n[0] & 0x1f) === 8)!;
  const dir = mkdtempSync(join(tmpdir(), 'rtsp-play-'));
  const { srv, port, log } = await server((req, sock) => {
    switch (req.method) {
      case 'OPTIONS':
        return send(sock, req, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
      case 'DESCRIBE':
        return send(sock, req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, buildRtspSdp({ video: { codec: 'h264', width: 320, height: 240, fps: 25, sps, pps } }, { ip: '127.0.0.1' }));
      case 'SETUP': {
        assert.match(req.uri, /\/live\/cam\/trackID=0$/);
        const [t] = parseTransport(req.headers.get('transport')!);
        assert.deepEqual([t.lowerTransport, t.interleaved], ['TCP', [0, 1]]);
        return send(sock, req, 200, { Transport: formatTransport({ profile: 'RTP/AVP', lowerTransport: 'TCP', unicast: true, interleaved: [0, 1], ssrc: 0x1234 }), Session: '87654321;timeout=60' });
      }
      case 'PLAY': {
        send(sock, req, 200, { Session: '87654321', Range: 'npt=0.000-', 'RTP-Info': `url=${req.uri}/trackID=0;seq=1000;rtptime=0` });
        const seq = { value: 1000 };
        for (let i = 0; i < aus.length; i++) {
          for (const p of packetizeH264(aus[i], { ssrc: 0x1234, payloadType: 96, seq, timestamp: i * 3600, mtu: 1000 })) {
            const h = Buffer.from([0x24, 0, p.length >> 8, p.length & 0xff]); // RFC 2326 §10.12
            sock.write(Buffer.concat([h, p]));
          }
        }
        setTimeout(() => sock.end(), 300);
        return;
      }
      default:
        return send(sock, req, 200, { Session: '87654321' });
    }
  });
  try {
    const out = join(dir, 'out.h264');
    await ffmpeg(['-rtsp_transport', 'tcp', '-i', `rtsp://127.0.0.1:${port}/live/cam`, '-c', 'copy', '-f', 'h264', out]);
    assert.deepEqual(log.slice(0, 4), ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
    const got = accessUnits(splitAnnexB(readFileSync(out)), isAud);
    assert.equal(got.length, 50);
    got.forEach((au, i) => assert.deepEqual(au, aus[i], `access unit ${i}`));
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg plays H.265 + AAC from us: sprop-vps/sps/pps, mpeg4-generic fmtp, single/FU and AU-header packets all accepted', { skip }, async () => {
  const hevc = accessUnits(splitAnnexB(loadFixture('h265', 'hevc').ref), (n) => ((n[0] >> 1) & 0x3f) === 35);
  const [vps, sps, pps] = hevc[0].slice(1, 4);
  const aac = splitAdts(loadFixture('aac', 'adts').ref).slice(0, 43);
  const config = Buffer.from('1208', 'hex'); // AAC-LC, 44100 Hz, mono
  const dir = mkdtempSync(join(tmpdir(), 'rtsp-play2-'));
  const setups: string[] = [];
  const { srv, port } = await server((req, sock) => {
    switch (req.method) {
      case 'DESCRIBE':
        return send(sock, req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, buildRtspSdp({ video: { codec: 'h265', width: 320, height: 240, fps: 25, vps, sps, pps }, audio: { codec: 'aac', sampleRate: 44100, channels: 1, config } }));
      case 'SETUP': {
        setups.push(req.uri.replace(/.*\//, ''));
        const [t] = parseTransport(req.headers.get('transport')!);
        return send(sock, req, 200, { Transport: formatTransport({ ...t, unicast: true }), Session: '1' });
      }
      case 'PLAY': {
        send(sock, req, 200, { Session: '1', Range: 'npt=0.000-' });
        const vseq = { value: 0 };
        const aseq = { value: 0 };
        const items: { t: number; ch: number; p: Buffer }[] = [];
        hevc.forEach((au, i) => packetizeH265(au, { ssrc: 1, payloadType: 96, seq: vseq, timestamp: i * 3600, mtu: 500 }).forEach((p) => items.push({ t: i / 25, ch: 0, p })));
        aac.forEach((au, i) => packetizeAac([au], { ssrc: 2, payloadType: 97, seq: aseq, timestamp: i * 1024 }).forEach((p) => items.push({ t: (i * 1024) / 44100, ch: 2, p })));
        items.sort((a, b) => a.t - b.t);
        for (const it of items) sock.write(Buffer.concat([Buffer.from([0x24, it.ch, it.p.length >> 8, it.p.length & 0xff]), it.p]));
        setTimeout(() => sock.end(), 300);
        return;
      }
      default:
        return send(sock, req, 200, { Session: '1' });
    }
  });
  try {
    const vout = join(dir, 'out.hevc');
    const aout = join(dir, 'out.adts');
    await ffmpeg(['-rtsp_transport', 'tcp', '-i', `rtsp://127.0.0.1:${port}/live/cam`, '-map', '0:v', '-c', 'copy', '-f', 'hevc', vout, '-map', '0:a', '-c', 'copy', '-f', 'adts', aout]);
    assert.deepEqual(setups, ['trackID=0', 'trackID=1']);
    const got = accessUnits(splitAnnexB(readFileSync(vout)), (n) => ((n[0] >> 1) & 0x3f) === 35);
    assert.equal(got.length, 25);
    got.forEach((au, i) => assert.deepEqual(au, hevc[i], `access unit ${i}`));
    assert.deepEqual(splitAdts(readFileSync(aout)), aac);
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
