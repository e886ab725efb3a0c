import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteLocationRaw, type RouteRecordRaw } from 'vue-router';
import { useAuthStore } from './stores/auth';
import { allowed, landingPath, NAV_ITEMS } from './utils/nav';
import { loadShell } from './ui/shell';

const perms = (key: string) => NAV_ITEMS.find((i) => i.key === key)?.anyOf ?? [];

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  {
    path: '/',
    component: loadShell,
    children: [
      { path: '', redirect: '/dashboard' },
      { path: 'dashboard', name: 'dashboard', component: () => import('./pages/DashboardPage.vue'), meta: { nav: 'dashboard' } },
      { path: 'live', name: 'live', component: () => import('./pages/LiveWallPage.vue'), meta: { nav: 'live', anyOf: perms('live') } },
      { path: 'devices', name: 'devices', component: () => import('./pages/DevicesPage.vue'), meta: { nav: 'devices', anyOf: perms('devices') } },
      { path: 'devices/:id', name: 'device-detail', component: () => import('./pages/DeviceDetailPage.vue'), meta: { nav: 'devices', anyOf: perms('devices') } },
      { path: 'channels', name: 'channels', component: () => import('./pages/ChannelsPage.vue'), meta: { nav: 'channels', anyOf: perms('channels') } },
      { path: 'naming', name: 'naming', component: () => import('./pages/NamingPage.vue'), meta: { nav: 'naming', anyOf: perms('naming') } },
      { path: 'playback', name: 'playback', component: () => import('./pages/PlaybackPage.vue'), meta: { nav: 'playback', anyOf: perms('playback') } },
      { path: 'patrol', name: 'patrol', component: () => import('./pages/PatrolPage.vue'), meta: { nav: 'patrol', anyOf: perms('patrol') } },
      { path: 'alarms', name: 'alarms', component: () => import('./pages/AlarmsPage.vue'), meta: { nav: 'alarms', anyOf: perms('alarms') } },
      { path: 'ops', name: 'ops', component: () => import('./pages/OpsDashboardPage.vue'), meta: { nav: 'ops', anyOf: perms('ops') } },
      { path: 'ops-alerts', name: 'opsalerts', component: () => import('./pages/AlertsPage.vue'), meta: { nav: 'opsalerts', anyOf: perms('opsalerts') } },
      { path: 'status', name: 'status', component: () => import('./pages/StatusPage.vue'), meta: { nav: 'status', anyOf: perms('status') } },
      { path: 'map', name: 'map', component: () => import('./pages/MapPage.vue'), meta: { nav: 'map', anyOf: perms('map') } },
      { path: 'images', name: 'images', component: () => import('./pages/ImagesPage.vue'), meta: { nav: 'images', anyOf: perms('images') } },
      { path: 'orgs', name: 'orgs', component: () => import('./pages/OrgsPage.vue'), meta: { nav: 'orgs', anyOf: perms('orgs') } },
      { path: 'users', name: 'users', component: () => import('./pages/UsersPage.vue'), meta: { nav: 'users', anyOf: perms('users') } },
      { path: 'roles', name: 'roles', component: () => import('./pages/RolesPage.vue'), meta: { nav: 'roles', anyOf: perms('roles') } },
      { path: 'logs', name: 'logs', component: () => import('./pages/LogsPage.vue'), meta: { nav: 'logs', anyOf: perms('logs') } },
      { path: 'view-audit', name: 'viewaudit', component: () => import('./pages/ViewAuditPage.vue'), meta: { nav: 'viewaudit', anyOf: perms('viewaudit') } },
      { path: 'api-keys', name: 'apikeys', component: () => import('./pages/ApiKeysPage.vue'), meta: { nav: 'apikeys', anyOf: perms('apikeys') } },
      { path: 'settings', name: 'settings', component: () => import('./pages/SettingsPage.vue'), meta: { nav: 'settings', anyOf: perms('settings') } },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/dashboard' },
];

export const router = createRouter({ history: createWebHistory(), routes });

/** Login required, `/auth/me` loaded once, and the route's permissions held; else a redirect. */
export async function authGuard(to: Pick<RouteLocationNormalized, 'name' | 'fullPath' | 'meta'>): Promise<true | RouteLocationRaw> {
  const auth = useAuthStore();
  if (to.meta.public) {
    if (to.name === 'login' && auth.isLoggedIn && auth.loaded) return landingPath(auth.permissions);
    return true;
  }
  if (!auth.isLoggedIn) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  if (!auth.loaded) {
    try {
      await auth.loadMe();
    } catch {
      auth.clear();
      return { name: 'login', query: { redirect: to.fullPath } };
    }
  }
  const need = to.meta.anyOf as string[] | undefined;
  if (!allowed(need, auth.permissions)) return landingPath(auth.permissions);
  return true;
}

router.beforeEach((to) => authGuard(to));
