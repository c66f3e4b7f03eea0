/**
 * A spawned container init, from spawn until its plan has been sent: the reports it writes on fd 3, its `booted`
 * handshake, and how the plan (and, for a pre-started init, the container's stdio) reaches it.
 *
 * Two ways to get one, one protocol after that: `spawnInit` gives it the container's stdio at spawn (c-runtime
 * create/run); `spawnPooledInit` starts it ahead of time with /dev/null on 0-2 and a second socketpair on fd 4, over
 * which the container's stdio fds travel with SCM_RIGHTS just before the plan (a daemon's warm pool).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { CError } from '@c/errors';
import { SOCK, linuxSyscalls } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import type { InitConfig, InitReport } from '../init/protocol';
import { spawnInit } from './spawn-init';
import type { StdioEntry } from './spawn-init';

/** Reads the init's JSON lines from the sync socket, one at a time. */
class ReportReader {
  private buffer = '';
  private readonly lines: InitReport[] = [];
  private waiting: { resolve: (r: InitReport) => void; reject: (e: Error) => void } | undefined;
  failure: Error | undefined;

  constructor(socket: Socket | null, child: ChildProcess, name: () => string) {
    child.on('error', (error) =>
      this.fail(new CError('INTERNAL', `${name()}: cannot start the init: ${error.message}`, { cause: error, details: { id: name() } })),
    );
    if (socket === null) {
      this.fail(new CError('INTERNAL', `${name()}: cannot start the init (${process.execPath})`, { hint: 'check that node can run here' }));
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        try {
          this.push(JSON.parse(line) as InitReport);
        } catch (cause) {
          this.fail(new CError('INTERNAL', `${name()}: the init sent an unreadable report`, { cause, details: { id: name() } }));
        }
      }
    });
    const ended = () =>
      this.fail(
        new CError('INTERNAL', `${name()}: the init exited before reporting (exit ${child.exitCode ?? child.signalCode ?? '?'})`, {
          hint: 'run with --debug and check the log; the init may have crashed',
          details: { id: name() },
        }),
      );
    socket.on('end', ended);
    socket.on('close', ended);
    // Without this listener an ECONNRESET/EPIPE (the init died before reading its config) is an uncaught
    // exception that takes the caller down, and the caller may be the daemon.
    socket.on('error', (cause: NodeJS.ErrnoException) =>
      this.fail(
        new CError('INTERNAL', `${name()}: the sync socket to the init failed (${cause.code ?? cause.message}); the init died before taking its config`, {
          cause,
          hint: 'run with --debug and check the log; the init may have crashed',
          details: { id: name() },
        }),
      ),
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

/** What a pre-started init can be handed later: an open fd, the caller's own fd ('inherit'), or nothing. */
function carriable(entry: StdioEntry): boolean {
  return entry === 'ignore' || entry === 'inherit' || entry === null || entry === undefined || typeof entry === 'number';
}

export class InitProcess {
  private label: string;
  private readonly reports: ReportReader;
  /** Resolves once the init has loaded Node and koffi and waits for its plan. */
  readonly booted: Promise<void>;

  /** True for an init started without its container's stdio (a pool's). */
  readonly pooled: boolean;

  private constructor(
    readonly child: ChildProcess,
    /** Our end of the fd channel (fd 4 in a pooled init); undefined for an init that got its stdio at spawn. */
    private fdChannel: number | undefined,
    private readonly io: Pick<Syscalls, 'sendFds'>,
    label: string,
  ) {
    this.label = label;
    this.pooled = fdChannel !== undefined;
    this.reports = new ReportReader(this.socket, child, () => this.label);
    this.booted = this.reports.next().then((report) => {
      if (report.type !== 'booted') throw new CError('INTERNAL', `${this.label}: the init sent ${report.type} before booting`);
    });
    // Nobody may be waiting yet (an idle pooled init, or a caller that failed before awaiting): a rejection here
    // must not become an unhandled one; whoever awaits `booted` still sees it.
    this.booted.catch(() => undefined);
  }

  /** Spawn an init that gets the container's stdio now (PID 1 of a new pid namespace, or of `pidNamespacePath`'s). */
  static spawn(sys: Syscalls, options: { initScript: string; pidNamespacePath?: string | undefined; stdio: [StdioEntry, StdioEntry, StdioEntry]; id: string }): InitProcess {
    const child = spawnInit(sys, { initScript: options.initScript, pidNamespacePath: options.pidNamespacePath, stdio: options.stdio });
    return new InitProcess(child, undefined, linuxSyscalls, `container ${options.id}`);
  }

  /**
   * Spawn an init ahead of any container: PID 1 of its own new pid namespace, /dev/null on 0-2, and fd 4 the
   * channel its stdio will come through. It reports `booted` and blocks reading its plan; if its parent dies first
   * the sync socket reaches EOF and it exits, so it never outlives the process that spawned it.
   * `io` makes the real socketpair when `sys` is a recording fake (tests).
   */
  static spawnPooled(sys: Syscalls, options: { initScript: string }, io: Pick<Syscalls, 'socketpair' | 'sendFds'> = linuxSyscalls): InitProcess {
    const [ours, theirs] = io.socketpair(SOCK.STREAM | SOCK.CLOEXEC);
    let child: ChildProcess;
    try {
      child = spawnInit(sys, { initScript: options.initScript, stdio: ['ignore', 'ignore', 'ignore', theirs] });
    } catch (error) {
      closeSync(ours);
      throw error;
    } finally {
      closeSync(theirs);
    }
    return new InitProcess(child, ours, io, `pooled init ${child.pid ?? '?'}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** fd 3's parent end; null only when the spawn itself failed. */
  private get socket(): Socket | null {
    return (this.child.stdio[3] as Socket | null | undefined) ?? null;
  }

  /** Still running and able to take a plan. */
  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.reports.failure === undefined;
  }

  /** Whether this init can run a container with these needs (a pooled init sits in a new pid namespace of its own). */
  fits(needs: { pidNamespacePath?: string | undefined; stdio: readonly StdioEntry[] }): boolean {
    if (!this.pooled) return true;
    return needs.pidNamespacePath === undefined && needs.stdio.every(carriable) && this.alive();
  }

  /** Errors name the container from now on. */
  assign(id: string): void {
    this.label = `container ${id}`;
  }

  /** Keep (or stop keeping) the caller's event loop alive for this init: an idle pooled init must not. */
  setRef(ref: boolean): void {
    if (ref) {
      this.child.ref();
      this.socket?.ref();
    } else {
      this.child.unref();
      this.socket?.unref();
    }
  }

  next(): Promise<InitReport> {
    return this.reports.next();
  }

  /**
   * Send the plan. A pooled init first gets the container's stdio: the fds go over fd 4 (SCM_RIGHTS) and the plan
   * names the fds they become (`stdioFds`), so the init dup2s them onto 0-2 before anything else.
   */
  send(config: InitConfig, stdio: readonly StdioEntry[] = []): void {
    let plan = config;
    if (this.fdChannel !== undefined) {
      const fds: number[] = [];
      const targets: number[] = [];
      stdio.slice(0, 3).forEach((entry, target) => {
        if (typeof entry === 'number') fds.push(entry);
        else if (entry === 'inherit') fds.push(target);
        else return;
        targets.push(target);
      });
      if (fds.length > 0) this.io.sendFds(this.fdChannel, fds, Buffer.from('s'));
      this.closeFdChannel();
      plan = { ...config, stdioFds: targets };
    }
    this.socket?.write(`${JSON.stringify(plan)}\n`);
  }

  /** SIGKILL (the init has not exec'd anything yet, or the caller gives up on the container). */
  kill(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Close our ends of the sockets (after `ready`, or when discarding the init). */
  close(): void {
    this.closeFdChannel();
    this.socket?.destroy();
  }

  private closeFdChannel(): void {
    if (this.fdChannel === undefined) return;
    closeSync(this.fdChannel);
    this.fdChannel = undefined;
  }
}
