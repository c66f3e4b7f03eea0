/**
 * Leases live in a file of their own next to images.json (`images.leases.json`), written under the image
 * store's lock but without fsync. A lease bound to a process protects nothing once that process is gone, and
 * after a machine crash every such process is gone, so losing those leases in a crash loses nothing; a pull
 * used to pay four durable rewrites of images.json for them. A lease not bound to a process (it outlives its
 * creator) is still written durably.
 */
import { CError } from '@c/errors';
import { readJsonFileSync, writeFileAtomic } from '../util/atomic';
import type { Lease } from './records';

/** `images.json` → `images.leases.json`; any other name gets `.leases` appended. */
export function leaseFilePath(imagesPath: string): string {
  return imagesPath.endsWith('.json') ? `${imagesPath.slice(0, -'.json'.length)}.leases.json` : `${imagesPath}.leases`;
}

/**
 * The leases on disk. A file that does not parse can only be the remains of a crash (it is replaced by
 * rename), and leases do not survive a crash: it reads as no leases. A file that cannot be read fails: reading
 * it as empty would let GC sweep what a live pull holds.
 */
export function readLeaseFile(path: string): Record<string, Lease> {
  let raw: unknown;
  try {
    raw = readJsonFileSync<unknown>(path, undefined);
  } catch (error) {
    if (error instanceof SyntaxError) return {};
    throw new CError('SYSCALL', `cannot read the lease file ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check that C_ROOT is readable by this user',
      details: { path, errno: (error as NodeJS.ErrnoException).code },
    });
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const leases = (raw as { leases?: unknown }).leases;
  return typeof leases === 'object' && leases !== null && !Array.isArray(leases) ? (leases as Record<string, Lease>) : {};
}

/** Replaces the lease file atomically (rename); fsyncs the file and its directory only when `durable`. */
export async function writeLeaseFile(path: string, leases: Record<string, Lease>, durable: boolean): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ version: 1, leases }, null, 1)}\n`, { durable });
}
