import { beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia } from 'pinia';
import ElementPlus from 'element-plus';
import { createMemoryHistory, createRouter } from 'vue-router';
import LoginPage from './LoginPage.vue';
import { i18n, setLocale } from '../i18n';
import { setToken } from '../api/http';
import { iconsPlugin } from '../icons';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

async function mountLogin(path = '/login') {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginPage },
      { path: '/:any(.*)*', component: { template: '<div />' } },
    ],
  });
  await router.push(path);
  const wrapper = mount(LoginPage, { global: { plugins: [createPinia(), i18n, ElementPlus, iconsPlugin, router] }, attachTo: document.body });
  const input = (name: string) => {
    const el = wrapper.find(`[data-test="${name}"]`);
    return el.element.tagName === 'INPUT' ? el : el.find('input');
  };
  const submit = async (username: string, password: string) => {
    await input('login-username').setValue(username);
    await input('login-password').setValue(password);
    await wrapper.find('form').trigger('submit');
    await flushPromises();
  };
  return { wrapper, router, submit };
}

describe('LoginPage', () => {
  beforeEach(() => {
    vi.unstubAllGlobals();
    setToken(null);
    setLocale('zh-CN');
  });

  it('shows the API message of a failed login', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { code: 'AUTH_INVALID_CREDENTIALS', message: '用户名或密码错误' })));
    const { wrapper, submit } = await mountLogin();
    await submit('admin', 'nope');
    expect(wrapper.find('[data-test="login-error"]').text()).toContain('用户名或密码错误 (AUTH_INVALID_CREDENTIALS)');
    wrapper.unmount();
  });

  it('shows a lockout with its end time', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(423, { code: 'AUTH_ACCOUNT_LOCKED', message: 'Account locked (账号已锁定)', details: { lockedUntil: '2030-01-02T03:04:05Z' } })),
    );
    const { wrapper, submit } = await mountLogin();
    await submit('op1', 'x');
    const text = wrapper.find('[data-test="login-error"]').text();
    expect(text).toContain('账号已锁定');
    expect(text).toContain('锁定至 2030-01-0');
    wrapper.unmount();
  });

  it('asks for both fields before calling the API', async () => {
    const f = vi.fn();
    vi.stubGlobal('fetch', f);
    const { wrapper, submit } = await mountLogin();
    await submit('', '');
    expect(f).not.toHaveBeenCalled();
    expect(wrapper.find('[data-test="login-error"]').text()).toContain('请输入用户名和密码');
    wrapper.unmount();
  });

  it('stores the token and goes to the requested page', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url.endsWith('/auth/login')
          ? json(200, { token: 'tok-1', expiresAt: '2030-01-01T00:00:00Z', mustChangePassword: false, user: { id: 'u', username: 'sec' } })
          : json(200, { user: { id: 'u', username: 'sec' }, permissions: ['user.manage'], allChannels: false }),
      ),
    );
    const { wrapper, router, submit } = await mountLogin('/login?redirect=/users');
    await submit('sec', 'Secret#2024');
    expect(localStorage.getItem('sharpeye.token')).toBe('tok-1');
    expect(router.currentRoute.value.fullPath).toBe('/users');
    wrapper.unmount();
  });
});
