import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { authApi, type Me } from '../api/auth';
import { getToken, setToken } from '../api/http';
import type { User } from '../api/types';
import { allowed, visibleNav } from '../utils/nav';
import { useOrgsStore } from './orgs';
import { useEventsStore } from './events';

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(getToken());
  const user = ref<User | null>(null);
  const permissions = ref<string[]>([]);
  const allChannels = ref(false);
  const mustChangePassword = ref(false);
  const loaded = ref(false);

  const permissionSet = computed(() => new Set(permissions.value));
  const nav = computed(() => visibleNav(permissionSet.value));
  const isLoggedIn = computed(() => !!token.value);

  function can(...anyOf: string[]): boolean {
    return allowed(anyOf, permissionSet.value);
  }

  function applyMe(me: Me) {
    user.value = me.user;
    permissions.value = me.permissions ?? [];
    allChannels.value = !!me.allChannels;
    if (me.user?.mustChangePassword) mustChangePassword.value = true;
    loaded.value = true;
  }

  async function login(username: string, password: string) {
    const res = await authApi.login(username, password);
    setToken(res.token);
    token.value = res.token;
    useOrgsStore().reset();
    mustChangePassword.value = !!(res.mustChangePassword || res.user?.mustChangePassword);
    applyMe(await authApi.me());
    return res;
  }

  async function loadMe() {
    applyMe(await authApi.me());
  }

  /** Forget the session locally (token expired, or after logout). */
  function clear() {
    setToken(null);
    token.value = null;
    user.value = null;
    permissions.value = [];
    allChannels.value = false;
    mustChangePassword.value = false;
    loaded.value = false;
    useOrgsStore().reset();
    useEventsStore().stop();
  }

  async function logout() {
    try {
      if (token.value) await authApi.logout();
    } catch {
      /* token may already be invalid */
    } finally {
      clear();
    }
  }

  return {
    token,
    user,
    permissions,
    allChannels,
    mustChangePassword,
    loaded,
    nav,
    isLoggedIn,
    can,
    login,
    loadMe,
    logout,
    clear,
  };
});
