/**
 * Crash-safe file updates: a reader sees the old file or the new one, never a torn write.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LOCK, linuxSyscalls } from '@c/namespaces';

let tempCounter = 0;
const tempName = (path: string) => `${path}.tmp-${process.pid}-${Date.now()}-${tempCounter++}`;

/**
 * Writes `data` to a temporary sibling, fsyncs it, renames it over `path` and fsyncs the directory. With
 * `durable: false` the rename stays atomic but nothing is fsynced (state that may be lost in a crash, not torn).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
  const durable = options.durable ?? true;
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  if (durable) await syncDirectory(dirname(path));
}

/** The synchronous twin, for code that may not await (container init, exit handlers). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const temp = tempName(path);
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Makes a rename inside `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a JSON file, or returns `fallback` when it does not exist. */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A held flock(2) on `lockPath`, or undefined when another holder has it. The kernel releases the lock when
 * its holder dies, so a `kill -9` never wedges the store. After locking, the path must still name the inode
 * we locked: a lock file unlinked by `removeLockIfFree` while we waited is stale, and we try again.
 */
async function tryLock(lockPath: string): Promise<FileHandle | undefined> {
  for (;;) {
    const handle = await open(lockPath, 'a+', 0o600);
    let keep = false;
    try {
      if (!linuxSyscalls.flock(handle.fd, LOCK.EX | LOCK.NB)) return undefined;
      const [locked, current] = await Promise.all([handle.stat(), stat(lockPath).catch(() => undefined)]);
      if (current?.ino !== locked.ino || current.dev !== locked.dev) continue;
      keep = true;
      return handle;
    } finally {
      if (!keep) await handle.close();
    }
  }
}

async function describeHolder(lockPath: string): Promise<string> {
  const pid = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
  return pid ? `held by pid ${pid}` : 'held by another process';
}

/**
 * Runs `fn` while holding an exclusive lock on `lockPath`, across processes and within one. The file keeps
 * the holder's pid for error messages only; the lock itself is the kernel's.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let handle: FileHandle | undefined;
  for (let delay = 1; !(handle = await tryLock(lockPath)); delay = Math.min(delay * 2, 50)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the lock ${lockPath} ${await describeHolder(lockPath)}`);
    }
    await sleep(delay);
  }
  try {
    await handle.truncate(0);
    await handle.write(String(process.pid));
    return await fn();
  } finally {
    await handle.close(); // closing the last fd of the open file description releases the flock
  }
}

/** True while some process (this one included) holds the lock on `lockPath`. */
export async function isFileLocked(lockPath: string): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await tryLock(lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  await handle?.close();
  return handle === undefined;
}

/** Deletes the lock file when nobody holds it (under the lock, so no waiter can end up on an orphan). */
export async function removeLockIfFree(lockPath: string): Promise<boolean> {
  if (!(await exists(lockPath))) return false;
  const handle = await tryLock(lockPath);
  if (!handle) return false;
  try {
    await rm(lockPath, { force: true });
    return true;
  } finally {
    await handle.close();
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
