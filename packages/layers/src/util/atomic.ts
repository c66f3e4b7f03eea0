/**
 * Crash-safe file updates: a reader sees the old file or the new one, never a torn write.
 *
 * These files are small (records, leases, lock owners), so they are opened, written, renamed and read with the
 * synchronous API: tens of µs each on a local disk, against a thread-pool round trip (0.2-0.5 ms on a busy
 * machine) per call of fs.promises. Only fsync, which waits for the disk, goes to the thread pool.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LOCK, linuxSyscalls } from '@c/namespaces';

const fsyncAsync = promisify(fsync);

let tempCounter = 0;
const tempName = (path: string) => `${path}.tmp-${process.pid}-${Date.now()}-${tempCounter++}`;

/**
 * Writes `data` to a temporary sibling, fsyncs it, renames it over `path` and fsyncs the directory. With
 * `durable: false` the rename stays atomic but nothing is fsynced (state that may be lost in a crash, not torn).
 * The two fsyncs run on the thread pool; every other step is one synchronous syscall.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
  const durable = options.durable ?? true;
  const temp = tempName(path);
  const fd = openCreatingDir(temp, 'w', 0o644);
  try {
    writeAll(fd, data);
    if (durable) await fsyncAsync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  if (durable) await syncDirectory(dirname(path));
}

/** Opens (creating) a file, and its directory when missing: one failed open on first use, not a mkdir each time. */
function openCreatingDir(path: string, flags: string | number, mode: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, flags, mode);
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let written = 0; written < bytes.byteLength; ) written += writeSync(fd, bytes, written, bytes.byteLength - written);
}

/** The synchronous twin, for code that may not await (container init, exit handlers). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const temp = tempName(path);
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Makes a rename inside `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a JSON file, or returns `fallback` when it does not exist. */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  return readJsonFileSync(path, fallback);
}

/** Reads a small JSON file synchronously, or returns `fallback` when it does not exist. */
export function readJsonFileSync<T>(path: string, fallback: T): T {
  const text = readTextFileSync(path);
  return text === undefined ? fallback : (JSON.parse(text) as T);
}

/** A small file's text, read synchronously, or undefined when it does not exist. */
export function readTextFileSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A held flock(2) on `lockPath` (its fd), or undefined when another holder has it. The kernel releases the lock
 * when its holder dies, so a `kill -9` never wedges the store. After locking, the path must still name the inode
 * we locked: a lock file unlinked by `removeLockIfFree` while we waited is stale, and we try again. All steps are
 * synchronous syscalls of a few µs (none waits: LOCK_NB).
 */
function tryLock(lockPath: string): { fd: number; size: number } | undefined {
  for (;;) {
    // Not O_APPEND: the owner's pid is written at offset 0, so a new owner needs no ftruncate (a journaled
    // metadata change) when its pid is as long as the last one's.
    const fd = openCreatingDir(lockPath, constants.O_RDWR | constants.O_CREAT, 0o600);
    let keep = false;
    try {
      if (!linuxSyscalls.flock(fd, LOCK.EX | LOCK.NB)) return undefined;
      const locked = fstatSync(fd);
      const current = statOrUndefined(lockPath);
      if (current?.ino !== locked.ino || current.dev !== locked.dev) continue;
      keep = true;
      return { fd, size: locked.size };
    } finally {
      if (!keep) closeSync(fd);
    }
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Records this process as the lock's owner (for error messages only). */
function writeOwner(fd: number, size: number): void {
  const pid = Buffer.from(String(process.pid));
  writeSync(fd, pid, 0, pid.byteLength, 0);
  if (size > pid.byteLength) ftruncateSync(fd, pid.byteLength);
}

async function describeHolder(lockPath: string): Promise<string> {
  const pid = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
  return pid ? `held by pid ${pid}` : 'held by another process';
}

/**
 * Each lock's last holder or waiter in this process. A waiter queues behind it and starts the moment it is done,
 * where polling the flock (sleeps of up to 50 ms) let 20 parallel creates wait out each other's sleeps.
 */
const localTails = new Map<string, Promise<void>>();

/**
 * Runs `fn` while holding an exclusive lock on `lockPath`, across processes and within one. The file keeps
 * the holder's pid for error messages only; the lock itself is the kernel's. Within this process waiters queue
 * in order; other processes are kept out (and waited for) through the flock.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const before = localTails.get(lockPath);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  // Whoever comes next waits for this call and, should it give up early, still for the ones before it.
  const tail = (before ?? Promise.resolve()).then(() => mine);
  localTails.set(lockPath, tail);
  try {
    if (before !== undefined) await queueBehind(before, deadline, lockPath);
    let held: { fd: number; size: number } | undefined;
    for (let delay = 1; (held = tryLock(lockPath)) === undefined; delay = Math.min(delay * 2, 50)) {
      if (Date.now() > deadline) throw await lockTimeout(lockPath);
      await sleep(delay);
    }
    try {
      writeOwner(held.fd, held.size);
      return await fn();
    } finally {
      closeSync(held.fd); // closing the last fd of the open file description releases the flock
    }
  } finally {
    done();
    if (localTails.get(lockPath) === tail) localTails.delete(lockPath);
  }
}

async function queueBehind(before: Promise<void>, deadline: number, lockPath: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))));
  try {
    if ((await Promise.race([before, timedOut])) === 'timeout') throw await lockTimeout(lockPath);
  } finally {
    clearTimeout(timer);
  }
}

async function lockTimeout(lockPath: string): Promise<Error> {
  return new Error(`timed out waiting for the lock ${lockPath} ${await describeHolder(lockPath)}`);
}

/** True while some process (this one included) holds the lock on `lockPath`. */
export async function isFileLocked(lockPath: string): Promise<boolean> {
  if (statOrUndefined(lockPath) === undefined) return false;
  const held = tryLock(lockPath);
  if (held !== undefined) closeSync(held.fd);
  return held === undefined;
}

/** Deletes the lock file when nobody holds it (under the lock, so no waiter can end up on an orphan). */
export async function removeLockIfFree(lockPath: string): Promise<boolean> {
  if (!(await exists(lockPath))) return false;
  const held = tryLock(lockPath);
  if (held === undefined) return false;
  try {
    rmSync(lockPath, { force: true });
    return true;
  } finally {
    closeSync(held.fd);
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return statOrUndefined(path) !== undefined;
}

/** How many entries `removeTree` deletes synchronously before it hands the rest to the thread pool. */
export const REMOVE_TREE_SYNC_ENTRIES = 256;

/**
 * Removes a directory tree (absent is fine). A small tree (a container's bundle or a short-lived container's
 * upper dir: a handful of entries) goes with synchronous unlink/rmdir calls, which take µs each, instead of
 * fs.promises.rm's thread-pool round trip per entry; past `syncEntries` entries the rest is removed by `rm`
 * on the thread pool, so a huge tree never blocks the event loop for long.
 */
export async function removeTree(path: string, syncEntries = REMOVE_TREE_SYNC_ENTRIES): Promise<void> {
  let budget = syncEntries;
  const removeDir = (dir: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (--budget < 0) return false;
      const child = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!removeDir(child)) return false;
      } else {
        unlinkSync(child);
      }
    }
    rmdirSync(dir);
    return true;
  };
  try {
    if (removeDir(path)) return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && statOrUndefined(path) === undefined) return;
    if (code !== 'ENOTDIR' && code !== 'ENOENT') throw error;
  }
  await rm(path, { recursive: true, force: true });
}
