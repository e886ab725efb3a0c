/**
 * The channels the user may see (all pages of `GET /channels`), kept current: `channel.online/offline` events flip the
 * online flag in place, list-changing events reload (debounced), and a slow poll covers what is not pushed to scoped
 * users (a device going offline takes its channels with it, but device events only reach `device.view` users).
 */
import { computed, onBeforeUnmount, ref } from 'vue';
import { channelsApi } from '../../api/channels';
import { orgsApi } from '../../api/orgs';
import type { Org } from '../../api/types';
import { debounce, useLiveEvents } from '../../stores/events';
import { eventEffect, type LiveChannel } from '../../utils/liveTree';

const PAGE = 1000;
const MAX_PAGES = 50;
const POLL_MS = 60_000;

export function useLiveChannels() {
  const orgs = ref<Org[]>([]);
  const channels = ref<LiveChannel[]>([]);
  const loading = ref(false);
  const error = ref<unknown>(null);
  const byId = computed(() => new Map(channels.value.map((c) => [c.id, c])));

  const slim = (c: LiveChannel): LiveChannel => ({
    id: c.id, name: c.name, online: c.online, orgId: c.orgId, deviceId: c.deviceId, codec: c.codec, width: c.width, height: c.height, fps: c.fps, ptzType: c.ptzType, capabilities: c.capabilities,
  });

  async function load() {
    loading.value = true;
    try {
      const [first, orgList] = await Promise.all([channelsApi.list({ page: 1, pageSize: PAGE }), orgsApi.list()]);
      const pages = Math.min(MAX_PAGES, Math.ceil(first.total / PAGE));
      const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, i) => channelsApi.list({ page: i + 2, pageSize: PAGE })));
      const next = [first, ...rest].flatMap((p) => p.items.map(slim));
      const shape = (list: LiveChannel[]) => list.map((c) => `${c.id}\u0001${c.name}\u0001${c.orgId ?? ''}`).join('\u0002');
      if (next.length === channels.value.length && shape(next) === shape(channels.value)) {
        // same tree: update flags in place so the tree keeps its expansion and scroll position
        next.forEach((c, i) => Object.assign(channels.value[i]!, c));
      } else channels.value = next;
      // replaced only when something changed, so the tree keeps its expansion across the periodic refresh
      if (JSON.stringify(orgList) !== JSON.stringify(orgs.value)) orgs.value = orgList;
      error.value = null;
    } catch (e) {
      error.value = e;
    } finally {
      loading.value = false;
    }
  }

  const reloadSoon = debounce(() => void load(), 800);
  useLiveEvents(['channel.', 'device.'], (e) => {
    const fx = eventEffect(e.type, e.data);
    if (fx.online) {
      const c = byId.value.get(fx.online[0]);
      if (c) c.online = fx.online[1];
    }
    if (fx.reload) reloadSoon();
  });
  const poll = setInterval(() => {
    if (document.visibilityState === 'visible') void load();
  }, POLL_MS);
  onBeforeUnmount(() => clearInterval(poll));

  return { channels, byId, loading, error, load, orgs };
}
