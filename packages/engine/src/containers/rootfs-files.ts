/**
 * Reading a file of an unmounted snapshot (for /etc/passwd and /etc/group at create time) by looking through
 * the directories its mount is made of, topmost first. Paths are resolved without following symlinks out of
 * the layer directory.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount } from '@c/layers';

/** The directories that make up the root, topmost first (overlay: upper then lowers; bind: the source). */
export function layerDirs(mounts: readonly Mount[]): string[] {
  const root = mounts.find((m) => m.target === undefined);
  if (root === undefined) return [];
  if (root.type === 'overlay') {
    const option = (name: string) => root.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
    const upper = option('upperdir');
    const lowers = option('lowerdir')?.split(':') ?? [];
    return [...(upper ? [upper] : []), ...lowers];
  }
  return [root.source];
}

/** A small regular file from the merged view, or undefined (missing, a symlink, too big). */
export function readRootfsFile(mounts: readonly Mount[], path: string, maxBytes = 1024 * 1024): string | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  for (const dir of layerDirs(mounts)) {
    let current = dir;
    let blocked = false;
    for (const [i, part] of parts.entries()) {
      current = join(current, part);
      let st;
      try {
        st = lstatSync(current);
      } catch {
        blocked = true;
        break;
      }
      const last = i === parts.length - 1;
      // A whiteout (0/0 char device) hides the file in every lower layer.
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      if (!last && !st.isDirectory()) return undefined;
      if (last) {
        if (!st.isFile() || st.size > maxBytes) return undefined;
        return readFileSync(current, 'utf8');
      }
    }
    if (blocked) continue;
  }
  return undefined;
}
