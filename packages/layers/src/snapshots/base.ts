/**
 * What both snapshotters share: the metadata life cycle (prepare/view → commit → remove), stat, walk,
 * usage and crash cleanup. A driver supplies how a snapshot directory is populated and mounted.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { removeTree } from '../util/atomic';
import { spreadSubdirectories } from '../util/spread-directories';
import { diskUsage } from './disk-usage';
import { type MetadataFile, SnapshotMetadata, type SnapshotRecord, committedParentChain, infoOf, parentChain, snapshotNotFound } from './metadata';
import type {
  ApplyTarget,
  DiffSource,
  Mount,
  SnapshotDriver,
  SnapshotInfo,
  SnapshotKind,
  SnapshotOptions,
  Snapshotter,
  Usage,
} from './types';

/** Snapshot directories are made under this prefix and a random name, then renamed (createSnapshotDirectory). */
const STAGING_PREFIX = '.new-';
/** A staging directory older than this was left by a crash. */
const STAGING_GRACE_MS = 10 * 60 * 1000;

/** A record with the records of its parents, nearest first. */
export interface ResolvedSnapshot {
  name: string;
  record: SnapshotRecord;
  parents: SnapshotRecord[];
}

export abstract class BaseSnapshotter implements Snapshotter {
  abstract readonly driver: SnapshotDriver;
  protected readonly snapshotsDir: string;
  protected readonly metadata: SnapshotMetadata;
  /** Whether this instance has flagged snapshotsDir for spreading (once per process and store). */
  private spread = false;

  constructor(readonly root: string) {
    this.snapshotsDir = join(root, 'snapshots');
    this.metadata = new SnapshotMetadata(root);
  }

  /** Creates the directories of a new snapshot (its record already exists). */
  protected abstract populate(id: number, kind: SnapshotKind, parents: SnapshotRecord[]): Promise<void>;
  /** The mounts of an active snapshot or view. */
  protected abstract mountsOf(snapshot: ResolvedSnapshot): Mount[];
  abstract applyTarget(key: string): Promise<ApplyTarget>;
  abstract diffSource(key: string): Promise<DiffSource>;

  protected directoryOf(id: number): string {
    return join(this.snapshotsDir, String(id));
  }

  protected fsOf(id: number): string {
    return join(this.snapshotsDir, String(id), 'fs');
  }

  /**
   * Creates `snapshots/<id>` holding the directories `children` (name → mode). It is made under a random name and
   * renamed: ext4 places a directory whose parent is flagged TOPDIR by a hash of its name (spread-directories.ts),
   * and ids repeat from store to store (1, 2, 3…), so every new store would otherwise put its first layers in the
   * very block groups where the last store's, just deleted, were.
   */
  protected createSnapshotDirectory(id: number, children: Record<string, number>): void {
    const staging = join(this.snapshotsDir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
    try {
      try {
        mkdirSync(staging, { mode: 0o755 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // The snapshots directory went away under this instance: make and flag it again.
        this.prepareSnapshotsDirectory();
        mkdirSync(staging, { mode: 0o755 });
      }
      for (const [name, mode] of Object.entries(children)) mkdirSync(join(staging, name), { mode });
      renameSync(staging, this.directoryOf(id));
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw new CError('SYSCALL', `creating the directory of snapshot ${id} in ${this.snapshotsDir} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'check that the snapshot root is writable and has free space and inodes',
        details: { path: this.directoryOf(id) },
      });
    }
  }

  /** Creates the snapshots directory and flags it for spreading (see spread-directories.ts). */
  private prepareSnapshotsDirectory(): void {
    mkdirSync(this.snapshotsDir, { recursive: true });
    spreadSubdirectories(this.snapshotsDir);
  }

  prepare(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]> {
    return this.create('active', key, parent, options);
  }

  view(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]> {
    return this.create('view', key, parent, options);
  }

  private async create(kind: SnapshotKind, key: string, parent: string | undefined, options: SnapshotOptions = {}): Promise<Mount[]> {
    checkKey(key);
    // The lock creates the root, populate creates the snapshot's dirs (recursive); snapshotsDir is made once, to flag it.
    const now = new Date().toISOString();
    // The record comes first: a crash while populating leaves an owned, removable snapshot, never an
    // orphan directory that a concurrent cleanup could mistake for garbage.
    const { record, parents } = await this.metadata.update((data) => {
      if (data.snapshots[key]) {
        throw new CError('CONFLICT', `snapshot ${key} already exists`, { hint: 'remove it first or pick another key', details: { key } });
      }
      const parents = committedParentChain(data, parent);
      const id = data.nextId++;
      const record: SnapshotRecord = { id, kind, labels: { ...options.labels }, created: now, updated: now };
      if (parent !== undefined) record.parent = parent;
      data.snapshots[key] = record;
      return { record: structuredClone(record), parents };
    });
    try {
      if (!this.spread) {
        this.spread = true;
        this.prepareSnapshotsDirectory();
      }
      await this.populate(record.id, kind, parents);
      // A stack that cannot be mounted (too deep for the mount data) is refused now, not at run time. The
      // records just written are the ones mounts() would read back.
      return this.mountsOf({ name: key, record, parents });
    } catch (error) {
      await this.remove(key).catch(() => undefined);
      throw error;
    }
  }

  async commit(name: string, key: string, options: SnapshotOptions = {}): Promise<void> {
    checkKey(name);
    await this.metadata.update((data) => {
      const record = data.snapshots[key];
      if (!record) throw snapshotNotFound(key);
      if (record.kind !== 'active') {
        throw new CError('INVALID_ARGUMENT', `snapshot ${key} is ${record.kind}; only active snapshots can be committed`);
      }
      if (data.snapshots[name]) {
        throw new CError('CONFLICT', `committed snapshot ${name} already exists`, { hint: 'remove the active snapshot and use the existing one', details: { name } });
      }
      delete data.snapshots[key];
      data.snapshots[name] = {
        ...record,
        kind: 'committed',
        labels: { ...record.labels, ...options.labels },
        updated: new Date().toISOString(),
      };
    });
  }

  async remove(key: string): Promise<void> {
    const id = await this.metadata.update((data) => {
      const record = data.snapshots[key];
      if (!record) throw snapshotNotFound(key);
      const child = Object.entries(data.snapshots).find(([, other]) => other.parent === key);
      if (child) {
        throw new CError('CONFLICT', `snapshot ${key} is the parent of ${child[0]}`, { hint: 'remove the snapshots based on it first', details: { key, child: child[0] } });
      }
      delete data.snapshots[key];
      return record.id;
    });
    // A container's snapshot is mostly a few entries: removed synchronously, a big one on the thread pool.
    await removeTree(this.directoryOf(id));
  }

  async mounts(key: string): Promise<Mount[]> {
    const snapshot = await this.resolve(key);
    if (snapshot.record.kind === 'committed') {
      throw new CError('INVALID_ARGUMENT', `snapshot ${key} is committed and cannot be mounted`, { hint: 'create a view or an active snapshot on top of it' });
    }
    return this.mountsOf(snapshot);
  }

  async usage(key: string): Promise<Usage> {
    const record = await this.metadata.get(key);
    return diskUsage(this.fsOf(record.id));
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return infoOf(key, await this.metadata.get(key));
  }

  async walk(visit: (info: SnapshotInfo) => void | Promise<void>): Promise<void> {
    const data = await this.metadata.read();
    for (const name of Object.keys(data.snapshots).sort()) await visit(infoOf(name, data.snapshots[name]!));
  }

  async cleanup(): Promise<number> {
    const data = await this.metadata.read();
    const owned = new Set(Object.values(data.snapshots).map((record) => String(record.id)));
    let removed = 0;
    for (const entry of await readdir(this.snapshotsDir).catch(() => [] as string[])) {
      const path = join(this.snapshotsDir, entry);
      if (entry.startsWith(STAGING_PREFIX)) {
        // A crash between mkdir and rename; a younger one may be another process's create in progress.
        const staged = await stat(path).catch(() => undefined);
        if (!staged || Date.now() - staged.mtimeMs < STAGING_GRACE_MS) continue;
      } else if (owned.has(entry) || !/^\d+$/.test(entry)) {
        continue;
      }
      await rm(path, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  protected async resolve(key: string): Promise<ResolvedSnapshot> {
    const data: MetadataFile = await this.metadata.read();
    const record = data.snapshots[key];
    if (!record) throw snapshotNotFound(key);
    return { name: key, record, parents: parentChain(data, record.parent) };
  }

  protected async activeRecord(key: string): Promise<ResolvedSnapshot> {
    const snapshot = await this.resolve(key);
    if (snapshot.record.kind !== 'active') {
      throw new CError('INVALID_ARGUMENT', `snapshot ${key} is ${snapshot.record.kind}, not active`, { hint: 'prepare an active snapshot to write into' });
    }
    return snapshot;
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
    throw new CError('INVALID_ARGUMENT', `snapshot key "${String(key).slice(0, 40)}" must be 1-1024 characters`);
  }
}
