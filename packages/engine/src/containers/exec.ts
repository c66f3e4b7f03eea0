/**
 * `exec` in a running container. @c/runtime's execInContainer makes the calling process join the container for
 * good, so the engine never calls it in-process: every exec is a short-lived `c-runtime exec --process FILE`
 * child whose stdio the engine reads and whose exit code is the exec's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CError } from '@c/errors';
import type { SpecProcess } from '@c/runtime';
import { mergeEnv } from './config';
import { readRootfsFile } from './rootfs-files';
import { runtimeCli } from './runtime-paths';
import { checkTtySize, setProcessTtySize, type TtySize } from './tty-size';
import type { ContainerService } from './service';
import { resolveUser } from './user';

export interface ExecCreateOptions {
  cmd: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  tty?: boolean;
  attachStdin?: boolean;
}

export interface ExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  /** null until it has exited. */
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  ProcessConfig: { entrypoint: string; arguments: string[]; tty: boolean; user: string; privileged: boolean };
}

export interface ExecStream {
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code. */
  exit: Promise<number>;
}

interface ExecRecord {
  inspect: ExecInspect;
  options: ExecCreateOptions;
  child?: ChildProcess;
  pidFile: string;
}

/** Finished execs are forgotten after this many more are created (docker keeps them until the container goes). */
const KEEP_EXECS = 1000;

export class ExecManager {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(
    private readonly service: ContainerService,
    private readonly cli: () => string = runtimeCli,
  ) {}

  create(container: string, options: ExecCreateOptions): string {
    const { record } = this.service.runtimeContext(container);
    if (record.State.Paused) throw new CError('CONFLICT', `Container ${record.Id} is paused, unpause the container before exec`, { hint: `c unpause ${record.Id.slice(0, 12)}` });
    if (options.cmd.length === 0) throw new CError('INVALID_ARGUMENT', 'No exec command specified', { hint: 'give the command to run' });
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      options,
      pidFile: join(this.service.recordDir(record.Id), `exec-${id}.pid`),
      inspect: {
        ID: id,
        ContainerID: record.Id,
        Running: false,
        ExitCode: null,
        Pid: 0,
        OpenStdin: options.attachStdin === true,
        ProcessConfig: { entrypoint: options.cmd[0]!, arguments: options.cmd.slice(1), tty: options.tty === true, user: options.user ?? '', privileged: false },
      },
    });
    if (this.execs.size > KEEP_EXECS) {
      for (const [key, value] of this.execs) {
        if (!value.inspect.Running && value.inspect.ExitCode !== null) {
          this.execs.delete(key);
          break;
        }
      }
    }
    this.service.emit(record, `exec_create: ${options.cmd.join(' ')}`, { execID: id });
    return id;
  }

  inspect(execId: string): ExecInspect {
    const exec = this.find(execId);
    if (exec.inspect.Running && exec.inspect.Pid === 0) {
      try {
        exec.inspect.Pid = Number(readFileSync(exec.pidFile, 'utf8')) || 0;
      } catch {
        // not written yet
      }
    }
    return structuredClone(exec.inspect);
  }

  async start(execId: string, stdio: { stdin?: Readable; stdout?: Writable; stderr?: Writable } = {}): Promise<ExecStream> {
    const exec = this.find(execId);
    if (exec.child !== undefined) throw new CError('CONFLICT', `exec ${execId} has already been started`, { hint: 'create a new exec' });
    const { record, lifecycle } = this.service.runtimeContext(exec.inspect.ContainerID);
    const base = lifecycle.store.read(record.Id).process;
    const mounts = await this.service.snapshotter.mounts(record.C.snapshotKey);
    const userSpec = exec.options.user ?? record.Config.User;
    const user = resolveUser(userSpec, readRootfsFile(mounts, '/etc/passwd'), readRootfsFile(mounts, '/etc/group'));
    const process: SpecProcess = {
      ...base,
      // With a tty, `c-runtime exec` holds the pty master and copies it to and from its stdio (our pipes).
      terminal: exec.options.tty === true,
      args: [...exec.options.cmd],
      env: mergeEnv(base.env, exec.options.env),
      cwd: exec.options.workingDir || base.cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    };
    const processFile = join(this.service.recordDir(record.Id), `exec-${execId}.json`);
    writeFileSync(processFile, JSON.stringify(process));
    const child = spawn(globalThis.process.execPath, [this.cli(), '--root', lifecycle.store.root, 'exec', '--process', processFile, '--pid-file', exec.pidFile, record.Id], {
      stdio: [exec.options.attachStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { PATH: globalThis.process.env.PATH ?? '/usr/bin:/bin' },
    });
    exec.child = child;
    exec.inspect.Running = true;
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      if (stdio.stdin) stdio.stdin.pipe(child.stdin);
      else child.stdin.end();
    }
    if (stdio.stdout) child.stdout!.pipe(stdio.stdout, { end: false });
    if (stdio.stderr) child.stderr!.pipe(stdio.stderr, { end: false });
    this.service.emit(record, `exec_start: ${exec.options.cmd.join(' ')}`, { execID: execId });
    const exit = new Promise<number>((resolve) => {
      child.once('close', (code, signal) => {
        const status = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
        exec.inspect.Running = false;
        exec.inspect.ExitCode = status;
        rmSync(processFile, { force: true });
        rmSync(exec.pidFile, { force: true });
        this.service.emit(record, 'exec_die', { execID: execId, exitCode: String(status) });
        resolve(status);
      });
      child.once('error', () => {
        exec.inspect.Running = false;
        exec.inspect.ExitCode = 126;
        resolve(126);
      });
    });
    return { stdout: child.stdout!, stderr: child.stderr!, exit };
  }

  /**
   * docker's exec resize: the size of a running tty exec's terminal, set on the pty its process has as stdin (the
   * master is in its `c-runtime exec`). Without a tty, or once it has exited, there is nothing to resize.
   */
  async resize(execId: string, size: TtySize): Promise<void> {
    checkTtySize(size);
    const exec = this.find(execId);
    if (!exec.options.tty) return;
    // Clients resize right after start (even before the daemon has spawned it): give the process (its pid file)
    // up to a second to appear.
    for (let waited = 0; ; waited += 10) {
      const { Running, Pid, ExitCode } = this.inspect(execId);
      if (!Running && (exec.child !== undefined || ExitCode !== null)) throw new CError('CONFLICT', `exec ${execId} is not running`, { hint: 'resize it while it runs' });
      if (Running && Pid !== 0) return void setProcessTtySize(Pid, size);
      if (waited >= 1000) throw new CError('CONFLICT', `exec ${execId} has not started its process yet`, { hint: 'retry the resize' });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Convenience: run to completion and collect the output. */
  async run(container: string, options: ExecCreateOptions): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const id = this.create(container, options);
    const stream = await this.start(id);
    let stdout = '';
    let stderr = '';
    stream.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exitCode = await stream.exit;
    return { exitCode, stdout, stderr };
  }

  private find(execId: string): ExecRecord {
    const exec = this.execs.get(execId);
    if (exec === undefined) throw new CError('NOT_FOUND', `No such exec instance: ${execId}`, { hint: 'create the exec first' });
    return exec;
  }
}
