import { describe, expect, it } from 'vitest';
import { buildTree, orgPath, subtreeIds } from './tree';

const org = (id: string, parentId: string | null, name = id, sort = 0) => ({ id, parentId, name, sort });

describe('buildTree', () => {
  it('nests children under their parents and keeps roots', () => {
    const tree = buildTree([org('11', null, 'Beijing'), org('1101', '11', 'Dongcheng'), org('1102', '11', 'Xicheng'), org('31', null, 'Shanghai')]);
    expect(tree.map((n) => n.id)).toEqual(['11', '31']);
    expect(tree[0]!.children.map((n) => n.id)).toEqual(['1101', '1102']);
    expect(tree[0]!.children[0]!.label).toBe('Dongcheng');
    expect(tree[1]!.children).toEqual([]);
  });

  it('is independent of input order', () => {
    const tree = buildTree([org('110101', '1101'), org('1101', '11'), org('11', null)]);
    expect(tree).toHaveLength(1);
    expect(tree[0]!.children[0]!.children[0]!.id).toBe('110101');
  });

  it('makes items with an unknown parent roots (partially visible tree)', () => {
    const tree = buildTree([org('1101', '11'), org('110101', '1101')]);
    expect(tree.map((n) => n.id)).toEqual(['1101']);
    expect(subtreeIds(tree[0]!)).toEqual(['1101', '110101']);
  });

  it('orders siblings by sort, then name', () => {
    const tree = buildTree([org('a', null, 'Zeta', 2), org('b', null, 'Alpha', 2), org('c', null, 'Omega', 1)]);
    expect(tree.map((n) => n.label)).toEqual(['Omega', 'Alpha', 'Zeta']);
  });

  it('does not loop or lose nodes on cycles and self-parents', () => {
    const items = [org('a', 'b'), org('b', 'a'), org('c', 'c'), org('d', 'a')];
    const tree = buildTree(items);
    const all = tree.flatMap(subtreeIds);
    expect(new Set(all)).toEqual(new Set(['a', 'b', 'c', 'd']));
    expect(all).toHaveLength(4);
    const a = tree.find((n) => n.id === 'a')!;
    expect(a.children.map((n) => n.id)).toEqual(['d']);
  });
});

describe('orgPath', () => {
  const items = [org('11', null, 'Beijing'), org('1101', '11', 'Dongcheng')];
  it('joins ancestor names', () => {
    expect(orgPath(items, '1101')).toBe('Beijing / Dongcheng');
  });
  it('falls back to the id, or empty', () => {
    expect(orgPath(items, 'zz')).toBe('zz');
    expect(orgPath(items, null)).toBe('');
  });
});
