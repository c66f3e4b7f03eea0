/**
 * The overlay snapshotter: each snapshot owns `snapshots/<id>/{fs,work}`; an active snapshot mounts as
 * overlay with its `fs` as upperdir over the parents' `fs` dirs. Numeric ids keep the mount data short,
 * because the kernel takes at most one page of it.
 */
import { join } from 'node:path';
import { CError } from '@c/errors';
import { BaseSnapshotter, type ResolvedSnapshot } from './base';
import { type SnapshotRecord, committedParentChain, snapshotNotFound } from './metadata';
import type { ApplyTarget, DiffSource, Mount, SnapshotKind } from './types';

/** mount(2) copies at most one page of option data, NUL included. */
export const MOUNT_DATA_LIMIT = 4096;

export class OverlaySnapshotter extends BaseSnapshotter {
  readonly driver = 'overlay' as const;

  protected async populate(id: number, _kind: SnapshotKind, _parents: SnapshotRecord[]): Promise<void> {
    // A few mkdirs and a rename of a few µs each: synchronous rather than a thread-pool round trip each.
    this.createSnapshotDirectory(id, { fs: 0o755, work: 0o711 });
  }

  protected mountsOf({ name, record, parents }: ResolvedSnapshot): Mount[] {
    if (record.kind === 'view') {
      if (parents.length === 0) return [{ type: 'bind', source: this.fsOf(record.id), options: ['rbind', 'ro'] }];
      if (parents.length === 1) return [{ type: 'bind', source: this.fsOf(parents[0]!.id), options: ['rbind', 'ro'] }];
      // Without an upper dir overlayfs is read-only by itself.
      return [checked(name, { type: 'overlay', source: 'overlay', options: ['index=off', this.lowerdir(parents)] })];
    }
    if (parents.length === 0) return [{ type: 'bind', source: this.fsOf(record.id), options: ['rbind', 'rw'] }];
    return [
      checked(name, {
        type: 'overlay',
        source: 'overlay',
        options: [
          'index=off',
          `workdir=${join(this.directoryOf(record.id), 'work')}`,
          `upperdir=${this.fsOf(record.id)}`,
          this.lowerdir(parents),
        ],
      }),
    ];
  }

  private lowerdir(parents: SnapshotRecord[]): string {
    return `lowerdir=${parents.map((parent) => this.fsOf(parent.id)).join(':')}`;
  }

  async attachParent(key: string, parent: string): Promise<void> {
    await this.metadata.update((data) => {
      const record = data.snapshots[key];
      if (!record) throw snapshotNotFound(key);
      if (record.kind !== 'active' || record.parent !== undefined) {
        throw new CError('INVALID_ARGUMENT', `snapshot ${key} is ${record.kind === 'active' ? 'based on ' + record.parent + ' already' : record.kind}; only an active snapshot without a parent can get one`, {
          hint: 'prepare the snapshot without a parent first',
        });
      }
      const parents = committedParentChain(data, parent);
      // The stack must fit in one mount's option data, as prepare checks.
      this.mountsOf({ name: key, record: { ...record, parent }, parents });
      record.parent = parent;
      record.updated = new Date().toISOString();
    });
  }

  async applyTarget(key: string): Promise<ApplyTarget> {
    const { record, parents } = await this.activeRecord(key);
    return { root: this.fsOf(record.id), whiteouts: 'overlay', lowerRoots: parents.map((parent) => this.fsOf(parent.id)) };
  }

  async diffSource(key: string): Promise<DiffSource> {
    const { record } = await this.activeRecord(key);
    return { kind: 'upper', upper: this.fsOf(record.id) };
  }
}

/** Refuses a mount whose option data would not fit in the page the kernel copies. */
function checked(name: string, mount: Mount): Mount {
  const bytes = Buffer.byteLength(mount.options.join(',')) + 1;
  if (bytes > MOUNT_DATA_LIMIT) {
    throw new CError('LIMIT_EXCEEDED', `overlay mount data for snapshot ${name} is ${bytes} bytes, over the ${MOUNT_DATA_LIMIT}-byte page`, {
      hint: 'the image has too many layers for this snapshot root path; use a shorter root or squash layers',
      details: { bytes, layers: mount.options.find((o) => o.startsWith('lowerdir='))?.split(':').length },
    });
  }
  return mount;
}
