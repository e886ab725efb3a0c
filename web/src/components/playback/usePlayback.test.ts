import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/http';
import { usePlayback } from './usePlayback';

const calls: string[] = [];
let nextSession = 0;

vi.mock('../../api/records', () => {
  const state = (over: object = {}) => ({ positionMs: 0, speed: 1, paused: false, ended: false, startMs: 0, endMs: Number.MAX_SAFE_INTEGER, ...over });
  return {
    recordsApi: {
      search: vi.fn(async (id: string) => {
        if (id === 'empty') return { items: [], gaps: [], damaged: [], searchMs: 1 };
        return { items: [{ start: '', end: '', startMs: 5_000, endMs: 50_000, source: 'platform' }], gaps: [], damaged: [{ start: new Date(20_000).toISOString(), end: new Date(28_000).toISOString() }], searchMs: 1 };
      }),
      getPlan: vi.fn(async () => ({ status: { state: 'recording' } })),
      open: vi.fn(async (id: string, start: number, _end: number, speed: number) => {
        calls.push(`open ${id} ${start} ${speed}`);
        if (id === 'empty') throw new ApiError(404, 'NO_RECORDINGS', 'no recordings (该时间段无录像)');
        const session = `s${++nextSession}`;
        return { session, wsFlv: `ws://x/${session}.flv`, flv: '', hls: '', state: state({ positionMs: start, startMs: start, speed }) };
      }),
      control: vi.fn(async (session: string, body: { action: string; speed?: number; time?: string }) => {
        calls.push(`${body.action} ${session}${body.speed ? ` ${body.speed}` : ''}${body.time ? ` ${Date.parse(body.time)}` : ''}`);
        return state({ paused: body.action === 'pause' || body.action === 'step', speed: body.speed ?? 1, startMs: 5_000 });
      }),
      state: vi.fn(async () => state({ positionMs: 7_000, startMs: 5_000 })),
      stop: vi.fn(async (session: string) => {
        calls.push(`stop ${session}`);
      }),
    },
  };
});

const bounds = { start: 0, end: 86_400_000 };

function setup() {
  return usePlayback({ bounds: () => bounds, source: () => 'platform', canStatus: true });
}

beforeEach(() => {
  calls.length = 0;
  nextSession = 0;
});
afterEach(() => vi.clearAllTimers());

describe('usePlayback', () => {
  it('a picked channel gets its spans, damaged parts and recording status', async () => {
    const pb = setup();
    await pb.assign({ id: 'c1', name: 'Gate' });
    const p = pb.panes[0]!;
    expect(p.spans).toHaveLength(1);
    expect(p.damaged).toEqual([{ startMs: 20_000, endMs: 28_000 }]);
    expect(p.status?.state).toBe('recording');
    pb.dispose();
  });

  it('in sync, four panes start at the same instant and every control goes to all of them', async () => {
    const pb = setup();
    await pb.setLayout(4);
    await pb.assign({ id: 'c1', name: 'A' });
    expect(pb.active.value).toBe(1); // the next empty pane
    await pb.assign({ id: 'c2', name: 'B' });
    await pb.setSpeed(2);
    expect(await pb.play()).toBe(true);
    // no cursor: the day's first recording
    expect(calls.filter((c) => c.startsWith('open'))).toEqual(['open c1 5000 2', 'open c2 5000 2']);
    expect(pb.playing.value).toBe(true);
    calls.length = 0;
    await pb.togglePlay();
    expect(calls.sort()).toEqual(['pause s1', 'pause s2']);
    calls.length = 0;
    await pb.step('forward');
    await pb.seek(30_000);
    expect(calls.sort()).toEqual(['seek s1 30000', 'seek s2 30000', 'step s1', 'step s2']);
    calls.length = 0;
    await pb.stop();
    expect(calls.sort()).toEqual(['stop s1', 'stop s2']);
    pb.dispose();
  });

  it('without sync only the active pane is controlled', async () => {
    const pb = setup();
    await pb.setLayout(4);
    await pb.assign({ id: 'c1', name: 'A' });
    await pb.assign({ id: 'c2', name: 'B' });
    pb.sync.value = false;
    pb.active.value = 1;
    await pb.play();
    expect(calls.filter((c) => c.startsWith('open'))).toEqual(['open c2 5000 1']);
    expect(pb.panes[0]!.session).toBeNull();
    pb.dispose();
  });

  it('a seek before the session range opens a new session there; the cursor is where the user clicked', async () => {
    const pb = setup();
    await pb.assign({ id: 'c1', name: 'A' });
    pb.cursor.value = 30_000;
    await pb.play();
    expect(calls).toEqual(['open c1 30000 1']);
    calls.length = 0;
    await pb.seek(10_000);
    expect(calls).toEqual(['stop s1', 'open c1 10000 1']);
    expect(pb.cursor.value).toBe(10_000);
    pb.dispose();
  });

  it('a channel without recordings: nothing to play, or the API error kept on the pane', async () => {
    const pb = setup();
    await pb.assign({ id: 'empty', name: 'Empty' });
    expect(await pb.play()).toBe(false);
    expect(calls).toEqual([]);
    pb.cursor.value = 1000;
    pb.panes[0]!.spans = [{ start: '', end: '', startMs: 0, endMs: 2000, source: 'platform' }];
    await pb.play();
    expect(pb.panes[0]!.errorCode).toBe('NO_RECORDINGS');
    expect(pb.panes[0]!.session).toBeNull();
    pb.dispose();
  });

  it('polling moves the cursor to the session position', async () => {
    vi.useFakeTimers();
    const pb = setup();
    await pb.assign({ id: 'c1', name: 'A' });
    await pb.play();
    await vi.advanceTimersByTimeAsync(1300);
    expect(pb.panes[0]!.state?.positionMs).toBe(7_000);
    expect(pb.cursor.value).toBe(7_000);
    pb.dispose();
    vi.useRealTimers();
  });
});
