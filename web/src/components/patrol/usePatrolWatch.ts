/**
 * Follows one patrol run as the server runs it: the state is fetched once, then every `patrol.state` push of that
 * run replaces it (pushes arrive in order on the one socket; a fetch answer that raced a push is dropped), and the
 * state is fetched again whenever the event socket reconnects. The countdown runs locally from `remainingMs`.
 */
import { computed, onBeforeUnmount, ref, watch, type Ref } from 'vue';
import { patrolApi, type PatrolAction, type PatrolKind, type PatrolState } from '../../api/patrol';
import { useEventsStore } from '../../stores/events';
import { remainingNow } from '../../utils/patrol';
import { showError } from '../../utils/errors';

export interface Watched {
  kind: PatrolKind;
  id: string;
}

export function usePatrolWatch(target: Ref<Watched | null>) {
  const events = useEventsStore();
  const state = ref<PatrolState | null>(null);
  const receivedAt = ref(0);
  const now = ref(performance.now());
  const busy = ref(false);
  let pushes = 0;

  function apply(s: PatrolState) {
    state.value = s;
    receivedAt.value = performance.now();
  }

  async function refresh() {
    const t = target.value;
    if (!t) {
      state.value = null;
      return;
    }
    const seen = pushes;
    try {
      const s = await patrolApi.state(t.kind, t.id);
      if (pushes === seen && target.value === t) apply(s);
    } catch (e) {
      showError(e);
    }
  }

  const off = events.on((e) => {
    if (e.type !== 'patrol.state') return;
    const s = e.data as PatrolState;
    const t = target.value;
    if (!t || s.kind !== t.kind || s.id !== t.id) return;
    pushes++;
    apply(s);
  });
  watch(target, () => void refresh(), { immediate: true });
  watch(
    () => events.state,
    (st, was) => {
      if (st === 'open' && was !== 'open') void refresh();
    },
  );
  const ticker = setInterval(() => (now.value = performance.now()), 250);
  onBeforeUnmount(() => {
    off();
    clearInterval(ticker);
  });

  const remaining = computed(() => remainingNow(state.value, receivedAt.value, now.value));

  async function control(action: PatrolAction) {
    const t = target.value;
    if (!t) return;
    busy.value = true;
    try {
      const seen = pushes;
      const s = await patrolApi.control(t.kind, t.id, action);
      if (pushes === seen) apply(s);
    } catch (e) {
      showError(e);
    } finally {
      busy.value = false;
    }
  }

  return { state, remaining, busy, control, refresh };
}
