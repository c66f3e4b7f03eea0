import { CError } from '@c/errors';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Snapshotter } from '../snapshots/types';
import { snapshotCollector, type CollectableSnapshots, type SnapshotEntry } from './snapshot-collector';
import type { GcLiveSet } from './types';

/** An in-memory snapshot tree with the snapshotter's removal rule: nothing may be based on what is removed. */
function memorySnapshots(entries: Array<SnapshotEntry & { size: number }>) {
  const table = new Map(entries.map((entry) => [entry.name, entry]));
  const store: CollectableSnapshots = {
    async walk(visit) {
      for (const entry of [...table.values()].sort((a, b) => a.name.localeCompare(b.name))) await visit(entry);
    },
    async usage(key) {
      return { size: table.get(key)?.size ?? 0 };
    },
    async remove(key) {
      if ([...table.values()].some((entry) => entry.parent === key)) {
        throw new CError('CONFLICT', `snapshot ${key} has children`);
      }
      table.delete(key);
    },
  };
  return { store, names: () => [...table.keys()].sort() };
}

const live = (chainIds: string[]): GcLiveSet => ({ blobs: new Set(), chainIds: new Set(chainIds), images: [] });

describe('snapshotCollector', () => {
  const tree = () =>
    memorySnapshots([
      { name: 'base', kind: 'committed', size: 100 },
      { name: 'base+a', kind: 'committed', parent: 'base', size: 10 },
      { name: 'base+b', kind: 'committed', parent: 'base', size: 20 },
      { name: 'base+b+c', kind: 'committed', parent: 'base+b', size: 30 },
      { name: 'other', kind: 'committed', size: 40 },
      { name: 'other+x', kind: 'committed', parent: 'other', size: 50 },
      { name: 'ctr-1', kind: 'active', parent: 'other+x', size: 5 },
      { name: 'orphan', kind: 'committed', size: 7 },
    ]);

  it('keeps live ChainIDs, their parents and whatever a container is built on; removes the rest deepest first', async () => {
    const { store, names } = tree();
    const collector = snapshotCollector(store);
    const plan = await collector.plan(live(['base', 'base+a']));
    expect(plan).toEqual([
      { id: 'base+b+c', size: 30 },
      { id: 'base+b', size: 20 },
      { id: 'orphan', size: 7 },
    ]);
    expect(await collector.remove(plan)).toEqual(plan);
    expect(names()).toEqual(['base', 'base+a', 'ctr-1', 'other', 'other+x']);
    expect(await collector.total?.()).toEqual({ count: 5, bytes: 205 });
  });

  it('leaves a planned snapshot that still has a child', async () => {
    const { store, names } = tree();
    const collector = snapshotCollector(store);
    const plan = await collector.plan(live(['base+a']));
    expect(plan.map((item) => item.id)).toEqual(['base+b+c', 'base+b', 'orphan']);
    // base+b+c stays (as if it had become busy), so base+b still has a child and must stay too.
    const removed = await collector.remove(plan.slice(1));
    expect(removed.map((item) => item.id)).toEqual(['orphan']);
    expect(names()).toContain('base+b');
  });

  it('accepts the layers snapshotter', () => {
    expectTypeOf<Snapshotter>().toExtend<CollectableSnapshots>();
  });
});
