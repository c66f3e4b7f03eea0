/**
 * Snapshot records in one JSON file, changed only under a lock file and replaced atomically, so a crash
 * leaves either the old or the new state. Directories are created before a record points at them and
 * removed after the record is gone; `cleanup` deletes what a crash left unreferenced.
 */
import { join } from 'node:path';
import { CError } from '@c/errors';
import { readJsonFileSync, withFileLock, writeFileAtomic } from '../util/atomic';
import type { SnapshotInfo, SnapshotKind } from './types';

export interface SnapshotRecord {
  /** Numeric directory id: keeps overlay's mount data short. */
  id: number;
  kind: SnapshotKind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

export interface MetadataFile {
  version: 1;
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

const EMPTY: MetadataFile = { version: 1, nextId: 1, snapshots: {} };

export class SnapshotMetadata {
  private readonly file: string;
  private readonly lock: string;

  constructor(root: string) {
    this.file = join(root, 'metadata.json');
    this.lock = join(root, 'metadata.lock');
  }

  /** The file as it is now (a small file: read synchronously, no thread-pool round trip). */
  async read(): Promise<MetadataFile> {
    const data = readJsonFileSync<MetadataFile>(this.file, structuredClone(EMPTY));
    if (data.version !== 1 || typeof data.nextId !== 'number' || typeof data.snapshots !== 'object') {
      throw new CError('INTERNAL', `snapshot metadata ${this.file} has an unknown format`, {
        hint: 'it was written by another version of c, or damaged',
      });
    }
    return data;
  }

  /** Runs `change` on the current state under the lock and persists what it leaves, atomically. */
  async update<T>(change: (data: MetadataFile) => T | Promise<T>): Promise<T> {
    return withFileLock(this.lock, async () => {
      const data = await this.read();
      const result = await change(data);
      await writeFileAtomic(this.file, `${JSON.stringify(data)}\n`);
      return result;
    });
  }

  async get(key: string): Promise<SnapshotRecord> {
    const record = (await this.read()).snapshots[key];
    if (!record) throw snapshotNotFound(key);
    return record;
  }
}

export const snapshotNotFound = (key: string) =>
  new CError('NOT_FOUND', `snapshot ${key} does not exist`, { hint: 'list snapshots to see what exists', details: { key } });

export function infoOf(name: string, record: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { name, kind: record.kind, labels: { ...record.labels }, created: record.created, updated: record.updated };
  if (record.parent !== undefined) info.parent = record.parent;
  return info;
}

/** The chain of committed parents of `key`, nearest first. */
/** parentChain of a snapshot about to be based on `parent`, which must be committed (INVALID_ARGUMENT otherwise). */
export function committedParentChain(data: MetadataFile, parent: string | undefined): SnapshotRecord[] {
  const parents = parentChain(data, parent);
  if (parent !== undefined && parents[0]!.kind !== 'committed') {
    throw new CError('INVALID_ARGUMENT', `snapshot ${parent} is ${parents[0]!.kind}, not committed`, {
      hint: 'only committed snapshots can be parents; commit it first',
    });
  }
  return parents;
}

export function parentChain(data: MetadataFile, parent: string | undefined): SnapshotRecord[] {
  const chain: SnapshotRecord[] = [];
  for (let name = parent; name !== undefined; ) {
    const record = data.snapshots[name];
    if (!record) throw snapshotNotFound(name);
    chain.push(record);
    name = record.parent;
    if (chain.length > 10_000) throw new CError('INTERNAL', `snapshot parent chain of ${parent} loops`);
  }
  return chain;
}
