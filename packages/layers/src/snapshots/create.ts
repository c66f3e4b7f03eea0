/**
 * Picks a snapshotter for a root: overlay when a trial overlay mount works there (root, a filesystem
 * overlayfs accepts as upper), the copy snapshotter otherwise; an explicit choice wins.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CopySnapshotter } from './copy';
import { OverlaySnapshotter } from './overlay';
import type { SnapshotDriver, Snapshotter } from './types';

// node:child_process is imported when the driver is probed: a pull that never unpacks does not load it.
const run = async (file: string, args: string[]) => promisify((await import('node:child_process')).execFile)(file, args);

export interface CreateSnapshotterOptions {
  /** 'auto' (default) probes overlayfs at `root`. */
  driver?: SnapshotDriver | 'auto';
}

export async function createSnapshotter(root: string, options: CreateSnapshotterOptions = {}): Promise<Snapshotter> {
  const driver = options.driver === undefined || options.driver === 'auto' ? await probeDriver(root) : options.driver;
  return driver === 'overlay' ? new OverlaySnapshotter(root) : new CopySnapshotter(root);
}

/** Mounts a throwaway overlay under `root` to learn whether overlay snapshots work there. */
export async function probeDriver(root: string): Promise<SnapshotDriver> {
  if (process.geteuid?.() !== 0) return 'copy';
  await mkdir(root, { recursive: true });
  const probe = await mkdtemp(join(root, '.overlay-probe-'));
  const merged = join(probe, 'merged');
  try {
    for (const dir of ['lower', 'upper', 'work', 'merged']) await mkdir(join(probe, dir));
    const data = `lowerdir=${join(probe, 'lower')},upperdir=${join(probe, 'upper')},workdir=${join(probe, 'work')}`;
    await run('mount', ['-t', 'overlay', 'overlay', '-o', data, merged]);
    await run('umount', [merged]);
    return 'overlay';
  } catch {
    return 'copy';
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}
