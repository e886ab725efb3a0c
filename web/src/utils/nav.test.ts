import { describe, expect, it } from 'vitest';
import { allowed, landingPath, NAV_ITEMS, visibleNav } from './nav';

const keys = (perms: string[]) => visibleNav(perms).map((i) => i.key);

describe('permission-based menu', () => {
  it('shows only the overview without permissions', () => {
    expect(keys([])).toEqual(['dashboard']);
  });

  it('an operator with live.view and device.view sees the live wall, devices, channels, the naming check, the map and orgs only', () => {
    expect(keys(['live.view', 'device.view'])).toEqual(['dashboard', 'live', 'devices', 'channels', 'naming', 'ops', 'map', 'orgs']);
  });

  it('patrol and alarms need their own permissions', () => {
    expect(keys(['patrol.manage'])).toEqual(['dashboard', 'patrol']);
    expect(keys(['alarm.handle'])).toEqual(['dashboard', 'alarms']);
  });

  it('live.view alone gives channels but not the device archive', () => {
    const k = keys(['live.view']);
    expect(k).toContain('channels');
    expect(k).not.toContain('devices');
    expect(k).toContain('live');
  });

  it('admin permissions show every entry', () => {
    const all = ['device.view', 'device.manage', 'org.manage', 'live.view', 'playback.view', 'patrol.manage', 'alarm.handle', 'image.view', 'user.manage', 'role.manage', 'log.view', 'apikey.manage', 'system.config'];
    expect(keys(all)).toEqual(NAV_ITEMS.map((i) => i.key));
  });

  it('playback.view alone gives the recordings page and channels', () => {
    expect(keys(['playback.view'])).toEqual(['dashboard', 'channels', 'playback']);
  });

  it('each management page needs its own permission', () => {
    expect(keys(['user.manage'])).toEqual(['dashboard', 'users']);
    expect(keys(['role.manage'])).toEqual(['dashboard', 'roles']);
    expect(keys(['log.export'])).toEqual(['dashboard']);
    expect(keys(['log.view', 'system.config', 'apikey.manage'])).toEqual(['dashboard', 'opsalerts', 'status', 'logs', 'viewaudit', 'apikeys', 'settings']);
  });

  it('allowed() accepts sets and arrays', () => {
    expect(allowed(['a', 'b'], new Set(['b']))).toBe(true);
    expect(allowed(['a'], ['b'])).toBe(false);
    expect(allowed([], [])).toBe(true);
  });
});

describe('landingPath', () => {
  it('keeps an allowed requested path', () => {
    expect(landingPath(['user.manage'], '/users')).toBe('/users');
    expect(landingPath(['device.view'], '/devices/34020000001320000001')).toBe('/devices/34020000001320000001');
  });
  it('refuses a forbidden, external or login path', () => {
    expect(landingPath(['device.view'], '/users')).toBe('/dashboard');
    expect(landingPath([], '//evil.example/x')).toBe('/dashboard');
    expect(landingPath([], '/login')).toBe('/dashboard');
  });
});
