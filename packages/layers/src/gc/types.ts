/** The shapes GC works with: what is live, what a collector plans, what usage() and collect() report. */
import type { ImageRecord } from '../metadata/records';

/** What marking found reachable. Collectors keep everything these name. */
export interface GcLiveSet {
  /** Blob digests reachable from images, leases and extra roots. */
  blobs: ReadonlySet<string>;
  /** ChainIDs of every layer prefix of every live image whose config is present (snapshots key on these). */
  chainIds: ReadonlySet<string>;
  /** The image records marking started from. */
  images: readonly ImageRecord[];
}

/** One removable thing of a collector (a snapshot, a cache entry) and the bytes it would free. */
export interface GcItem {
  id: string;
  size: number;
}

/**
 * A resource collected alongside blobs, such as snapshots by ChainID. `plan` must not change anything;
 * `remove` deletes exactly the items given (those `plan` returned) and returns the ones it removed.
 */
export interface GcResourceCollector {
  readonly name: string;
  plan(live: GcLiveSet): Promise<GcItem[]>;
  remove(items: readonly GcItem[]): Promise<GcItem[]>;
  /** Everything the resource holds, for totals in `usage()`; optional. */
  total?(): Promise<GcTotals>;
}

export interface GcTotals {
  count: number;
  bytes: number;
}

/** What a collection removes (or removed). */
export interface GcPlan {
  blobs: Array<{ digest: string; size: number }>;
  ingests: Array<{ ref: string; size: number }>;
  resources: Array<{ name: string; items: GcItem[] }>;
  /** Sum of every size above. */
  bytes: number;
  /**
   * Why nothing may be collected, when marking failed (a stored manifest or config that cannot be read):
   * sweeping without a complete mark could delete a live image's layers, so the plan is then empty.
   */
  blockedBy: string[];
}

/** Per image: what `c system df -v` shows. */
export interface GcImageUsage {
  /** The image ID (config digest, or manifest digest). */
  id: string;
  names: string[];
  /** Bytes of every present blob the image references. */
  size: number;
  /** Bytes of blobs also referenced by another image. */
  sharedSize: number;
  /** Bytes only this image references (what removing it alone would free). */
  uniqueSize: number;
}

export interface GcUsage {
  /** Every committed blob. */
  blobs: GcTotals;
  /** Committed blobs reachable from images, leases and extra roots. */
  liveBlobs: GcTotals;
  /** Every unfinished ingest (bytes held so far). */
  ingests: GcTotals;
  /** Totals of each collector that reports them. */
  resources: Array<{ name: string } & GcTotals>;
  images: GcImageUsage[];
  /** Exactly what `collect()` would remove now. */
  reclaimable: GcPlan;
}
