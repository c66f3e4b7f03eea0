/**
 * Long-held cross-process locks built on withFileLock: an ingest keeps its lock from `ingest()` until
 * commit/close/abort, which is not one function call, so the lock is held open by a pending promise.
 */
import { CError } from '@c/errors';
import { isFileLocked, withFileLock } from '../util/atomic';

/** Releases a held lock; safe to call more than once. */
export type ReleaseLock = () => Promise<void>;

/**
 * Waits for the lock at `lockPath` (taking it over from a dead owner) and returns its release function.
 * Throws UNAVAILABLE naming `what` when a live process keeps it longer than `timeoutMs`.
 */
export async function holdFileLock(lockPath: string, what: string, timeoutMs: number): Promise<ReleaseLock> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let signalAcquired!: () => void;
  const acquired = new Promise<void>((resolve) => (signalAcquired = resolve));
  const held = withFileLock(
    lockPath,
    async () => {
      signalAcquired();
      await released;
    },
    timeoutMs,
  );
  try {
    await Promise.race([acquired, held]);
  } catch (error) {
    if (isLockTimeout(error)) {
      throw new CError('UNAVAILABLE', `${what} is locked by another process (${lockPath})`, {
        cause: error,
        hint: 'another pull or import of the same content is running; retry when it finishes',
        details: { lockPath },
      });
    }
    throw new CError('SYSCALL', `cannot take the lock ${lockPath} for ${what}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check that the store directory exists and is writable',
      details: { lockPath, errno: (error as NodeJS.ErrnoException).code },
    });
  }
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    release();
    await held;
  };
}

/** withFileLock reports a timeout with a plain Error of this wording. */
export function isLockTimeout(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('timed out waiting for the lock');
}

/** True while a process (this one included) holds `lockPath`. */
export async function isLockHeld(lockPath: string): Promise<boolean> {
  return isFileLocked(lockPath);
}
