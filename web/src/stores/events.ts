import { defineStore } from 'pinia';
import { onBeforeUnmount, ref } from 'vue';
import { EventStream, type EventListener, type StreamState } from '../api/events';

/** The one live event connection of the console. */
export const useEventsStore = defineStore('events', () => {
  const state = ref<StreamState>('idle');
  let revokedHandler: (() => void) | null = null;
  const stream = new EventStream({
    onState: (s) => (state.value = s),
    onRevoked: () => revokedHandler?.(),
  });

  function start(token: string) {
    stream.start(token);
  }
  function stop() {
    stream.stop();
  }
  function on(listener: EventListener) {
    return stream.on(listener);
  }
  function onRevoked(handler: () => void) {
    revokedHandler = handler;
  }
  return { state, start, stop, on, onRevoked };
});

/** Subscribes a component to pushed events with a prefix (e.g. `device.`) for its lifetime. */
export function useLiveEvents(prefixes: string[], handler: EventListener): void {
  const events = useEventsStore();
  const off = events.on((e) => {
    if (prefixes.some((p) => e.type.startsWith(p))) handler(e);
  });
  onBeforeUnmount(off);
}

/** Calls `fn` at most once per `ms` burst (trailing). */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
