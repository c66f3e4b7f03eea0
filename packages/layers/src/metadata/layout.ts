/**
 * The on-disk layout under C_ROOT, in one place so every package agrees on it:
 *   <root>/content       content store (blobs, ingests)        → ContentStore
 *   <root>/images.json   image records                          → ImageStore
 *   <root>/images.leases.json  leases of operations in flight  → ImageStore
 *   <root>/snapshots     layer and container snapshots
 *   <root>/containers    per-container state
 *   <root>/tmp           scratch space on the same filesystem (renames into the store stay atomic)
 */
import { isAbsolute, join, resolve } from 'node:path';
import { CError } from '@c/errors';

export const DEFAULT_C_ROOT = '/var/lib/c';

export interface StoreLayout {
  root: string;
  content: string;
  images: string;
  snapshots: string;
  containers: string;
  tmp: string;
}

/** The layout under `root`, or under $C_ROOT, or under /var/lib/c. */
export function storeLayout(root: string = process.env.C_ROOT || DEFAULT_C_ROOT): StoreLayout {
  if (!isAbsolute(root)) {
    throw new CError('INVALID_ARGUMENT', `store root "${root}" is not an absolute path`, {
      hint: 'set C_ROOT to an absolute directory such as /var/lib/c',
      details: { root },
    });
  }
  const base = resolve(root);
  return {
    root: base,
    content: join(base, 'content'),
    images: join(base, 'images.json'),
    snapshots: join(base, 'snapshots'),
    containers: join(base, 'containers'),
    tmp: join(base, 'tmp'),
  };
}
