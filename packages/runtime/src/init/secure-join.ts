import { lstatSync, readlinkSync } from 'node:fs';
import { CError } from '@c/errors';

const MAX_SYMLINKS = 255;

/**
 * Join `unsafePath` onto `root` as if `root` were "/": symlinks in the rootfs (untrusted content) are followed
 * but resolved against `root`, and ".." stops at `root`. Missing components are kept literally (they will be
 * created inside the root). Returns an absolute host path that lies inside `root`.
 */
export function secureJoin(root: string, unsafePath: string): string {
  const cleanRoot = root.replace(/\/+$/, '') || '/';
  const pending = unsafePath.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const component = pending.shift()!;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const candidate = `${cleanRoot === '/' ? '' : cleanRoot}/${[...resolved, component].join('/')}`;
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // Missing: keep it; the caller creates it.
    }
    if (!isLink) {
      resolved.push(component);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw new CError('UNSAFE_CONTENT', `too many symlinks resolving ${unsafePath} in ${root}`, {
        hint: 'the rootfs has a symlink loop; fix the image',
        details: { path: unsafePath, root },
      });
    }
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
  }
  return `${cleanRoot === '/' ? '' : cleanRoot}/${resolved.join('/')}`;
}
