import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { authGuard } from './router';
import { setToken } from './api/http';
import { useAuthStore } from './stores/auth';

const me = (permissions: string[]) => ({
  user: { id: 'u1', username: 'op', mustChangePassword: false },
  permissions,
  allChannels: false,
});

function mockFetch(handler: (url: string) => Response) {
  const fn = vi.fn(async (url: string) => handler(url));
  vi.stubGlobal('fetch', fn);
  return fn;
}

const route = (fullPath: string, meta: Record<string, unknown> = {}, name = 'x') => ({ name, fullPath, meta });

describe('route guard', () => {
  beforeEach(() => {
    vi.unstubAllGlobals();
    setToken(null);
    setActivePinia(createPinia());
  });

  it('sends anonymous users to the login page with a redirect', async () => {
    expect(await authGuard(route('/users', { anyOf: ['user.manage'] }))).toEqual({ name: 'login', query: { redirect: '/users' } });
    expect(await authGuard(route('/login', { public: true }, 'login'))).toBe(true);
  });

  it('loads /auth/me once and lets permitted routes through', async () => {
    setToken('tok');
    setActivePinia(createPinia());
    const f = mockFetch(() => new Response(JSON.stringify(me(['user.manage'])), { status: 200 }));
    expect(await authGuard(route('/users', { anyOf: ['user.manage'] }))).toBe(true);
    expect(await authGuard(route('/dashboard'))).toBe(true);
    expect(f).toHaveBeenCalledTimes(1);
    expect(useAuthStore().nav.map((n) => n.key)).toEqual(['dashboard', 'users']);
  });

  it('redirects away from routes the user lacks permissions for', async () => {
    setToken('tok');
    setActivePinia(createPinia());
    mockFetch(() => new Response(JSON.stringify(me(['live.view'])), { status: 200 }));
    expect(await authGuard(route('/roles', { anyOf: ['role.manage'] }))).toBe('/dashboard');
    expect(await authGuard(route('/channels', { anyOf: ['device.view', 'live.view'] }))).toBe(true);
  });

  it('drops an invalid token and goes to the login page', async () => {
    setToken('expired');
    setActivePinia(createPinia());
    mockFetch(() => new Response(JSON.stringify({ code: 'AUTH_TOKEN_INVALID', message: 'gone' }), { status: 401 }));
    expect(await authGuard(route('/devices', { anyOf: ['device.view'] }))).toEqual({ name: 'login', query: { redirect: '/devices' } });
    expect(localStorage.getItem('sharpeye.token')).toBeNull();
    expect(useAuthStore().isLoggedIn).toBe(false);
  });

  it('skips the login page for a signed-in user', async () => {
    setToken('tok');
    setActivePinia(createPinia());
    mockFetch(() => new Response(JSON.stringify(me(['device.view'])), { status: 200 }));
    await useAuthStore().loadMe();
    expect(await authGuard(route('/login', { public: true }, 'login'))).toBe('/dashboard');
  });
});
