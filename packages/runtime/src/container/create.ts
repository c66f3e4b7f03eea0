import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { CError } from '@c/errors';
import { O, S_IF } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import type { InitReport } from '../init/protocol';
import { cgroupsPathFor } from './cgroups-port';
import type { CgroupsFactory, ContainerCgroups } from './cgroups-port';
import { readHostFacts } from './host-facts';
import { planInit } from './init-config';
import { loadBundle } from './load-bundle';
import { defaultInitScript } from '../paths/runtime-files';
import { spawnInit } from './spawn-init';
import type { StdioEntry } from './spawn-init';
import { procStat } from './state';
import type { ContainerRecord, StateStore } from './state';
import { sendFd } from '../console/send-fd';

export interface CreateRequest {
  id: string;
  bundle: string;
  store: StateStore;
  sys: Syscalls;
  cgroups: CgroupsFactory;
  pidFile?: string | undefined;
  /** Unix socket that receives the pty master (SCM_RIGHTS), as runc's --console-socket. */
  consoleSocket?: string | undefined;
  /** With process.terminal and no console socket: keep the pty master for the caller to copy (run in the foreground). */
  keepPtyMaster?: boolean;
  stdio?: [StdioEntry, StdioEntry, StdioEntry];
  initScript?: string;
  warn?: (message: string) => void;
}

export interface CreatedContainer {
  record: ContainerRecord;
  child: ChildProcess;
  cgroups: ContainerCgroups;
  /** The pty master when `keepPtyMaster` was asked and the process has a terminal. */
  ptyMaster?: number | undefined;
}

/** Reads the init's JSON lines from the sync socket, one at a time. */
class ReportReader {
  private buffer = '';
  private readonly lines: InitReport[] = [];
  private waiting: { resolve: (r: InitReport) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(socket: Socket, child: ChildProcess, id: string) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        try {
          this.push(JSON.parse(line) as InitReport);
        } catch (cause) {
          this.fail(new CError('INTERNAL', `container ${id}: the init sent an unreadable report`, { cause, details: { id } }));
        }
      }
    });
    const ended = () =>
      this.fail(
        new CError('INTERNAL', `container ${id}: the init exited before reporting (exit ${child.exitCode ?? child.signalCode ?? '?'})`, {
          hint: 'run with --debug and check the log; the init may have crashed',
          details: { id },
        }),
      );
    socket.on('end', ended);
    socket.on('close', ended);
    // Without this listener an ECONNRESET/EPIPE (the init died before reading its config) is an uncaught
    // exception that takes the caller down, and the caller may be the daemon.
    socket.on('error', (cause: NodeJS.ErrnoException) =>
      this.fail(
        new CError('INTERNAL', `container ${id}: the sync socket to the init failed (${cause.code ?? cause.message}); the init died before taking its config`, {
          cause,
          hint: 'run with --debug and check the log; the init may have crashed',
          details: { id },
        }),
      ),
    );
    child.on('error', (error) =>
      this.fail(new CError('INTERNAL', `container ${id}: cannot start the init: ${error.message}`, { cause: error, details: { id } })),
    );
  }

  private push(report: InitReport): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(report);
    } else {
      this.lines.push(report);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(this.failure);
    }
  }

  next(): Promise<InitReport> {
    const queued = this.lines.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}

function reportToError(report: Extract<InitReport, { type: 'error' }>): CError {
  return new CError(report.code as CError['code'], report.message, {
    hint: report.hint,
    details: { syscall: report.syscall, errno: report.errno, path: report.path, exitCode: report.exitCode ?? 1 },
  });
}

async function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * `create`: spawn the init in new namespaces, put it in its cgroup, send it the plan, and wait until it has built
 * the container and blocks on exec.fifo. On any failure everything made so far is undone.
 */
export async function createContainer(request: CreateRequest): Promise<CreatedContainer> {
  const { id, store, sys } = request;
  const warn = request.warn ?? (() => {});
  const { bundle, rootfs, validated } = loadBundle(request.bundle);
  const spec = validated.spec;
  const terminal = validated.process.terminal === true;
  if (terminal && request.consoleSocket === undefined && !request.keepPtyMaster) {
    throw new CError('INVALID_ARGUMENT', 'cannot allocate a tty without --console-socket when the container is detached', {
      hint: 'pass --console-socket PATH or set process.terminal to false',
    });
  }
  store.create(id);
  const fifo = store.fifoPath(id);
  let child: ChildProcess | undefined;
  let cgroups: ContainerCgroups | undefined;
  let ptyMaster: number | undefined;
  let ptySlave: number | undefined;
  try {
    sys.mknod(fifo, S_IF.FIFO | 0o622, 0n);
    let consolePath: string | undefined;
    if (terminal) {
      const pty = sys.openpty();
      ptyMaster = pty.master;
      consolePath = pty.slavePath;
      ptySlave = openSync(pty.slavePath, O.RDWR | O.NOCTTY);
    }
    const { config, warnings } = planInit(validated, bundle, fifo, readHostFacts(sys), { consolePath });
    for (const w of warnings) warn(w);
    const stdio: [StdioEntry, StdioEntry, StdioEntry] =
      ptySlave !== undefined ? [ptySlave, ptySlave, ptySlave] : (request.stdio ?? ['inherit', 'inherit', 'inherit']);
    const pidNs = validated.namespaces.find((n) => n.type === 'pid');
    child = spawnInit(sys, {
      initScript: request.initScript ?? defaultInitScript(),
      pidNamespacePath: pidNs?.path,
      stdio,
    });
    if (ptySlave !== undefined) {
      closeSync(ptySlave);
      ptySlave = undefined;
    }
    const pid = child.pid;
    if (pid === undefined) {
      await new Promise((r) => setImmediate(r));
      throw new CError('INTERNAL', `cannot spawn the container init (${process.execPath})`, { hint: 'check that node can run here' });
    }
    const socket = child.stdio[3] as Socket;
    const reports = new ReportReader(socket, child, id);
    // Make the cgroup and its limits while the init's Node starts (on another core, if there is one).
    cgroups = request.cgroups(cgroupsPathFor(id, spec.linux?.cgroupsPath));
    cgroups.prepare?.(spec.linux?.resources);
    const booted = await reports.next();
    if (booted.type !== 'booted') throw new CError('INTERNAL', `container init sent ${booted.type} before booting`);
    // Only now into the cgroup: Node's start-up memory stays charged to us, and its threads exist before pids.max.
    cgroups.create(pid, spec.linux?.resources);
    socket.write(`${JSON.stringify(config)}\n`);
    const report = await reports.next();
    if (report.type === 'error') throw reportToError(report);
    const record: ContainerRecord = {
      ociVersion: spec.ociVersion,
      id,
      pid,
      bundle,
      rootfs,
      created: new Date().toISOString(),
      owner: '',
      annotations: spec.annotations ?? {},
      initStartTime: procStat(pid)?.startTime ?? '',
      cgroupsPath: cgroups.path,
      process: validated.process,
      seccomp: spec.linux?.seccomp,
      namespaces: validated.namespaces.map((n) => n.type),
    };
    store.write(record);
    if (request.pidFile !== undefined) writeFileSync(request.pidFile, String(pid));
    if (ptyMaster !== undefined && request.consoleSocket !== undefined) {
      sendFd(request.consoleSocket, ptyMaster, '/dev/ptmx', sys);
      closeSync(ptyMaster);
      ptyMaster = undefined;
    }
    socket.destroy();
    return { record, child, cgroups, ptyMaster };
  } catch (error) {
    if (child?.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitExit(child, 5000);
    }
    // Best effort (the error that matters is the one being thrown), but never silent: a cgroup left here leaks.
    await cgroups?.destroy().catch((cause: unknown) => {
      warn(`container ${id}: its cgroup ${cgroups?.path ?? ''} could not be removed: ${cause instanceof Error ? cause.message : String(cause)}`);
    });
    if (ptySlave !== undefined) closeSync(ptySlave);
    if (ptyMaster !== undefined) closeSync(ptyMaster);
    store.remove(id);
    throw error;
  }
}
