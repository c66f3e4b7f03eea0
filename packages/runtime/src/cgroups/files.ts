import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CError } from '@c/errors';
import { SyscallError, errnoNumber } from '@c/namespaces';

/** errno of a Node fs error ('EBUSY' → 16). */
function errnoOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && errnoNumber(code)) || Math.abs((error as NodeJS.ErrnoException).errno ?? 5);
}

/**
 * Writes one value to a cgroup interface file (one write(2), as the kernel wants). A missing file means the
 * controller or feature is absent: UNSUPPORTED. Kernel refusals become SyscallError naming file and value.
 */
export function writeCgroupFile(dir: string, file: string, value: string | number): void {
  const path = join(dir, file);
  try {
    writeFileSync(path, String(value));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(dir)) {
      throw new CError('UNSUPPORTED', `cgroup file ${path} does not exist`, {
        hint: `the ${file.split('.')[0]} controller or this setting is not available here; drop it from the spec`,
        cause: error,
      });
    }
    throw new SyscallError('write', `write(${path}, ${JSON.stringify(String(value))})`, errnoOf(error), {
      details: { path, value: String(value) },
    });
  }
}

/** Reads an interface file, trimmed; undefined if it does not exist. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SyscallError('read', `read(${join(dir, file)})`, errnoOf(error));
  }
}

/** A number from an interface file ('max' → undefined, missing → `fallback`). */
export function readCgroupNumber(dir: string, file: string, fallback = 0): number | undefined {
  const text = readCgroupFile(dir, file);
  if (text === undefined) return fallback;
  if (text === 'max') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : fallback;
}

/** 'key value' lines (memory.events, cpu.stat, memory.oom_control) as a map. */
export function readKeyValues(dir: string, file: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of (readCgroupFile(dir, file) ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) values.set(key, Number(value));
  }
  return values;
}

/** PIDs listed in `cgroup.procs` of `dir` and every descendant. */
export function readProcsRecursive(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const pids: number[] = [];
  for (const line of (readCgroupFile(dir, 'cgroup.procs') ?? '').split('\n')) if (line) pids.push(Number(line));
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) pids.push(...readProcsRecursive(join(dir, entry.name)));
  }
  return pids;
}

export function makeCgroupDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new SyscallError('mkdir', `mkdir(${dir})`, errnoOf(error));
  }
}

/**
 * Removes a cgroup directory and its child cgroups, deepest first. The kernel answers EBUSY for a short
 * while after the last process exits (it is still being reaped), so retry until `timeoutMs`.
 */
export async function removeCgroupDir(dir: string, timeoutMs = 2000): Promise<void> {
  // The usual case first, in one syscall: a leaf cgroup with no process left.
  try {
    rmdirSync(dir);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
  }
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeCgroupDir(join(dir, entry.name), timeoutMs);
  }
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) {
        throw new SyscallError('rmdir', `rmdir(${dir})`, errnoOf(error), {
          hint: code === 'EBUSY' ? 'processes are still in the cgroup: kill them first (killAll)' : undefined,
        });
      }
      await sleep(delay);
    }
  }
}

/** Polls `check` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
}

/**
 * The absolute cgroup path for a spec's `cgroupsPath`: absolute paths count from the hierarchy root, relative
 * ones from `ownPath` (this process's cgroup). Refuses `..` and empty paths so a spec cannot climb out.
 */
export function resolveCgroupPath(path: string, ownPath = '/'): string {
  if (path.trim() === '' || path.includes('\0')) {
    throw new CError('INVALID_ARGUMENT', `cgroup path ${JSON.stringify(path)} is empty or has a NUL byte`, {
      hint: 'set linux.cgroupsPath to a path such as /c/<container-id>',
    });
  }
  if (path.split('/').some((part) => part === '..')) {
    throw new CError('UNSAFE_CONTENT', `cgroup path ${JSON.stringify(path)} contains '..'`, {
      hint: 'cgroup paths must not climb out of their hierarchy',
    });
  }
  const resolved = posix.normalize(path.startsWith('/') ? path : posix.join(ownPath, path));
  if (resolved === '/') {
    throw new CError('INVALID_ARGUMENT', `cgroup path ${JSON.stringify(path)} names the root cgroup`, {
      hint: 'give the container a cgroup of its own',
    });
  }
  return resolved.replace(/\/+$/, '');
}

/** `path` validated and normalized but not resolved: relative paths stay relative (for `attach` later). */
export function normalizeCgroupPath(path: string): string {
  const resolved = resolveCgroupPath(path, '/');
  return path.startsWith('/') ? resolved : resolved.slice(1);
}

/**
 * Sums per-device I/O byte counters. v1 (blkio.*io_service_bytes*): "8:0 Read 4096" lines; v2 (io.stat):
 * "8:0 rbytes=4096 wbytes=0 …" lines.
 */
export function parseIoBytes(text: string): { readBytes: number; writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 3 && /^\d+:\d+$/.test(fields[0] ?? '')) {
      if (fields[1] === 'Read') readBytes += Number(fields[2]) || 0;
      if (fields[1] === 'Write') writeBytes += Number(fields[2]) || 0;
      continue;
    }
    for (const field of fields.slice(1)) {
      const [key, value] = field.split('=');
      if (key === 'rbytes') readBytes += Number(value) || 0;
      if (key === 'wbytes') writeBytes += Number(value) || 0;
    }
  }
  return { readBytes, writeBytes };
}
