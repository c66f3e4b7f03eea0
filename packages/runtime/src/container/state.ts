import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CError } from '@c/errors';
import type { SpecProcess } from '../spec/types';

export const DEFAULT_STATE_ROOT = '/run/c-runtime';

export type ContainerStatus = 'created' | 'running' | 'stopped' | 'paused';

/** What `c-runtime state` prints: the same keys as `runc state`. */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** state.json in the container's state dir: the OCI state plus what later commands need. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** Start time of the init (field 22 of /proc/PID/stat) so a reused pid is not mistaken for the container. */
  initStartTime: string;
  /** The cgroup the container lives in (as given to the cgroup manager). */
  cgroupsPath: string;
  /** Defaults for `exec`: the container's process config. */
  process: SpecProcess;
  /** linux.seccomp of the spec, applied to exec'd processes too. */
  seccomp?: Record<string, unknown> | undefined;
  /** The container's namespaces from the spec (types only matter for exec). */
  namespaces: string[];
}

const ID_PATTERN = /^[\w+\-.]{1,1024}$/;

export function validateId(id: string | undefined): string {
  if (id === undefined || id === '') {
    throw new CError('INVALID_ARGUMENT', 'container id cannot be empty', { hint: 'pass the container id as the last argument' });
  }
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new CError('INVALID_ARGUMENT', `invalid container id "${id}"`, { hint: 'use letters, digits, "_", "+", "-" and "."' });
  }
  return id;
}

/** The state directory layout under --root. One directory per container. */
export class StateStore {
  constructor(readonly root: string = DEFAULT_STATE_ROOT) {}

  dir(id: string): string {
    return join(this.root, validateId(id));
  }

  fifoPath(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Create the directory for a new container; CONFLICT if the id is taken. */
  create(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CError('CONFLICT', `container with id exists: ${id}`, { hint: `delete it first: c-runtime delete ${id}` });
      }
      throw error;
    }
    return dir;
  }

  write(record: ContainerRecord): void {
    const path = join(this.dir(record.id), 'state.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(record));
    renameSync(`${path}.tmp`, path);
  }

  read(id: string): ContainerRecord {
    const path = join(this.dir(id), 'state.json');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CError('NOT_FOUND', `container does not exist: ${id}`, { hint: 'list containers with c-runtime list', details: { id } });
      }
      throw error;
    }
    return JSON.parse(text) as ContainerRecord;
  }

  list(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(this.root, d.name, 'state.json')))
      .map((d) => d.name)
      .sort();
  }

  /**
   * `remove` with its unlinks and rmdir on libuv's thread pool: a daemon deleting the state of an exited container
   * must not block its event loop on the filesystem's journal (an unlink waits for a running commit; 1-2 ms each
   * here while other processes fsync).
   */
  async removeAsync(id: string): Promise<void> {
    const dir = this.dir(id);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      await Promise.all(names.map((name) => unlink(join(dir, name))));
      await rmdir(dir);
    } catch {
      await rm(dir, { recursive: true, force: true });
    }
  }

  remove(id: string): void {
    const dir = this.dir(id);
    // A container's directory holds a few plain files: unlink them and rmdir (rmSync's recursive walk costs ~1 ms
    // of JavaScript on every `run`); anything else (a subdirectory) takes the recursive way.
    try {
      for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
      rmdirSync(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Field 22 (starttime) and field 3 (state) of /proc/PID/stat, or undefined if there is no such process. */
export function procStat(pid: number): { startTime: string; state: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '?', startTime: rest[19] ?? '' };
}

/** Is the container's init still the process it was (not exited, not a zombie, pid not reused)? */
export function initAlive(record: ContainerRecord): boolean {
  if (record.pid <= 0) return false;
  const stat = procStat(record.pid);
  return stat !== undefined && stat.startTime === record.initStartTime && stat.state !== 'Z' && stat.state !== 'X';
}

export function containerStatus(store: StateStore, record: ContainerRecord, frozen: () => boolean): ContainerStatus {
  if (!initAlive(record)) return 'stopped';
  if (existsSync(store.fifoPath(record.id))) return 'created';
  return frozen() ? 'paused' : 'running';
}

export function ociState(record: ContainerRecord, status: ContainerStatus): OciState {
  const state: OciState = {
    ociVersion: record.ociVersion,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  if (record.annotations && Object.keys(record.annotations).length > 0) state.annotations = record.annotations;
  return state;
}
