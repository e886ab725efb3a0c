import { describe, expect, it } from 'vitest';
import { groupPermissions, groupState, permissionLabel, toggleGroup } from './permissions';

const p = (key: string, group: string) => ({ key, group, label: { zh: `中${key}`, en: `en ${key}` } });
const catalogue = [p('device.view', 'device'), p('live.view', 'video'), p('device.manage', 'device'), p('ptz.control', 'video')];

describe('permission grouping', () => {
  it('groups by group keeping catalogue order', () => {
    const g = groupPermissions(catalogue);
    expect(g.map((x) => x.group)).toEqual(['device', 'video']);
    expect(g[0]!.items.map((i) => i.key)).toEqual(['device.view', 'device.manage']);
  });

  it('reports all / some state', () => {
    const [device] = groupPermissions(catalogue);
    expect(groupState(device!, [])).toEqual({ all: false, some: false });
    expect(groupState(device!, ['device.view'])).toEqual({ all: false, some: true });
    expect(groupState(device!, ['device.view', 'device.manage', 'x'])).toEqual({ all: true, some: false });
  });

  it('toggles a whole group without touching others', () => {
    const [device] = groupPermissions(catalogue);
    expect(toggleGroup(device!, ['live.view', 'device.view'], true).sort()).toEqual(['device.manage', 'device.view', 'live.view']);
    expect(toggleGroup(device!, ['live.view', 'device.view'], false)).toEqual(['live.view']);
  });

  it('labels by locale with fallbacks', () => {
    expect(permissionLabel(catalogue[0]!, 'zh-CN')).toBe('中device.view');
    expect(permissionLabel(catalogue[0]!, 'en')).toBe('en device.view');
    expect(permissionLabel({ key: 'k', group: 'g', label: { zh: '', en: '' } }, 'en')).toBe('k');
  });
});
