/**
 * GC of snapshots: a committed snapshot stays while a live image's ChainID names it, or while an active
 * snapshot or view (a container rootfs, a layer being unpacked) is built on it, directly or through its
 * parents. Everything else committed is removed, children before parents.
 */
import { SNAPSHOT_SIZE_LABEL } from '../snapshots/labels';
import type { GcItem, GcLiveSet, GcResourceCollector, GcTotals } from './types';

/** The part of a snapshotter GC needs (the snapshotter in ../snapshots satisfies it). */
export interface CollectableSnapshots {
  walk(visit: (info: SnapshotEntry) => void | Promise<void>): Promise<void>;
  usage(key: string): Promise<{ size: number }>;
  remove(key: string): Promise<void>;
}

export interface SnapshotEntry {
  name: string;
  kind: 'active' | 'view' | 'committed';
  parent?: string;
  labels?: Record<string, string>;
}

/** A committed snapshot's size from its commit-time label (immutable), else measured. */
async function sizeOf(snapshots: CollectableSnapshots, entry: SnapshotEntry): Promise<number> {
  const label = entry.kind === 'committed' ? entry.labels?.[SNAPSHOT_SIZE_LABEL] : undefined;
  if (label !== undefined && Number.isSafeInteger(Number(label))) return Number(label);
  return (await snapshots.usage(entry.name)).size;
}

export function snapshotCollector(snapshots: CollectableSnapshots, name = 'snapshots'): GcResourceCollector {
  return {
    name,
    async plan(live: GcLiveSet): Promise<GcItem[]> {
      const all = await entries(snapshots);
      const byName = new Map(all.map((entry) => [entry.name, entry]));
      const keep = new Set<string>();
      const keepChain = (start: string | undefined) => {
        for (let at = start; at !== undefined && !keep.has(at); at = byName.get(at)?.parent) keep.add(at);
      };
      for (const entry of all) {
        if (entry.kind !== 'committed' || live.chainIds.has(entry.name)) keepChain(entry.name);
      }
      const dead = all.filter((entry) => !keep.has(entry.name));
      const depth = (entry: SnapshotEntry) => {
        let levels = 0;
        for (let at = entry.parent; at !== undefined && levels <= all.length; at = byName.get(at)?.parent) levels++;
        return levels;
      };
      // Deepest first: a snapshot can only be removed once nothing is based on it.
      dead.sort((a, b) => depth(b) - depth(a) || a.name.localeCompare(b.name));
      const items: GcItem[] = [];
      for (const entry of dead) items.push({ id: entry.name, size: await sizeOf(snapshots, entry) });
      return items;
    },
    async remove(items: readonly GcItem[]): Promise<GcItem[]> {
      const removed: GcItem[] = [];
      for (const item of items) {
        try {
          await snapshots.remove(item.id);
          removed.push(item);
        } catch {
          // Something was built on it since the plan (a new container): it is live now, so it stays.
        }
      }
      return removed;
    },
    async total(): Promise<GcTotals> {
      const all = await entries(snapshots);
      let bytes = 0;
      for (const entry of all) bytes += await sizeOf(snapshots, entry);
      return { count: all.length, bytes };
    },
  };
}

async function entries(snapshots: CollectableSnapshots): Promise<SnapshotEntry[]> {
  const all: SnapshotEntry[] = [];
  await snapshots.walk((info) => {
    const entry: SnapshotEntry = { name: info.name, kind: info.kind };
    if (info.parent !== undefined) entry.parent = info.parent;
    if (info.labels !== undefined) entry.labels = info.labels;
    all.push(entry);
  });
  return all;
}
