/**
 * Access to a container's root filesystem from the host, for export, `cp` and changes.
 *
 * - Read-only access mounts the snapshot as an overlay whose lowest layers are the image's and whose top *lower*
 *   layer is the container's upper dir: no workdir, so it never competes with the container's own overlay mount.
 * - Writes to a running container go through /proc/<pid>/root (the container's own mount); to a stopped one
 *   through a temporary mount of the snapshot as the container would see it.
 *
 * Every temporary mount lives under `<tmp>/rootfs-*` and is unmounted (lazily if busy) in `release`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CError } from '@c/errors';
import type { Mount } from '@c/layers';

const run = promisify(execFile);

export interface RootfsHandle {
  /** The host path of the container's `/`. */
  root: string;
  release(): Promise<void>;
}

function option(mount: Mount, name: string): string | undefined {
  return mount.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** Mount options for a read-only view of an active overlay snapshot (or a read-only bind of a copy snapshot). */
export function readOnlyMount(mounts: readonly Mount[]): Mount {
  const root = mounts[0];
  if (root === undefined) throw new CError('INTERNAL', 'the container snapshot has no mounts', { hint: 'the snapshot metadata is damaged' });
  if (root.type !== 'overlay') return { type: root.type, source: root.source, options: [...root.options.filter((o) => o !== 'rw'), 'ro'] };
  const upper = option(root, 'upperdir');
  const lower = option(root, 'lowerdir');
  const layers = [upper, ...(lower ? lower.split(':') : [])].filter((x): x is string => x !== undefined && x !== '');
  if (layers.length === 1) return { type: 'bind', source: layers[0]!, options: ['rbind', 'ro'] };
  return { type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${layers.join(':')}`] };
}

async function mountAt(mount: Mount, target: string): Promise<void> {
  const options = mount.options.filter((o) => o !== 'rbind' && o !== 'bind');
  if (mount.type === 'bind') {
    await run('mount', ['--bind', mount.source, target]);
    if (options.includes('ro')) await run('mount', ['-o', 'remount,bind,ro', target]);
    return;
  }
  await run('mount', ['-t', mount.type, '-o', options.join(','), mount.source, target]);
}

/** Mounts `mount` on a fresh directory under `tmpDir`. */
export async function mountTemporarily(mount: Mount, tmpDir: string): Promise<RootfsHandle> {
  const target = await mkdtemp(join(tmpDir, 'rootfs-'));
  try {
    await mountAt(mount, target);
  } catch (cause) {
    await rm(target, { recursive: true, force: true });
    throw new CError('SYSCALL', `cannot mount the container's rootfs on ${target}`, { cause, hint: 'run as root; check dmesg for overlayfs errors', details: { path: target } });
  }
  let released = false;
  return {
    root: target,
    release: async () => {
      if (released) return;
      released = true;
      try {
        await run('umount', [target]);
      } catch {
        await run('umount', ['-l', target]).catch(() => undefined);
      }
      await rm(target, { recursive: true, force: true });
    },
  };
}

/** The running container's own root, seen through its init. */
export function liveRoot(pid: number): RootfsHandle {
  return { root: `/proc/${pid}/root`, release: async () => {} };
}
