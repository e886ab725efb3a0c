import { computed, getCurrentInstance, onBeforeUnmount, reactive, ref } from 'vue';
import { ApiError } from '../../api/http';
import { recordsApi, type ControlBody, type PlaybackState, type RecordSource, type RecordSpanDto, type RecordStatus } from '../../api/records';
import { errorText } from '../../utils/errors';
import { spanFrom, type Bounds, type TimeSpan } from '../../utils/timeline';

export interface PaneChannel {
  id: string;
  name: string;
}

export interface Pane {
  idx: number;
  channel: PaneChannel | null;
  spans: RecordSpanDto[];
  damaged: TimeSpan[];
  searching: boolean;
  searchError: string | null;
  searchCode: string | null;
  status: RecordStatus | null;
  session: string | null;
  /** WS-FLV URL of the session */
  url: string | null;
  /** bumped per session so the player re-mounts */
  gen: number;
  state: PlaybackState | null;
  opening: boolean;
  error: string | null;
  errorCode: string | null;
  /** performance.now() when play was pressed, for the time to first picture */
  playAt: number | null;
  firstFrameMs: number | null;
  polling: boolean;
}

const codeOf = (e: unknown) => (e instanceof ApiError ? e.code : null);

function blankPane(idx: number): Pane {
  return { idx, channel: null, spans: [], damaged: [], searching: false, searchError: null, searchCode: null, status: null, session: null, url: null, gen: 0, state: null, opening: false, error: null, errorCode: null, playAt: null, firstFrameMs: null, polling: false };
}

/**
 * Playback sessions of up to four panes over one day. With `sync` on, play/pause/step/speed/seek/stop go to every pane
 * with a channel and sessions start at the same instant; otherwise to the active pane only. Positions are polled
 * (4/s) and the cursor follows the active pane.
 */
export function usePlayback(o: { bounds: () => Bounds; source: () => RecordSource; canStatus: boolean }) {
  const panes = reactive<Pane[]>([0, 1, 2, 3].map(blankPane));
  const layout = ref<1 | 4>(1);
  const sync = ref(true);
  const active = ref(0);
  const speed = ref(1);
  const cursor = ref<number | null>(null);
  /** the user drags the cursor: polled positions do not move it */
  const scrubbing = ref(false);
  let holdUntil = 0;

  const visible = computed(() => panes.slice(0, layout.value));
  const withChannel = computed(() => visible.value.filter((p) => p.channel));
  const targets = () => withChannel.value.filter((p) => sync.value || p.idx === active.value);
  const live = (p: Pane) => !!p.session && !!p.state && !p.state.ended;
  const playing = computed(() => targets().some((p) => live(p) && !p.state!.paused));
  const hasSession = computed(() => targets().some((p) => p.session));
  const activePane = computed(() => panes[active.value]!);
  /** the pane whose position drives the cursor */
  const lead = () => (activePane.value.session ? activePane.value : withChannel.value.find((p) => p.session));

  async function loadRecords(p: Pane) {
    const ch = p.channel;
    if (!ch) return;
    p.searching = true;
    try {
      const b = o.bounds();
      const r = await recordsApi.search(ch.id, b.start, b.end, o.source());
      if (p.channel?.id !== ch.id) return;
      p.spans = r.items;
      p.damaged = r.damaged.map((d) => ({ startMs: Date.parse(d.start), endMs: Date.parse(d.end) }));
      p.searchError = null;
      p.searchCode = null;
    } catch (e) {
      if (p.channel?.id !== ch.id) return;
      p.spans = [];
      p.damaged = [];
      p.searchError = errorText(e);
      p.searchCode = codeOf(e);
    } finally {
      p.searching = false;
    }
  }

  async function loadStatus(p: Pane) {
    const ch = p.channel;
    if (!ch || !o.canStatus) return;
    try {
      const plan = await recordsApi.getPlan(ch.id);
      if (p.channel?.id === ch.id) p.status = plan.status;
    } catch {
      if (p.channel?.id === ch.id) p.status = null;
    }
  }

  async function close(p: Pane) {
    const s = p.session;
    Object.assign(p, { session: null, url: null, state: null, error: null, errorCode: null, firstFrameMs: null });
    if (s) await recordsApi.stop(s).catch(() => undefined);
  }

  async function open(p: Pane, at: number, paused = false) {
    const ch = p.channel;
    if (!ch) return;
    await close(p);
    const b = o.bounds();
    const start = Math.min(at, Date.now() - 1000);
    Object.assign(p, { opening: true, playAt: performance.now(), firstFrameMs: null });
    try {
      const g = await recordsApi.open(ch.id, start, b.end, speed.value, o.source() === 'device' ? 'device' : undefined);
      if (p.channel?.id !== ch.id) {
        void recordsApi.stop(g.session).catch(() => undefined);
        return;
      }
      Object.assign(p, { session: g.session, url: g.wsFlv, state: g.state, gen: p.gen + 1 });
      if (paused) await control(p, { action: 'pause' });
    } catch (e) {
      Object.assign(p, { error: errorText(e), errorCode: codeOf(e) });
    } finally {
      p.opening = false;
    }
  }

  async function control(p: Pane, body: ControlBody) {
    const s = p.session;
    if (!s) return;
    try {
      const st = await recordsApi.control(s, body);
      if (p.session === s) p.state = st;
    } catch (e) {
      if (p.session !== s) return;
      if (codeOf(e) === 'PLAYBACK_NOT_FOUND') p.session = p.url = null;
      Object.assign(p, { error: errorText(e), errorCode: codeOf(e) });
    }
  }

  /** Where a fresh start begins: the cursor when some pane has recordings from there, else the day's first recording. */
  function startTime(ps: Pane[]): number | null {
    const c = cursor.value;
    if (c !== null && ps.some((p) => spanFrom(p.spans, c))) return c;
    const firsts = ps.map((p) => spanFrom(p.spans, o.bounds().start)?.startMs).filter((x): x is number => x !== undefined);
    return firsts.length ? Math.min(...firsts) : null;
  }

  /** Starts or resumes the targets; false when there is nothing to play. */
  async function play(): Promise<boolean> {
    const ts = targets();
    if (!ts.length) return false;
    if (ts.some(live)) {
      const pos = lead()?.state?.positionMs ?? cursor.value ?? o.bounds().start;
      await Promise.all(ts.map((p) => (live(p) ? control(p, { action: 'resume' }) : open(p, pos))));
      return true;
    }
    const start = startTime(ts);
    if (start === null) return false;
    cursor.value = start;
    holdUntil = performance.now() + 1000;
    await Promise.all(ts.map((p) => open(p, start)));
    return true;
  }

  async function pause() {
    await Promise.all(targets().filter(live).map((p) => control(p, { action: 'pause' })));
  }

  async function togglePlay(): Promise<boolean> {
    if (playing.value) {
      await pause();
      return true;
    }
    return play();
  }

  async function step(direction: 'forward' | 'backward') {
    await Promise.all(targets().filter((p) => p.session).map((p) => control(p, { action: 'step', direction })));
  }

  async function setSpeed(s: number) {
    speed.value = s;
    await Promise.all(targets().filter((p) => p.session).map((p) => control(p, { action: 'speed', speed: s })));
  }

  async function stop() {
    await Promise.all(targets().map(close));
  }

  /** Moves the cursor; running targets seek there (a time outside a session's range opens a new one). */
  async function seek(ms: number) {
    cursor.value = ms;
    holdUntil = performance.now() + 800;
    await Promise.all(
      targets()
        .filter((p) => p.session)
        .map((p) => {
          const st = p.state;
          if (st && ms >= st.startMs && ms < st.endMs) return control(p, { action: 'seek', time: new Date(ms).toISOString() });
          return open(p, ms, !!st?.paused);
        }),
    );
  }

  async function assign(ch: PaneChannel) {
    const p = activePane.value;
    if (p.channel?.id === ch.id) return;
    await close(p);
    Object.assign(p, blankPane(p.idx), { channel: ch, gen: p.gen });
    const others = withChannel.value.filter((x) => x !== p && live(x));
    await Promise.all([loadRecords(p), loadStatus(p)]);
    if (sync.value && others.length) await open(p, lead()?.state?.positionMs ?? cursor.value ?? o.bounds().start, others.every((x) => x.state?.paused));
    if (layout.value === 4) {
      const next = visible.value.find((x) => !x.channel);
      if (next) active.value = next.idx;
    }
  }

  async function remove(p: Pane) {
    await close(p);
    Object.assign(p, blankPane(p.idx), { gen: p.gen });
  }

  async function setLayout(n: 1 | 4) {
    layout.value = n;
    if (n === 1) {
      await Promise.all(panes.slice(1).map(close));
      active.value = 0;
    }
  }

  /** New day or source: every session stops, spans reload. */
  async function reload() {
    cursor.value = null;
    await Promise.all(panes.map(close));
    await Promise.all(withChannel.value.map((p) => Promise.all([loadRecords(p), loadStatus(p)])));
  }

  async function pollOne(p: Pane) {
    const s = p.session;
    if (!s || p.polling) return;
    p.polling = true;
    try {
      const st = await recordsApi.state(s);
      if (p.session === s) p.state = st;
    } catch (e) {
      if (p.session === s && codeOf(e) === 'PLAYBACK_NOT_FOUND') {
        p.session = p.url = null;
        if (p.state) p.state = { ...p.state, ended: true };
      }
    } finally {
      p.polling = false;
    }
  }

  const pollTimer = setInterval(() => {
    for (const p of visible.value) void pollOne(p);
    const l = lead();
    if (l?.state && !scrubbing.value && performance.now() > holdUntil) cursor.value = l.state.positionMs;
  }, 250);
  const refreshTimer = setInterval(() => {
    const b = o.bounds();
    if (Date.now() < b.start || Date.now() > b.end + 60_000) return;
    for (const p of withChannel.value) void loadRecords(p);
  }, 15_000);

  function dispose() {
    clearInterval(pollTimer);
    clearInterval(refreshTimer);
    for (const p of panes) void close(p);
  }
  if (getCurrentInstance()) onBeforeUnmount(dispose);

  return { panes, layout, sync, active, speed, cursor, scrubbing, visible, withChannel, playing, hasSession, activePane, play, pause, togglePlay, step, setSpeed, stop, seek, assign, remove, setLayout, reload, loadRecords, loadStatus, dispose };
}
