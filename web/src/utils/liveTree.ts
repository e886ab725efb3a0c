/** The live wall's resource tree: visible orgs with the visible channels under them, search, PTZ support, events. */
import type { Channel, Org } from '../api/types';
import { buildTree, type TreeNode } from './tree';

export type LiveChannel = Pick<Channel, 'id' | 'name' | 'online' | 'orgId' | 'deviceId' | 'codec' | 'width' | 'height' | 'fps' | 'ptzType' | 'capabilities'>;

export interface WallNode {
  /** `o:<org id>`, `c:<channel id>` or `u:` (channels without a visible org) */
  key: string;
  id: string;
  label: string;
  kind: 'org' | 'channel' | 'ungrouped';
  /** channels in the subtree (orgs) */
  count?: number;
  children?: WallNode[];
}

export const UNGROUPED_KEY = 'u:';

function matches(c: LiveChannel, q: string): boolean {
  return c.name.toLowerCase().includes(q) || c.id.includes(q);
}

const byName = (a: LiveChannel, b: LiveChannel) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id);

/**
 * Org tree with channel leaves. Channels whose org the user cannot see (or with none) go under one "ungrouped" root.
 * With a search text only matching channels (name or id) and the orgs leading to them are kept.
 */
export function buildWallTree(orgs: readonly Org[], channels: readonly LiveChannel[], search: string, ungroupedLabel: string): WallNode[] {
  const q = search.trim().toLowerCase();
  const shown = (q ? channels.filter((c) => matches(c, q)) : [...channels]).sort(byName);
  const orgIds = new Set(orgs.map((o) => o.id));
  const byOrg = new Map<string, LiveChannel[]>();
  const ungrouped: LiveChannel[] = [];
  for (const c of shown) {
    if (c.orgId && orgIds.has(c.orgId)) {
      let list = byOrg.get(c.orgId);
      if (!list) byOrg.set(c.orgId, (list = []));
      list.push(c);
    } else ungrouped.push(c);
  }
  const leaf = (c: LiveChannel): WallNode => ({ key: `c:${c.id}`, id: c.id, label: c.name || c.id, kind: 'channel' });
  const convert = (n: TreeNode<Org>): WallNode | null => {
    const kids = n.children.map(convert).filter((x): x is WallNode => x !== null);
    const own = (byOrg.get(n.id) ?? []).map(leaf);
    const count = kids.reduce((s, k) => s + (k.count ?? 0), 0) + own.length;
    if (q && count === 0) return null;
    return { key: `o:${n.id}`, id: n.id, label: n.label, kind: 'org', count, children: [...kids, ...own] };
  };
  const roots = buildTree(orgs).map(convert).filter((x): x is WallNode => x !== null);
  if (ungrouped.length) roots.push({ key: UNGROUPED_KEY, id: '', label: ungroupedLabel, kind: 'ungrouped', count: ungrouped.length, children: ungrouped.map(leaf) });
  return roots;
}

/** Channel ids of a subtree, in tree order (double-clicking an org fills the wall with them). */
export function channelsUnder(node: WallNode): string[] {
  if (node.kind === 'channel') return [node.id];
  return (node.children ?? []).flatMap(channelsUnder);
}

/** Keys of the org nodes to expand so every match is visible (search), or just the roots. */
export function expandedKeys(tree: readonly WallNode[], all: boolean): string[] {
  const out: string[] = [];
  const walk = (n: WallNode) => {
    if (n.kind === 'channel') return;
    out.push(n.key);
    if (all) n.children?.forEach(walk);
  };
  tree.forEach(walk);
  return out;
}

export type PtzSupport = 'yes' | 'no' | 'unknown';

/**
 * GB/T 28181 PTZType: 1 dome (球机) and 4 remote-controlled bullet (遥控枪机) move; 2 half-dome and 3 fixed bullet do
 * not. The archive's PTZ capability counts too. Many devices report no PTZType: unknown (controls stay enabled).
 */
export function ptzSupport(c: Pick<LiveChannel, 'ptzType' | 'capabilities'> | null | undefined): PtzSupport {
  if (!c) return 'no';
  const t = c.ptzType === null || c.ptzType === undefined || c.ptzType === '' ? null : Number(c.ptzType);
  if (c.capabilities?.ptz || t === 1 || t === 4) return 'yes';
  if (t === 2 || t === 3) return 'no';
  return 'unknown';
}

export interface EventEffect {
  /** channel ids whose online flag changed */
  online?: [string, boolean];
  /** the channel list may have changed: reload it */
  reload?: boolean;
}

/** What a pushed event means for the tree (channel events carry `data.id`). */
export function eventEffect(type: string, data: unknown): EventEffect {
  const id = data && typeof (data as { id?: unknown }).id === 'string' ? (data as { id: string }).id : null;
  if ((type === 'channel.online' || type === 'channel.offline') && id) return { online: [id, type === 'channel.online'] };
  if (/^channel\.(created|deleted|updated)$/.test(type) || /^device\.(online|offline|deleted|updated|imported)$/.test(type)) return { reload: true };
  return {};
}
