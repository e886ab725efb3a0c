import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventStream, eventSubject, eventsUrl, type PushEvent } from './events';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
}

describe('event stream', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());
  const make = (extra = {}) => new EventStream({ create: (u) => new FakeSocket(u) as unknown as WebSocket, ...extra });

  it('builds ws and wss urls with the token', () => {
    expect(eventsUrl('a b', { protocol: 'http:', host: 'h:1' })).toBe('ws://h:1/api/v1/events?token=a%20b');
    expect(eventsUrl('t', { protocol: 'https:', host: 'h' })).toBe('wss://h/api/v1/events?token=t');
  });

  it('delivers parsed events to listeners and ignores junk', () => {
    const s = make();
    const got: PushEvent[] = [];
    const off = s.on((e) => got.push(e));
    s.start('tok');
    const sock = FakeSocket.all[0]!;
    sock.onopen!();
    expect(s.state).toBe('open');
    sock.onmessage!({ data: '{"type":"device.online","at":"x","data":{"id":"1"}}' });
    sock.onmessage!({ data: 'not json' });
    sock.onmessage!({ data: '{"no":"type"}' });
    expect(got.map((e) => e.type)).toEqual(['device.online']);
    expect(eventSubject(got[0]!)).toBe('1');
    off();
    sock.onmessage!({ data: '{"type":"device.offline","at":"x","data":{}}' });
    expect(got).toHaveLength(1);
  });

  it('reconnects with growing back-off, resets after a successful open', () => {
    const s = make();
    s.start('tok');
    FakeSocket.all[0]!.onclose!({ code: 1006 });
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.onclose!({ code: 1006 });
    vi.advanceTimersByTime(1999);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    expect(EventStream.delay(10)).toBe(30_000);
  });

  it('stops for good when the session is revoked (4001)', () => {
    const onRevoked = vi.fn();
    const s = make({ onRevoked });
    s.start('tok');
    FakeSocket.all[0]!.onclose!({ code: 4001 });
    vi.advanceTimersByTime(60_000);
    expect(onRevoked).toHaveBeenCalledOnce();
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('stop() closes the socket and cancels reconnects', () => {
    const s = make();
    s.start('tok');
    const sock = FakeSocket.all[0]!;
    s.stop();
    expect(sock.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(s.state).toBe('idle');
  });
});
