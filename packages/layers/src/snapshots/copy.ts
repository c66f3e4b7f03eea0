/**
 * The naive snapshotter, for filesystems where overlayfs cannot be used: an active snapshot starts as a
 * full copy of its parent (`cp -a`: hard links, xattrs, devices, ownership and times kept; reflinks where
 * the filesystem has them) and is bind-mounted. Whiteouts are applied by deleting.
 */
import { promisify } from 'node:util';
import { CError } from '@c/errors';
import { BaseSnapshotter, type ResolvedSnapshot } from './base';
import type { SnapshotRecord } from './metadata';
import type { ApplyTarget, DiffSource, Mount, SnapshotKind } from './types';

// node:child_process is imported when a copy runs: a pull that never copies does not load it.
const run = async (file: string, args: string[], options: { maxBuffer: number }) =>
  promisify((await import('node:child_process')).execFile)(file, args, options);

export class CopySnapshotter extends BaseSnapshotter {
  readonly driver = 'copy' as const;

  protected async populate(id: number, kind: SnapshotKind, parents: SnapshotRecord[]): Promise<void> {
    const fs = this.fsOf(id);
    this.createSnapshotDirectory(id, { fs: 0o755 });
    // A view binds its committed (immutable) parent read-only: nothing to copy.
    if (kind === 'view' || parents.length === 0) return;
    const source = this.fsOf(parents[0]!.id);
    try {
      await run('cp', ['-a', '--reflink=auto', '--', `${source}/.`, `${fs}/`], { maxBuffer: 1 << 20 });
    } catch (error) {
      throw new CError('SYSCALL', `copying snapshot ${source} to ${fs} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'check free disk space',
      });
    }
  }

  protected mountsOf({ record, parents }: ResolvedSnapshot): Mount[] {
    if (record.kind === 'view') {
      const source = parents.length > 0 ? this.fsOf(parents[0]!.id) : this.fsOf(record.id);
      return [{ type: 'bind', source, options: ['rbind', 'ro'] }];
    }
    return [{ type: 'bind', source: this.fsOf(record.id), options: ['rbind', 'rw'] }];
  }

  async applyTarget(key: string): Promise<ApplyTarget> {
    const { record } = await this.activeRecord(key);
    return { root: this.fsOf(record.id), whiteouts: 'delete' };
  }

  async diffSource(key: string): Promise<DiffSource> {
    const { record, parents } = await this.activeRecord(key);
    const source: DiffSource = { kind: 'tree', tree: this.fsOf(record.id) };
    if (parents.length > 0) source.base = this.fsOf(parents[0]!.id);
    return source;
  }
}
