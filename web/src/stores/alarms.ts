import { defineStore } from 'pinia';
import { ref } from 'vue';
import { alarmsApi, type AlarmItem } from '../api/alarms';
import { applyAck, mergeAlarm, type AckPush } from '../utils/alarms';
import { useEventsStore } from './events';

const MUTE_KEY = 'sharpeye.alarms.muted';

/**
 * Real-time alarms of the signed-in console (users with `alarm.handle`): the open alarms at sign-in plus every
 * `alarm.raised` pushed since, acknowledgements from any console applied, an unseen count, a short sound and a flash.
 */
export const useAlarmStore = defineStore('alarms', () => {
  const items = ref<AlarmItem[]>([]);
  const unseen = ref(0);
  const flashing = ref(false);
  const latest = ref<AlarmItem | null>(null);
  const muted = ref(readMuted());
  const listeners = new Set<(a: AlarmItem) => void>();
  let off: (() => void) | null = null;
  let flashTimer: ReturnType<typeof setTimeout> | null = null;
  let audio: AudioContext | null = null;

  function readMuted(): boolean {
    try {
      return localStorage.getItem(MUTE_KEY) === '1';
    } catch {
      return false;
    }
  }

  function setMuted(v: boolean) {
    muted.value = v;
    try {
      localStorage.setItem(MUTE_KEY, v ? '1' : '0');
    } catch {
      /* storage unavailable */
    }
  }

  /** Two short tones (no sound file to ship); browsers may hold audio back until the user has clicked once. */
  function beep() {
    if (muted.value) return;
    try {
      audio ??= new AudioContext();
      const now = audio.currentTime;
      for (const [k, f] of [[0, 880], [0.22, 660]] as const) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = f;
        gain.gain.setValueAtTime(0.18, now + k);
        gain.gain.exponentialRampToValueAtTime(0.001, now + k + 0.2);
        osc.connect(gain).connect(audio.destination);
        osc.start(now + k);
        osc.stop(now + k + 0.2);
      }
    } catch {
      /* no audio device */
    }
  }

  function flash() {
    flashing.value = true;
    if (flashTimer) clearTimeout(flashTimer);
    flashTimer = setTimeout(() => (flashing.value = false), 6000);
  }

  function raised(a: AlarmItem) {
    if (items.value.some((x) => x.id === a.id)) return;
    items.value = mergeAlarm(items.value, a);
    latest.value = a;
    unseen.value++;
    flash();
    beep();
    for (const l of listeners) l(a);
  }

  async function loadOpen() {
    const page = await alarmsApi.list({ acked: false, pageSize: 100 });
    for (const a of page.items) items.value = mergeAlarm(items.value, a);
  }

  function start() {
    if (off) return;
    off = useEventsStore().on((e) => {
      if (e.type === 'alarm.raised') raised(e.data as AlarmItem);
      else if (e.type === 'alarm.acked') items.value = applyAck(items.value, e.data as AckPush);
    });
    void loadOpen().catch(() => undefined);
  }

  function stop() {
    off?.();
    off = null;
    items.value = [];
    unseen.value = 0;
    flashing.value = false;
  }

  function seen() {
    unseen.value = 0;
    flashing.value = false;
  }

  function acked(a: AlarmItem) {
    items.value = applyAck(items.value, a);
  }

  /** Called for every new alarm (the alarm page adds it to its table). */
  function onRaised(fn: (a: AlarmItem) => void) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  return { items, unseen, flashing, latest, muted, setMuted, start, stop, seen, acked, onRaised };
});
