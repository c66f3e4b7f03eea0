import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * fsync the file and its directory (default). Without it the rename is still atomic for every reader and survives
   * a crash of the daemon (the page cache stays); only a crash of the host can lose or empty the file. That is
   * enough for state that describes kernel objects which do not survive a reboot either (endpoints, leases), and
   * keeps a disk busy with other work's fsyncs off the container start path.
   */
  durable?: boolean;
}

/** Write a file so that readers see the old or the new content, never a torn one: temp file, (fsync,) rename, (fsync dir). */
export async function writeFileAtomic(path: string, data: string, options: AtomicWriteOptions = {}): Promise<void> {
  const { mode = 0o644, durable = true } = options;
  if (!durable) return writeFileAtomicNow(path, data, mode);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(data);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (!durable) return;
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * The unsynced variant, synchronously: two system calls on a small file take microseconds, where the async API's
 * five thread-pool round trips (mkdir, open, write, close, rename) each wait for a turn of a loaded event loop.
 */
function writeFileAtomicNow(path: string, data: string, mode: number): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeSyncCreatingDir(temp, data, mode);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** writeFileSync, creating the parent directory when it is missing (the common case pays no mkdir). */
export function writeSyncCreatingDir(path: string, data: string, mode = 0o644): void {
  try {
    writeFileSync(path, data, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data, { mode });
  }
}

/** Serialises async work on one key inside this process (the daemon is the only writer of its state dir). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
