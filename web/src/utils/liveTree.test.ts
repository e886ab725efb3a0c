import { describe, expect, it } from 'vitest';
import type { Org } from '../api/types';
import { buildWallTree, channelsUnder, eventEffect, expandedKeys, ptzSupport, type LiveChannel } from './liveTree';

const org = (id: string, name: string, parentId: string | null = null): Org => ({ id, name, parentId, type: 'region', sort: 0 });
const caps = { ir: false, lowLight: false, wdr: false, gps: false, ptz: false, faceCapture: false };
const ch = (id: string, name: string, orgId: string | null, extra: Partial<LiveChannel> = {}): LiveChannel => ({
  id, name, orgId, online: true, deviceId: 'd', codec: null, width: null, height: null, fps: null, ptzType: null, capabilities: caps, ...extra,
});

const orgs = [org('35', '福建省'), org('3502', '厦门市', '35'), org('3503', '莆田市', '35')];
const channels = [ch('c3', '东门', '3502'), ch('c1', '北门', '3502'), ch('c2', '港口', '35'), ch('c9', '孤立', '9999'), ch('c8', '无组织', null)];

describe('live wall tree', () => {
  it('puts channels under their org, sorted, and orphans under one ungrouped root', () => {
    const tree = buildWallTree(orgs, channels, '', '未分组');
    expect(tree.map((n) => n.key)).toEqual(['o:35', 'u:']);
    const fj = tree[0]!;
    expect(fj.count).toBe(3);
    expect(fj.children!.map((n) => n.key)).toEqual(['o:3502', 'o:3503', 'c:c2']);
    expect(fj.children![0]!.children!.map((n) => n.label)).toEqual(['北门', '东门']);
    expect(tree[1]!.children!.map((n) => n.id)).toEqual(['c9', 'c8']); // 孤 (gū) before 无 (wú)
    expect(channelsUnder(fj)).toEqual(['c1', 'c3', 'c2']);
  });

  it('search keeps matches (name or id) and the orgs leading to them', () => {
    const tree = buildWallTree(orgs, channels, '门', '未分组');
    expect(tree.map((n) => n.key)).toEqual(['o:35']);
    expect(tree[0]!.children!.map((n) => n.key)).toEqual(['o:3502']);
    expect(buildWallTree(orgs, channels, 'C9', 'u')[0]!.children!.map((n) => n.id)).toEqual(['c9']);
    expect(buildWallTree(orgs, channels, 'nothing', 'u')).toEqual([]);
    expect(expandedKeys(tree, true)).toEqual(['o:35', 'o:3502']);
    expect(expandedKeys(buildWallTree(orgs, channels, '', 'u'), false)).toEqual(['o:35', 'u:']);
  });

  it('PTZ support from PTZType and the archive capability', () => {
    expect(ptzSupport(ch('a', 'a', null, { ptzType: 1 }))).toBe('yes');
    expect(ptzSupport(ch('a', 'a', null, { ptzType: '4' }))).toBe('yes');
    expect(ptzSupport(ch('a', 'a', null, { ptzType: 3 }))).toBe('no');
    expect(ptzSupport(ch('a', 'a', null, { ptzType: 2 }))).toBe('no');
    expect(ptzSupport(ch('a', 'a', null, { ptzType: 3, capabilities: { ...caps, ptz: true } }))).toBe('yes');
    expect(ptzSupport(ch('a', 'a', null))).toBe('unknown');
    expect(ptzSupport(null)).toBe('no');
  });

  it('pushed events: online flags in place, list changes reload', () => {
    expect(eventEffect('channel.online', { id: 'c1' })).toEqual({ online: ['c1', true] });
    expect(eventEffect('channel.offline', { id: 'c1', event: 'OFF' })).toEqual({ online: ['c1', false] });
    expect(eventEffect('channel.updated', { id: 'c1' })).toEqual({ reload: true });
    expect(eventEffect('device.offline', { id: 'd1' })).toEqual({ reload: true });
    expect(eventEffect('channel.position', { id: 'c1' })).toEqual({});
    expect(eventEffect('alarm', {})).toEqual({});
  });
});
