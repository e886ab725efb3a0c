/**
 * PTZ moves of the selected pane: press-and-hold (start on press, stop on release), wheel bursts (zoom while the
 * wheel turns, stop shortly after it rests). Requests go out in order, so a stop never overtakes its start.
 */
import { ref, type Ref } from 'vue';
import { liveApi, type PtzAction } from '../../api/live';
import { showError } from '../../utils/errors';

const LENS = new Set<PtzAction>(['focusnear', 'focusfar', 'irisopen', 'irisclose']);

/** Speed level 1–10 of the panel → the API's 1–255. */
export const speedOf = (level: number) => Math.max(1, Math.min(255, Math.round(level * 25.5)));

export function usePtzControl(channelId: Ref<string | null>, enabled: Ref<boolean>) {
  const level = ref(5);
  let moving: { id: string; action: PtzAction } | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let wheelTimer: ReturnType<typeof setTimeout> | null = null;

  const send = (id: string, action: PtzAction, speed?: number) => {
    chain = chain.then(() => liveApi.ptz(id, action, speed)).catch(showError);
    return chain;
  };

  function start(action: PtzAction) {
    const id = channelId.value;
    if (!id || !enabled.value) return;
    if (moving && moving.action === action && moving.id === id) return;
    if (moving) void stop();
    moving = { id, action };
    void send(id, action, speedOf(level.value));
  }

  function stop() {
    const m = moving;
    moving = null;
    if (!m) return chain;
    return send(m.id, LENS.has(m.action) ? 'fistop' : 'stop');
  }

  function wheel(dir: 'in' | 'out') {
    start(dir === 'in' ? 'zoomin' : 'zoomout');
    if (wheelTimer) clearTimeout(wheelTimer);
    wheelTimer = setTimeout(() => {
      wheelTimer = null;
      void stop();
    }, 350);
  }

  function dispose() {
    if (wheelTimer) clearTimeout(wheelTimer);
    void stop();
  }

  return { level, start, stop, wheel, dispose };
}
