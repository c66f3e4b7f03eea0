export { GarbageCollector } from './garbage-collector';
export type { GarbageCollectorOptions, GcResult, UsageOptions } from './garbage-collector';
export type {
  GcImageUsage,
  GcItem,
  GcLiveSet,
  GcPlan,
  GcResourceCollector,
  GcTotals,
  GcUsage,
} from './types';
export { snapshotCollector } from './snapshot-collector';
export type { CollectableSnapshots, SnapshotEntry } from './snapshot-collector';
