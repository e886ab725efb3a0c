import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/http';
import type { LiveAnswer } from '../../api/live';
import { Backoff } from '../../utils/backoff';

/** A stand-in for mpegts.js: records players and lets the test fire their events. */
const fake = vi.hoisted(() => {
  type Handler = (...args: unknown[]) => void;
  class FakePlayer {
    handlers = new Map<string, Handler[]>();
    destroyed = false;
    url: string;
    constructor(src: { url: string }) {
      this.url = src.url;
    }
    on(ev: string, h: Handler) {
      this.handlers.set(ev, [...(this.handlers.get(ev) ?? []), h]);
    }
    emit(ev: string, ...args: unknown[]) {
      for (const h of this.handlers.get(ev) ?? []) h(...args);
    }
    attachMediaElement() {}
    detachMediaElement() {}
    load() {}
    unload() {}
    pause() {}
    play() {
      return Promise.resolve();
    }
    destroy() {
      this.destroyed = true;
    }
  }
  const players: FakePlayer[] = [];
  const lib = {
    Events: { ERROR: 'error', LOADING_COMPLETE: 'complete', MEDIA_INFO: 'mi', STATISTICS_INFO: 'stats' },
    ErrorTypes: { NETWORK_ERROR: 'NetworkError', MEDIA_ERROR: 'MediaError' },
    LoggingControl: { applyConfig() {} },
    createPlayer: (src: { url: string }) => {
      const p = new FakePlayer(src);
      players.push(p);
      return p;
    },
  };
  return { players, lib };
});
vi.mock('mpegts.js', () => ({ default: fake.lib }));

const { LivePlayer } = await import('./player');

const answer = (over: Partial<LiveAnswer> = {}): LiveAnswer => ({
  flv: 'http://x/a.flv',
  wsFlv: `ws://x/a.flv?n=${Math.random()}`,
  hls: '',
  rtsp: '',
  stream: 'sub',
  fallback: false,
  expiresIn: 300,
  info: { codec: 'h264', width: 640, height: 360, fps: 25, bitrateKbps: 500 },
  ...over,
});

function video(): HTMLVideoElement {
  const v = document.createElement('video');
  let t = 0;
  let ready = 0;
  Object.defineProperty(v, 'currentTime', { get: () => t, set: (x: number) => (t = x) });
  Object.defineProperty(v, 'readyState', { get: () => ready });
  (v as unknown as { decode: () => void }).decode = () => {
    ready = 4;
    t += 0.04;
    v.dispatchEvent(new Event('loadeddata'));
  };
  return v;
}
const decode = (v: HTMLVideoElement) => (v as unknown as { decode: () => void }).decode();
const flush = async () => {
  await vi.dynamicImportSettled();
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('LivePlayer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    fake.players.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('plays, and after a player error reconnects with a fresh POST after the back-off', async () => {
    const open = vi.fn(async () => answer());
    const statuses: string[] = [];
    const v = video();
    const p = new LivePlayer(v, { open, onStatus: (s) => statuses.push(s.phase), onInfo: () => undefined, backoff: new Backoff({ jitter: 0 }) });
    p.start();
    await flush();
    expect(open).toHaveBeenCalledTimes(1);
    decode(v);
    expect(statuses.at(-1)).toBe('playing');
    fake.players[0]!.emit('error', 'NetworkError', 'Exception', { msg: 'ws closed' });
    expect(fake.players[0]!.destroyed).toBe(true);
    expect(statuses.at(-1)).toBe('retrying');
    await vi.advanceTimersByTimeAsync(999);
    expect(open).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(open).toHaveBeenCalledTimes(2);
    expect(fake.players).toHaveLength(2);
    decode(v);
    expect(statuses.at(-1)).toBe('playing');
    p.destroy();
    expect(fake.players[1]!.destroyed).toBe(true);
    expect(statuses.at(-1)).toBe('stopped');
  });

  it('backs off 1, 2, 4 s while the API keeps failing, and shows the error', async () => {
    const open = vi.fn(async () => {
      throw new ApiError(502, 'DEVICE_OFFLINE', 'Device is offline');
    });
    let last: { phase: string; error?: string; attempt: number } | undefined;
    const p = new LivePlayer(video(), { open, onStatus: (s) => (last = s), onInfo: () => undefined, backoff: new Backoff({ jitter: 0 }) });
    p.start();
    await flush();
    expect(last).toMatchObject({ phase: 'retrying', error: 'Device is offline (DEVICE_OFFLINE)', attempt: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(open).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(open).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(open).toHaveBeenCalledTimes(3);
    expect(last?.attempt).toBe(3);
    p.destroy();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(open).toHaveBeenCalledTimes(3);
  });

  it('does not retry a channel the user may not see (403/404)', async () => {
    const open = vi.fn(async () => {
      throw new ApiError(404, 'NOT_FOUND', 'Channel not found');
    });
    let phase = '';
    new LivePlayer(video(), { open, onStatus: (s) => (phase = s.phase), onInfo: () => undefined }).start();
    await flush();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(phase).toBe('failed');
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('reconnects when the picture stalls or never comes', async () => {
    const open = vi.fn(async () => answer());
    const v = video();
    const errors: string[] = [];
    const p = new LivePlayer(v, { open, onStatus: (s) => s.code && errors.push(s.code), onInfo: () => undefined, stallMs: 3000, firstFrameTimeoutMs: 5000, backoff: new Backoff({ jitter: 0 }) });
    p.start();
    await flush();
    decode(v);
    await vi.advanceTimersByTimeAsync(5000); // currentTime frozen while "playing"
    expect(errors).toContain('STALLED');
    await vi.advanceTimersByTimeAsync(1000); // back-off, then a new player that never shows a picture
    expect(open).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(7000);
    expect(errors).toContain('NO_PICTURE');
    p.destroy();
  });

  it('the stream ending (server closed it) reconnects too', async () => {
    const open = vi.fn(async () => answer());
    const v = video();
    const p = new LivePlayer(v, { open, onStatus: () => undefined, onInfo: () => undefined, backoff: new Backoff({ jitter: 0 }) });
    p.start();
    await flush();
    decode(v);
    fake.players[0]!.emit('complete');
    await vi.advanceTimersByTimeAsync(1001);
    expect(open).toHaveBeenCalledTimes(2);
    p.destroy();
  });

  it('an H.265 stream the browser cannot decode is asked for as H.264 next time', async () => {
    const open = vi.fn(async (h264: boolean) => answer(h264 ? { transcoded: true } : { info: { codec: 'h265' } }));
    const p = new LivePlayer(video(), { open, onStatus: () => undefined, onInfo: () => undefined, backoff: new Backoff({ jitter: 0 }) });
    p.start();
    await flush();
    fake.players[0]!.emit('error', 'MediaError', 'CodecUnsupported');
    await vi.advanceTimersByTimeAsync(1001);
    expect(open.mock.calls.map((c) => c[0])).toEqual([false, true]);
    p.destroy();
  });

  it('reports codec, size, fps and the measured bitrate', async () => {
    const infos: unknown[] = [];
    const p = new LivePlayer(video(), { open: async () => answer({ stream: 'main', transcoded: true }), onStatus: () => undefined, onInfo: (i) => infos.push(i) });
    p.start();
    await flush();
    fake.players[0]!.emit('mi', { width: 1280, height: 720, fps: 24.97 });
    fake.players[0]!.emit('stats', { speed: 62.5, droppedFrames: 3 });
    expect(infos.at(-1)).toEqual({ codec: 'h264', width: 1280, height: 720, fps: 25, kbps: 500, stream: 'main', fallback: false, transcoded: true, dropped: 3 });
    p.destroy();
  });
});
