/**
 * `/playback?channel=<id>&at=<ISO time>` (the alarm console's "recording" link): opens that day, puts the channel in
 * the active pane and places the cursor shortly before `at` with the timeline zoomed around it, ready to play.
 */
import { nextTick, onMounted, type Ref } from 'vue';
import { useRoute } from 'vue-router';
import { channelsApi } from '../../api/channels';
import { centerView, HOUR, type Bounds, type View } from '../../utils/timeline';
import type { usePlayback } from './usePlayback';

/** Seconds of recording before the given time the cursor starts at. */
export const LEAD_MS = 10_000;

export function parsePlaybackQuery(q: Record<string, unknown>): { channel: string; at: number | null } | null {
  const channel = typeof q.channel === 'string' && /^[0-9A-Za-z_-]{1,64}$/.test(q.channel) ? q.channel : null;
  if (!channel) return null;
  const at = typeof q.at === 'string' ? Date.parse(q.at) : NaN;
  return { channel, at: Number.isFinite(at) ? at : null };
}

export function usePlaybackQuery(o: { date: Ref<Date>; view: Ref<View>; bounds: () => Bounds; pb: ReturnType<typeof usePlayback> }) {
  const route = useRoute();
  onMounted(async () => {
    const q = parsePlaybackQuery(route.query);
    if (!q) return;
    if (q.at !== null) o.date.value = new Date(q.at);
    await nextTick();
    const ch = await channelsApi.get(q.channel).catch(() => null);
    if (!ch) return;
    await o.pb.assign({ id: ch.id, name: ch.name });
    if (q.at !== null) {
      o.pb.cursor.value = Math.max(o.bounds().start, q.at - LEAD_MS);
      o.view.value = centerView(q.at, HOUR, o.bounds());
    }
  });
}
