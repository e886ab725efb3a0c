import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { orgsApi } from '../api/orgs';
import type { Org } from '../api/types';
import { buildTree, orgPath } from '../utils/tree';

/** Cached org list (read by many pages: selects, table columns). */
export const useOrgsStore = defineStore('orgs', () => {
  const list = ref<Org[]>([]);
  const loaded = ref(false);
  let pending: Promise<void> | null = null;

  const tree = computed(() => buildTree(list.value));

  async function load() {
    list.value = await orgsApi.list();
    loaded.value = true;
  }

  function ensure(): Promise<void> {
    if (loaded.value) return Promise.resolve();
    pending ??= load().finally(() => {
      pending = null;
    });
    return pending;
  }

  function path(id: string | null | undefined): string {
    return orgPath(list.value, id);
  }

  function reset() {
    list.value = [];
    loaded.value = false;
  }

  return { list, loaded, tree, load, ensure, path, reset };
});
