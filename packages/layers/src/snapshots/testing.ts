/** Test helpers: performing mount specs the way a runtime would, and undoing them. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Mount } from './types';

/** Mounts `mounts` at `target` (root only); returns the targets to unmount, last first. */
export function performMounts(mounts: Mount[], target: string): string[] {
  mkdirSync(target, { recursive: true });
  const done: string[] = [];
  for (const mount of mounts) {
    const where = mount.target ? `${target}/${mount.target}` : target;
    if (mount.type === 'bind') {
      execFileSync('mount', ['--bind', mount.source, where]);
      done.unshift(where);
      if (mount.options.includes('ro')) execFileSync('mount', ['-o', 'remount,bind,ro', where]);
    } else {
      execFileSync('mount', ['-t', mount.type, mount.source, '-o', mount.options.join(','), where]);
      done.unshift(where);
    }
  }
  return done;
}

/** Unmounts, falling back to a lazy unmount so a failed test never leaves a mount behind. */
export function unmountAll(targets: string[]): void {
  for (const target of targets.splice(0)) {
    try {
      execFileSync('umount', [target], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
    }
  }
}
