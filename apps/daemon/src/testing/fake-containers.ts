/**
 * An in-memory ContainersBackend for route tests. Commands are tiny scripts instead of processes:
 * `echo A B` prints to stdout and exits 0, `warn TEXT` prints to stderr, `exit N` exits with N, `cat` copies stdin
 * to stdout until it ends, `sleep` runs until stopped or killed. Execs understand the same commands.
 */
import { PassThrough, type Readable } from 'node:stream';
import { CError } from '@c/errors';
import { EventBus, type ContainerRecord, type ContainerSummary, type CreateContainerOptions, type ExecInspect, type LogEntry, type WaitCondition, type WaitResult } from '@c/engine';
import type { ContainerStdio, ContainersBackend, ExecBackend } from '../containers/backend';

interface Waiter {
  condition: WaitCondition;
  resolve: (result: WaitResult) => void;
}

interface RunHandle {
  exit(code: number): void;
}

/** Runs a script command; `done(code)` when it finishes. */
function runScript(cmd: string[], stdio: ContainerStdio, emit: (stream: 'stdout' | 'stderr', text: string) => void, done: (code: number) => void): RunHandle {
  let finished = false;
  const finish = (code: number): void => {
    if (finished) return;
    finished = true;
    // Like a real process: the exit is seen after the output.
    setImmediate(() => done(code));
  };
  const [program, ...args] = cmd;
  switch (program) {
    case 'echo':
      emit('stdout', `${args.join(' ')}\n`);
      finish(0);
      break;
    case 'warn':
      emit('stderr', `${args.join(' ')}\n`);
      finish(0);
      break;
    case 'exit':
      finish(Number(args[0] ?? 0));
      break;
    case 'cat':
      if (!stdio.stdin) finish(0);
      else {
        stdio.stdin.on('data', (chunk: Buffer) => emit('stdout', chunk.toString()));
        stdio.stdin.once('end', () => finish(0));
      }
      break;
    case 'sleep':
      break;
    default:
      throw new CError('NOT_FOUND', `exec: "${program ?? ''}": executable file not found in $PATH`, { hint: 'check the command' });
  }
  return { exit: finish };
}

export class FakeContainers implements ContainersBackend {
  readonly events = new EventBus();
  readonly records = new Map<string, ContainerRecord>();
  readonly logLines = new Map<string, LogEntry[]>();
  readonly removed: string[] = [];
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly running = new Map<string, RunHandle>();
  private nextId = 1;
  readonly exec: ExecBackend;

  constructor() {
    const execs = new Map<string, { inspect: ExecInspect; cmd: string[] }>();
    this.exec = {
      create: (container, options) => {
        const record = this.get(container);
        if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it' });
        const id = `exec${execs.size + 1}`.padEnd(64, '0');
        execs.set(id, {
          cmd: options.cmd,
          inspect: {
            ID: id,
            ContainerID: record.Id,
            Running: false,
            ExitCode: null,
            Pid: 0,
            OpenStdin: options.attachStdin === true,
            ProcessConfig: { entrypoint: options.cmd[0] ?? '', arguments: options.cmd.slice(1), tty: options.tty === true, user: '', privileged: false },
          },
        });
        return id;
      },
      resize: (id, size) => {
        const exec = execs.get(id);
        if (!exec) throw new CError('NOT_FOUND', `No such exec instance: ${id}`, { hint: 'create it' });
        if (exec.inspect.ProcessConfig.tty) this.sizes.set(id, size);
      },
      inspect: (id) => {
        const exec = execs.get(id);
        if (!exec) throw new CError('NOT_FOUND', `No such exec instance: ${id}`, { hint: 'create it' });
        return structuredClone(exec.inspect);
      },
      start: async (id, stdio = {}) => {
        const exec = execs.get(id);
        if (!exec) throw new CError('NOT_FOUND', `No such exec instance: ${id}`, { hint: 'create it' });
        exec.inspect.Running = true;
        const { PassThrough } = await import('node:stream');
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        const exit = new Promise<number>((resolve) => {
          runScript(exec.cmd, stdio, (stream, text) => (stream === 'stdout' ? (stdio.stdout ?? stdout) : (stdio.stderr ?? stderr)).write(text), (code) => {
            exec.inspect.Running = false;
            exec.inspect.ExitCode = code;
            resolve(code);
          });
        });
        return { stdout, stderr, exit };
      },
    };
  }

  /** What createForStart's `durable` does for the next container (default: resolves at once). */
  recordDurable: () => Promise<void> = () => Promise.resolve();
  /** How many containers createForStart made (c's run endpoints use it instead of create). */
  createdForStart = 0;

  async createForStart(options: CreateContainerOptions): Promise<{ record: ContainerRecord; durable: Promise<void> }> {
    const record = await this.create(options);
    this.createdForStart += 1;
    const durable = this.recordDurable();
    durable.catch(() => undefined);
    return { record, durable };
  }

  async create(options: CreateContainerOptions): Promise<ContainerRecord> {
    if (options.image !== 'busybox') throw new CError('NOT_FOUND', `No such image: ${options.image}`, { hint: 'pull it' });
    const name = `/${options.name ?? `ctr${this.nextId}`}`;
    for (const r of this.records.values()) {
      if (r.Name === name) throw new CError('CONFLICT', `Conflict. The container name "${name}" is already in use by container "${r.Id}".`, { hint: 'rename' });
    }
    const id = String(this.nextId++).padStart(64, 'a');
    const record = {
      Id: id,
      Name: name,
      Created: new Date().toISOString(),
      Path: options.cmd?.[0] ?? '',
      Args: options.cmd?.slice(1) ?? [],
      State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
      Image: 'sha256:' + 'b'.repeat(64),
      Config: { Tty: options.tty === true, OpenStdin: options.openStdin === true, StdinOnce: options.stdinOnce === true, Cmd: options.cmd ?? null, Env: options.env ?? [], Labels: options.labels ?? {}, Image: options.image },
      HostConfig: { AutoRemove: options.autoRemove === true, NetworkMode: 'none', Memory: options.memory ?? 0, NanoCpus: (options.cpus ?? 0) * 1e9 },
      C: { snapshotKey: 'x', manuallyStopped: false },
    } as unknown as ContainerRecord;
    this.records.set(id, record);
    this.logLines.set(id, []);
    this.events.emit('container', 'create', id, { name: name.slice(1), image: options.image });
    return structuredClone(record);
  }

  get(input: string): ContainerRecord {
    for (const r of this.records.values()) if (r.Id === input || r.Name === `/${input}` || r.Id.startsWith(input)) return r;
    throw new CError('NOT_FOUND', `No such container: ${input}`, { hint: 'list them' });
  }

  /** Clients attached to running containers (attach after start). */
  private readonly attached = new Map<string, Set<ContainerStdio>>();
  /** The stdin of each running OpenStdin container, fed by the start's and the attachments' stdin. */
  private readonly stdins = new Map<string, PassThrough>();

  async start(input: string, stdio: ContainerStdio = {}): Promise<void> {
    const record = this.get(input);
    const emit = (stream: 'stdout' | 'stderr', text: string): void => {
      this.logLines.get(record.Id)?.push({ stream, line: text, time: new Date().toISOString() });
      (stream === 'stdout' ? stdio.stdout : stdio.stderr)?.write(Buffer.from(text));
      for (const a of this.attached.get(record.Id) ?? []) (stream === 'stdout' ? a.stdout : a.stderr)?.write(Buffer.from(text));
    };
    let stdin: PassThrough | undefined;
    if (record.Config.OpenStdin) {
      stdin = new PassThrough();
      this.stdins.set(record.Id, stdin);
      stdio.stdin?.pipe(stdin);
    }
    const handle = runScript(record.Config.Cmd ?? [], stdin ? { ...stdio, stdin } : stdio, emit, (code) => this.exited(record, code));
    record.State = { ...record.State, Status: 'running', Running: true, StartedAt: new Date().toISOString() };
    this.running.set(record.Id, handle);
    this.events.emit('container', 'start', record.Id, { name: record.Name.slice(1) });
  }

  attach(input: string, stdio: ContainerStdio, options: { closeStdin?: boolean } = {}): { detach: () => void } {
    const record = this.get(input);
    const set = this.attached.get(record.Id) ?? new Set<ContainerStdio>();
    this.attached.set(record.Id, set);
    set.add(stdio);
    const stdin = this.stdins.get(record.Id);
    if (stdin && stdio.stdin) stdio.stdin.pipe(stdin, { end: options.closeStdin !== false });
    return {
      detach: () => {
        set.delete(stdio);
        if (stdin) stdio.stdin?.unpipe(stdin);
      },
    };
  }

  private exited(record: ContainerRecord, code: number): void {
    this.running.delete(record.Id);
    this.attached.delete(record.Id);
    this.stdins.delete(record.Id);
    record.State = { ...record.State, Status: 'exited', Running: false, Paused: false, ExitCode: code, FinishedAt: new Date().toISOString() };
    this.events.emit('container', 'die', record.Id, { name: record.Name.slice(1), exitCode: String(code) });
    this.settle(record.Id, (w) => w.condition !== 'removed', { StatusCode: code });
    if (record.HostConfig.AutoRemove) void this.remove(record.Id, { force: true });
  }

  private settle(id: string, which: (w: Waiter) => boolean, result: WaitResult): void {
    const list = this.waiters.get(id) ?? [];
    this.waiters.set(id, list.filter((w) => (which(w) ? (w.resolve(result), false) : true)));
  }

  async stop(input: string): Promise<void> {
    this.running.get(this.get(input).Id)?.exit(143);
  }

  async kill(input: string, signal = 'SIGKILL'): Promise<void> {
    const record = this.get(input);
    if (!record.State.Running) throw new CError('CONFLICT', `Cannot kill container: ${record.Id}: Container ${record.Id} is not running`, { hint: 'start it' });
    this.running.get(record.Id)?.exit(signal === 'SIGKILL' ? 137 : 143);
  }

  async restart(input: string): Promise<void> {
    await this.stop(input);
    await new Promise((r) => setImmediate(r));
    await this.start(input);
  }

  async pause(input: string): Promise<void> {
    const record = this.get(input);
    record.State = { ...record.State, Paused: true, Status: 'paused' };
  }

  async unpause(input: string): Promise<void> {
    const record = this.get(input);
    record.State = { ...record.State, Paused: false, Status: 'running' };
  }

  wait(input: string, condition: WaitCondition = 'not-running'): Promise<WaitResult> {
    const record = this.get(input);
    if (condition === 'not-running' && !record.State.Running) return Promise.resolve({ StatusCode: record.State.ExitCode });
    return new Promise((resolve) => this.waiters.set(record.Id, [...(this.waiters.get(record.Id) ?? []), { condition, resolve }]));
  }

  async remove(input: string, options: { force?: boolean } = {}): Promise<void> {
    const record = this.get(input);
    if (record.State.Running && !options.force) throw new CError('CONFLICT', `You cannot remove a running container ${record.Id}.`, { hint: 'stop it' });
    this.running.get(record.Id)?.exit(137);
    this.records.delete(record.Id);
    this.removed.push(record.Id);
    this.settle(record.Id, () => true, { StatusCode: record.State.ExitCode });
  }

  /** Terminal sizes set by resize, by container or exec id. */
  readonly sizes = new Map<string, { height: number; width: number }>();

  resize(input: string, size: { height: number; width: number }): void {
    const record = this.get(input);
    if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it' });
    if (record.Config.Tty) this.sizes.set(record.Id, size);
  }

  rename(input: string, name: string): void {
    this.get(input).Name = `/${name}`;
  }

  /** What size=1 reports: a fixed writable layer on a 1 MiB image. */
  async size(input: string): Promise<{ SizeRw: number; SizeRootFs: number }> {
    this.get(input);
    return { SizeRw: 4096, SizeRootFs: 4096 + (1 << 20) };
  }

  inspect(input: string): ContainerRecord {
    return structuredClone(this.get(input));
  }

  list(options: { all?: boolean; filters?: Record<string, readonly string[]> } = {}): ContainerSummary[] {
    const statuses = options.filters?.status;
    return [...this.records.values()]
      .filter((r) => (statuses ? statuses.includes(r.State.Status) : options.all || r.State.Running))
      .map((r) => ({ Id: r.Id, Names: [r.Name], Image: r.Config.Image, ImageID: r.Image, Command: (r.Config.Cmd ?? []).join(' '), Created: Math.floor(Date.parse(r.Created) / 1000), State: r.State.Status, Status: r.State.Status, Labels: r.Config.Labels, Mounts: [] }));
  }

  async *logs(input: string, options: { stdout?: boolean; stderr?: boolean; tail?: number | 'all' } = {}): AsyncIterable<LogEntry> {
    let lines = (this.logLines.get(this.get(input).Id) ?? []).filter((l) => (l.stream === 'stdout' ? options.stdout !== false : options.stderr !== false));
    if (typeof options.tail === 'number') lines = lines.slice(-options.tail || lines.length);
    yield* lines;
  }

  /** The ps_args of the last top. */
  topArgs: string | undefined;

  top(input: string, psArgs?: string) {
    const record = this.get(input);
    if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it' });
    this.topArgs = psArgs;
    if (psArgs !== undefined) return { Titles: ['PID', 'COMMAND'], Processes: [['4242', (record.Config.Cmd ?? [])[0] ?? '']] };
    return { Titles: ['UID', 'PID', 'PPID', 'CMD'], Processes: [['0', '4242', '1', (record.Config.Cmd ?? []).join(' ')]] };
  }

  stats(input: string) {
    const record = this.get(input);
    if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it' });
    return { read: new Date().toISOString(), pids_stats: { current: 1 }, memory_stats: { usage: 4096, limit: 1 << 20 }, cpu_stats: { cpu_usage: { total_usage: 5_000_000 }, online_cpus: 2 } };
  }

  async changes(input: string) {
    this.get(input);
    return [{ Path: '/tmp/new', Kind: 1 as const }];
  }

  async export(input: string): Promise<Readable> {
    this.get(input);
    const { Readable } = await import('node:stream');
    return Readable.from([Buffer.from('tar-bytes')]);
  }

  readonly archives = new Map<string, Buffer>();

  async archiveGet(input: string, path: string) {
    this.get(input);
    if (!this.archives.has(path)) throw new CError('NOT_FOUND', `Could not find the file ${path} in container ${input}`, { hint: 'check the path' });
    const { Readable } = await import('node:stream');
    const data = this.archives.get(path)!;
    return { stat: { name: path.split('/').pop() ?? '', size: data.length, mode: 0o644, mtime: '2024-01-01T00:00:00Z', linkTarget: '' }, tar: Readable.from([data]) };
  }

  async archivePut(input: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void> {
    this.get(input);
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(Buffer.from(chunk));
    this.archives.set(path, Buffer.concat(chunks));
  }

  readonly commits: Array<{ id: string; reference: string; changes?: string[]; pause?: boolean; comment?: string; author?: string }> = [];

  async commit(input: string, options: { reference?: string; changes?: string[]; pause?: boolean; comment?: string; author?: string }) {
    const record = this.get(input);
    this.commits.push({
      id: record.Id,
      reference: options.reference ?? '',
      ...(options.changes ? { changes: options.changes } : {}),
      ...(options.pause !== undefined ? { pause: options.pause } : {}),
      ...(options.comment ? { comment: options.comment } : {}),
      ...(options.author ? { author: options.author } : {}),
    });
    return { id: 'sha256:' + 'c'.repeat(64), manifestDigest: 'sha256:' + 'd'.repeat(64), reference: options.reference ?? '' };
  }
}
