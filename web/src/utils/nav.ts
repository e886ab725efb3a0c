/** Navigation entries and permission-based filtering. */

export interface NavItem {
  key: string;
  path: string;
  icon: string;
  /** The user needs at least one of these permissions; empty = any logged-in user. */
  anyOf: string[];
}

export const NAV_ITEMS: NavItem[] = [
  { key: 'dashboard', path: '/dashboard', icon: 'Odometer', anyOf: [] },
  { key: 'live', path: '/live', icon: 'Monitor', anyOf: ['live.view'] },
  { key: 'devices', path: '/devices', icon: 'VideoCamera', anyOf: ['device.view', 'device.manage'] },
  { key: 'channels', path: '/channels', icon: 'Film', anyOf: ['device.view', 'device.manage', 'live.view', 'playback.view'] },
  { key: 'naming', path: '/naming', icon: 'EditPen', anyOf: ['device.view', 'device.manage'] },
  { key: 'playback', path: '/playback', icon: 'VideoPlay', anyOf: ['playback.view'] },
  { key: 'patrol', path: '/patrol', icon: 'Guide', anyOf: ['patrol.manage'] },
  { key: 'alarms', path: '/alarms', icon: 'Bell', anyOf: ['alarm.handle'] },
  { key: 'ops', path: '/ops', icon: 'TrendCharts', anyOf: ['device.view'] },
  { key: 'opsalerts', path: '/ops-alerts', icon: 'Warning', anyOf: ['log.view', 'system.config'] },
  { key: 'status', path: '/status', icon: 'DataLine', anyOf: ['log.view', 'system.config'] },
  { key: 'map', path: '/map', icon: 'MapLocation', anyOf: ['live.view', 'device.view'] },
  { key: 'images', path: '/images', icon: 'Picture', anyOf: ['image.view'] },
  { key: 'orgs', path: '/orgs', icon: 'OfficeBuilding', anyOf: ['org.manage', 'device.view', 'device.manage'] },
  { key: 'users', path: '/users', icon: 'User', anyOf: ['user.manage'] },
  { key: 'roles', path: '/roles', icon: 'Lock', anyOf: ['role.manage'] },
  { key: 'logs', path: '/logs', icon: 'Document', anyOf: ['log.view'] },
  { key: 'viewaudit', path: '/view-audit', icon: 'View', anyOf: ['log.view'] },
  { key: 'apikeys', path: '/api-keys', icon: 'Key', anyOf: ['apikey.manage'] },
  { key: 'settings', path: '/settings', icon: 'Setting', anyOf: ['system.config'] },
];

export function allowed(required: readonly string[] | undefined, permissions: ReadonlySet<string> | readonly string[]): boolean {
  if (!required || required.length === 0) return true;
  const set = permissions instanceof Set ? permissions : new Set(permissions as readonly string[]);
  return required.some((p) => set.has(p));
}

export function visibleNav(permissions: ReadonlySet<string> | readonly string[], items: readonly NavItem[] = NAV_ITEMS): NavItem[] {
  return items.filter((i) => allowed(i.anyOf, permissions));
}

/** Where to send a user after login: the requested page if allowed, else the first visible entry. */
export function landingPath(permissions: ReadonlySet<string> | readonly string[], requested?: string | null): string {
  if (requested && requested.startsWith('/') && !requested.startsWith('//') && !requested.startsWith('/login')) {
    const item = NAV_ITEMS.find((i) => requested === i.path || requested.startsWith(`${i.path}/`));
    if (!item || allowed(item.anyOf, permissions)) return requested;
  }
  return visibleNav(permissions)[0]?.path ?? '/dashboard';
}
