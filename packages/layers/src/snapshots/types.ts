/**
 * containerd's snapshot model: a committed snapshot is an immutable layer stack named by its ChainID; an
 * active one is writable (a container rootfs, or a layer being unpacked); a view is read-only. The
 * snapshotter returns mount specs; performing them is the runtime's job.
 */
import type { WhiteoutMode } from '../archive/extractor';

export type SnapshotKind = 'active' | 'view' | 'committed';

export interface SnapshotInfo {
  /** The key (active, view) or name (committed). */
  name: string;
  kind: SnapshotKind;
  /** The committed snapshot this one is based on. */
  parent?: string;
  labels: Record<string, string>;
  /** ISO 8601 times. */
  created: string;
  updated: string;
}

/** One mount(2) to perform: `mount -t <type> -o <options> <source> <target>`. */
export interface Mount {
  type: string;
  source: string;
  /** Relative to the container root; absent means the root itself. */
  target?: string;
  options: string[];
}

export interface Usage {
  /** Bytes of disk the snapshot's own directory uses (hard links counted once). */
  size: number;
  inodes: number;
}

/** Where a layer is applied for an active snapshot, and how whiteouts must be written there. */
export interface ApplyTarget {
  root: string;
  whiteouts: WhiteoutMode;
  /** Overlay: the parents' dirs, nearest first (implicit directories take their attributes from there). */
  lowerRoots?: string[];
}

/** What a diff compares: an overlay upper dir on its own, or a full tree against its parent's tree. */
export type DiffSource =
  | { kind: 'upper'; upper: string }
  | { kind: 'tree'; tree: string; base?: string };

export interface SnapshotOptions {
  labels?: Record<string, string>;
}

export interface Snapshotter {
  /** 'overlay' or 'copy'. */
  readonly driver: SnapshotDriver;
  /** Creates an active (writable) snapshot on top of the committed `parent`; returns its mounts. */
  prepare(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]>;
  /** Creates a read-only view of the committed `parent`. */
  view(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]>;
  /**
   * Bases the active snapshot `key`, prepared without a parent and not yet mounted, on the committed `parent`. This
   * lets a layer be extracted before the layers under it are committed (a parallel unpack). Only a snapshotter whose
   * active snapshots do not hold a copy of their parent (overlay) has it.
   */
  attachParent?(key: string, parent: string): Promise<void>;
  /** Turns the active snapshot `key` into the committed snapshot `name` (a ChainID, for layers). */
  commit(name: string, key: string, options?: SnapshotOptions): Promise<void>;
  /** Deletes a snapshot that no other snapshot is based on. */
  remove(key: string): Promise<void>;
  /** The mounts that assemble an active snapshot or view. */
  mounts(key: string): Promise<Mount[]>;
  usage(key: string): Promise<Usage>;
  stat(key: string): Promise<SnapshotInfo>;
  /** Every snapshot, committed ones included, in name order. */
  walk(visit: (info: SnapshotInfo) => void | Promise<void>): Promise<void>;
  /** The directory a layer is applied into for the active snapshot `key`. */
  applyTarget(key: string): Promise<ApplyTarget>;
  /** The directories a diff of the active snapshot `key` compares. */
  diffSource(key: string): Promise<DiffSource>;
  /** Deletes snapshot directories that no metadata record owns (left by a crash). Returns how many. */
  cleanup(): Promise<number>;
}

export type SnapshotDriver = 'overlay' | 'copy';
