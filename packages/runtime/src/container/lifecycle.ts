import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import { CError } from '@c/errors';
import { O, signalNumber } from '@c/namespaces';
import { releaseExecFifo } from '../init/exec-fifo';
import type { CgroupsFactory } from './cgroups-port';
import { containerStatus, initAlive, ociState } from './state';
import type { ContainerRecord, ContainerStatus, OciState, StateStore } from './state';

export interface Lifecycle {
  store: StateStore;
  cgroups: CgroupsFactory;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function statusOf(ctx: Lifecycle, record: ContainerRecord): ContainerStatus {
  return containerStatus(ctx.store, record, () => {
    try {
      return ctx.cgroups(record.cgroupsPath).isFrozen();
    } catch {
      return false;
    }
  });
}

/** `state ID`: runc's JSON. */
export function stateOf(ctx: Lifecycle, id: string): OciState {
  const record = ctx.store.read(id);
  return ociState(record, statusOf(ctx, record));
}

/**
 * `start ID`: write the byte the init is blocked reading from exec.fifo (it holds the fifo open read-write since
 * before its uid switch), then remove the fifo (its absence is what marks the container as started).
 */
export async function startContainer(ctx: Lifecycle, id: string, timeoutMs = 10_000): Promise<void> {
  const record = ctx.store.read(id);
  const status = statusOf(ctx, record);
  if (status !== 'created') {
    throw new CError('CONFLICT', `cannot start a container that is ${status}: ${id}`, { hint: 'only a created container can be started' });
  }
  const fifoPath = ctx.store.fifoPath(id);
  // Nobody reading: the init died, or it was created by an earlier c-runtime whose init blocks opening the fifo
  // for writing. The old handshake tells which.
  if (!releaseExecFifo(fifoPath)) await releaseOpeningInit(record, fifoPath, timeoutMs);
  unlinkSync(fifoPath);
}

/**
 * The handshake of inits from before the read-write hold (they block opening the fifo for writing): open it for
 * reading, which lets their open through, and read the byte they write. Also what tells a dead init apart.
 */
async function releaseOpeningInit(record: ContainerRecord, fifoPath: string, timeoutMs: number): Promise<void> {
  const id = record.id;
  // Non-blocking open: a blocking one would hang forever if the init died.
  const fd = openSync(fifoPath, O.RDONLY | O.NONBLOCK | O.CLOEXEC);
  try {
    const byte = Buffer.alloc(1);
    const deadline = Date.now() + timeoutMs;
    const readByte = (): boolean => {
      try {
        return readSync(fd, byte, 0, 1, null) === 1;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        return false;
      }
    };
    for (;;) {
      if (readByte()) break;
      // The init may have written its byte, exec'd and already exited (`true`) since the read above: the byte
      // is still in the fifo, so read once more before calling it dead.
      if (!initAlive(record) && !readByte()) {
        throw new CError('INTERNAL', `container init of ${id} exited before start`, { hint: `see c-runtime state ${id}; delete it and create again` });
      }
      if (Date.now() > deadline) throw new CError('UNAVAILABLE', `container ${id} did not start within ${timeoutMs} ms`, { hint: 'the init is stuck; delete --force it' });
      await sleep(1);
    }
  } finally {
    closeSync(fd);
  }
}

export function parseSignal(signal: string | undefined): number {
  const number = signalNumber(signal ?? 'SIGTERM');
  if (number === undefined) {
    throw new CError('INVALID_ARGUMENT', `unknown signal "${signal}"`, { hint: 'use a name like TERM, SIGKILL or a number' });
  }
  return number;
}

/** `kill ID [SIGNAL] [--all]`. */
export function killContainer(ctx: Lifecycle, id: string, signal: number, all = false): void {
  const record = ctx.store.read(id);
  const status = statusOf(ctx, record);
  if (status === 'stopped') {
    throw new CError('CONFLICT', `container not running: ${id}`, { hint: 'it has already exited' });
  }
  if (!all) {
    process.kill(record.pid, signal);
    return;
  }
  const cgroups = ctx.cgroups(record.cgroupsPath);
  for (const pid of cgroups.pids()) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

async function waitStopped(ctx: Lifecycle, record: ContainerRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const cgroups = ctx.cgroups(record.cgroupsPath);
  while (initAlive(record) || safePids(cgroups).length > 0) {
    if (Date.now() > deadline) throw new CError('UNAVAILABLE', `container ${record.id} did not stop within ${timeoutMs} ms`, { hint: 'retry delete --force' });
    await sleep(5);
  }
}

function safePids(cgroups: ReturnType<CgroupsFactory>): number[] {
  try {
    return cgroups.pids();
  } catch {
    return [];
  }
}

/** `delete [--force] ID`: a created container is killed (as runc does); a running one needs --force. */
export async function deleteContainer(ctx: Lifecycle, id: string, force = false): Promise<void> {
  const record = ctx.store.read(id);
  const status = statusOf(ctx, record);
  const cgroups = ctx.cgroups(record.cgroupsPath);
  if (status !== 'stopped') {
    if (status !== 'created' && !force) {
      throw new CError('CONFLICT', `cannot delete container ${id} that is not stopped: ${status}`, { hint: `stop it first or use delete --force ${id}` });
    }
    if (status === 'paused') await cgroups.thaw();
    for (const pid of [record.pid, ...safePids(cgroups)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitStopped(ctx, record, 10_000);
  } else if (safePids(cgroups).length > 0) {
    // The init is gone but exec'd or orphaned processes remain in the cgroup: they die with it.
    for (const pid of safePids(cgroups)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitStopped(ctx, record, 10_000);
  }
  await cgroups.destroy();
  await ctx.store.removeAsync(id);
}

/** `pause ID` / `resume ID` through the freezer. */
export async function pauseContainer(ctx: Lifecycle, id: string, pause: boolean): Promise<void> {
  const record = ctx.store.read(id);
  const status = statusOf(ctx, record);
  if (pause && status !== 'running') throw new CError('CONFLICT', `container ${id} is not running: ${status}`, { hint: 'only a running container can be paused' });
  if (!pause && status !== 'paused') throw new CError('CONFLICT', `container ${id} is not paused: ${status}`, { hint: 'only a paused container can be resumed' });
  const cgroups = ctx.cgroups(record.cgroupsPath);
  if (pause) await cgroups.freeze();
  else await cgroups.thaw();
}

/** `list`: every container's state. */
export function listContainers(ctx: Lifecycle): OciState[] {
  const out: OciState[] = [];
  for (const id of ctx.store.list()) {
    try {
      out.push(stateOf(ctx, id));
    } catch {
      // Removed while listing.
    }
  }
  return out;
}

/** `ps ID`: the host pids in the container's cgroup. */
export function containerPids(ctx: Lifecycle, id: string): number[] {
  const record = ctx.store.read(id);
  return safePids(ctx.cgroups(record.cgroupsPath)).sort((a, b) => a - b);
}
