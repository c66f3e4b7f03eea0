import { existsSync, promises as fsPromises, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CError, isCError, toCError } from '@c/errors';
import { linuxSyscalls, preloadSyscalls } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import { pumpPty } from '../console/pump';
import { defaultCgroupsFactory } from '../container/cgroups-adapter';
import type { CgroupsFactory } from '../container/cgroups-port';
import { createContainer } from '../container/create';
import { execInContainer } from '../container/exec';
import { runDirect } from '../container/run-direct';
import {
  containerPids,
  deleteContainer,
  killContainer,
  listContainers,
  parseSignal,
  pauseContainer,
  startContainer,
  stateOf,
} from '../container/lifecycle';
import type { Lifecycle } from '../container/lifecycle';
import { DEFAULT_STATE_ROOT, StateStore } from '../container/state';
import { defaultSpec, OCI_VERSION } from '../spec/default-spec';
import { features } from '../spec/features';
import type { SpecProcess } from '../spec/types';
import { flagBool, flagList, flagString, parseFlags } from './args';
import type { FlagSpec, ParsedArgs } from './args';
import { Logger } from './logger';
import type { InitChild } from '../container/spawned-process';

export const VERSION = '0.1.0';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'root', kind: 'value' },
  { name: 'log', kind: 'value' },
  { name: 'log-format', kind: 'value' },
  { name: 'systemd-cgroup', kind: 'bool' },
  { name: 'debug', kind: 'bool' },
  { name: 'rootless', kind: 'value' },
  { name: 'criu', kind: 'value' },
  { name: 'version', short: 'v', kind: 'bool' },
  { name: 'help', short: 'h', kind: 'bool' },
];

const COMMAND_FLAGS: Record<string, FlagSpec[]> = {
  create: [
    { name: 'bundle', short: 'b', kind: 'value' },
    { name: 'console-socket', kind: 'value' },
    { name: 'pid-file', kind: 'value' },
    { name: 'no-pivot', kind: 'bool' },
    { name: 'no-new-keyring', kind: 'bool' },
    { name: 'preserve-fds', kind: 'value' },
  ],
  run: [
    { name: 'bundle', short: 'b', kind: 'value' },
    { name: 'console-socket', kind: 'value' },
    { name: 'pid-file', kind: 'value' },
    { name: 'detach', short: 'd', kind: 'bool' },
    { name: 'keep', kind: 'bool' },
    { name: 'no-pivot', kind: 'bool' },
    { name: 'no-new-keyring', kind: 'bool' },
    { name: 'preserve-fds', kind: 'value' },
  ],
  start: [],
  state: [],
  kill: [{ name: 'all', short: 'a', kind: 'bool' }],
  delete: [{ name: 'force', short: 'f', kind: 'bool' }],
  pause: [],
  resume: [],
  exec: [
    { name: 'process', short: 'p', kind: 'value' },
    { name: 'detach', short: 'd', kind: 'bool' },
    { name: 'pid-file', kind: 'value' },
    { name: 'tty', short: 't', kind: 'bool' },
    { name: 'console-socket', kind: 'value' },
    { name: 'cwd', kind: 'value' },
    { name: 'env', short: 'e', kind: 'list' },
    { name: 'user', short: 'u', kind: 'value' },
    { name: 'additional-gids', short: 'g', kind: 'list' },
    { name: 'cap', short: 'c', kind: 'list' },
    { name: 'no-new-privs', kind: 'bool' },
    { name: 'preserve-fds', kind: 'value' },
    { name: 'process-label', kind: 'value' },
    { name: 'apparmor', kind: 'value' },
  ],
  list: [
    { name: 'format', short: 'f', kind: 'value' },
    { name: 'quiet', short: 'q', kind: 'bool' },
  ],
  ps: [{ name: 'format', short: 'f', kind: 'value' }],
  spec: [
    { name: 'bundle', short: 'b', kind: 'value' },
    { name: 'rootless', kind: 'bool' },
  ],
  features: [],
};

const USAGE = `c-runtime: an OCI runtime (runc-compatible CLI)

usage: c-runtime [global options] COMMAND [options] [args]

commands:
  create [--bundle DIR] [--pid-file F] [--console-socket S] ID   create a container, stopped before its process
  start ID                      run the process of a created container
  run [--bundle DIR] [--detach] [--pid-file F] [--console-socket S] ID   create + start (+ wait + delete)
  state ID                      print the container's state as JSON
  kill [--all] ID [SIGNAL]      send a signal (default SIGTERM)
  delete [--force] ID           delete a stopped (or created) container
  exec [--process F | --tty --cwd D --env K=V --user U ... ] ID [COMMAND ARGS...]
  pause ID | resume ID          freeze / thaw the container's processes
  list [--format table|json] [--quiet]
  ps [--format table|json] ID
  spec [--bundle DIR]           write a default config.json
  features                      print supported features as JSON

global options: --root DIR (default ${DEFAULT_STATE_ROOT}), --log FILE, --log-format text|json,
  --systemd-cgroup (unsupported), --debug, --version
`;

interface Context {
  lifecycle: Lifecycle;
  sys: Syscalls;
  log: Logger;
}

function requireId(args: ParsedArgs, command: string): string {
  const id = args.positionals[0];
  if (id === undefined) throw new CError('INVALID_ARGUMENT', `"${command}" requires a container id`, { hint: `c-runtime ${command} ID` });
  return id;
}

/** Forward the signals a foreground runtime receives to the container process, like runc's signal handler. */
function forwardSignals(pid: number): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
  const handlers = signals.map((signal) => {
    const handler = () => {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

function exitStatus(child: InitChild): Promise<number> {
  return new Promise((resolvePromise) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (code !== null) resolvePromise(code);
      else {
        const number = signal ? (parseSignal(signal) ?? 0) : 0;
        resolvePromise(128 + number);
      }
    };
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.once('exit', done);
  });
}

async function cmdCreate(ctx: Context, args: ParsedArgs, run: boolean): Promise<number> {
  const id = requireId(args, run ? 'run' : 'create');
  const consoleSocket = flagString(args, 'console-socket');
  const detach = !run || flagBool(args, 'detach');
  const preserve = flagString(args, 'preserve-fds');
  if (preserve !== undefined && preserve !== '0') ctx.log.warn(`--preserve-fds ${preserve} is not supported; no extra fds are passed`);
  if (flagBool(args, 'no-pivot')) throw new CError('UNSUPPORTED', '--no-pivot is not supported', { hint: 'c-runtime always uses pivot_root' });
  const bundleDir = flagString(args, 'bundle') ?? '.';
  const request = {
    id,
    bundle: bundleDir,
    store: ctx.lifecycle.store,
    sys: ctx.sys,
    cgroups: ctx.lifecycle.cgroups,
    pidFile: flagString(args, 'pid-file'),
    consoleSocket,
    keepPtyMaster: !detach && consoleSocket === undefined,
    warn: (m: string) => ctx.log.warn(m),
  };
  // `run` starts the container in this process when it can (one Node start-up); `create` always spawns the init.
  const direct = run ? await runDirect(request) : undefined;
  const created = direct ?? (await createContainer(request));
  if (run) ctx.log.debug(direct ? `run ${id}: started in this process (one Node start-up)` : `run ${id}: started through a container init`);
  const exited = exitStatus(created.child);
  if (!run) {
    created.child.unref();
    return 0;
  }
  const stopForwarding = forwardSignals(created.record.pid);
  let pump: ReturnType<typeof pumpPty> | undefined;
  try {
    if (created.ptyMaster !== undefined) pump = pumpPty(ctx.sys, created.ptyMaster);
    if (direct === undefined) await startContainer(ctx.lifecycle, id);
  } catch (error) {
    pump?.stop();
    stopForwarding();
    const child = created.child;
    if (child.exitCode !== null || child.signalCode !== null) {
      ctx.log.error(`container init of ${id} ended with ${child.exitCode !== null ? `exit code ${child.exitCode}` : `signal ${child.signalCode}`}`);
    }
    await deleteContainer(ctx.lifecycle, id, true).catch(() => {});
    throw error;
  }
  if (detach) {
    stopForwarding();
    created.child.unref();
    return 0;
  }
  const status = await exited;
  await pump?.done;
  stopForwarding();
  try {
    if (created.cgroups.oomKills() > 0) ctx.log.warn(`container ${id} was OOM-killed (memory limit reached)`);
  } catch {
    // no memory controller: nothing to report
  }
  if (!flagBool(args, 'keep')) await deleteContainer(ctx.lifecycle, id, true);
  return status;
}

function parseUser(value: string): { uid: number; gid: number } {
  const [u, g] = value.split(':');
  const uid = Number(u);
  const gid = g === undefined ? 0 : Number(g);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) {
    throw new CError('INVALID_ARGUMENT', `--user ${value}: expected UID[:GID] as numbers`, { hint: 'e.g. --user 1000:1000' });
  }
  return { uid, gid };
}

function execProcess(ctx: Context, args: ParsedArgs, id: string): SpecProcess {
  const file = flagString(args, 'process');
  if (file !== undefined) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as SpecProcess;
    } catch (cause) {
      throw new CError('INVALID_ARGUMENT', `cannot read the process JSON ${file}`, { cause, hint: 'pass a file with an OCI "process" object' });
    }
  }
  const command = args.positionals.slice(1);
  if (command.length === 0) throw new CError('INVALID_ARGUMENT', 'exec needs a command or --process FILE', { hint: `c-runtime exec ${id} sh -c "..."` });
  const base = ctx.lifecycle.store.read(id).process;
  const user = flagString(args, 'user');
  const caps = flagList(args, 'cap');
  const capabilities = base.capabilities ? structuredClone(base.capabilities) : undefined;
  if (capabilities && caps.length > 0) {
    for (const set of ['bounding', 'effective', 'permitted'] as const) capabilities[set] = [...(capabilities[set] ?? []), ...caps];
  }
  const extraGids = flagList(args, 'additional-gids').map(Number);
  return {
    ...base,
    terminal: flagBool(args, 'tty'),
    args: command,
    env: [...(base.env ?? []), ...flagList(args, 'env')],
    cwd: flagString(args, 'cwd') ?? base.cwd,
    user: user !== undefined ? { ...parseUser(user), additionalGids: extraGids } : { ...base.user, additionalGids: [...(base.user.additionalGids ?? []), ...extraGids] },
    capabilities,
    noNewPrivileges: flagBool(args, 'no-new-privs') || base.noNewPrivileges === true,
  };
}

async function cmdExec(ctx: Context, args: ParsedArgs): Promise<number> {
  const id = requireId(args, 'exec');
  const proc = execProcess(ctx, args, id);
  const detach = flagBool(args, 'detach');
  const consoleSocket = flagString(args, 'console-socket');
  if (proc.terminal && detach && consoleSocket === undefined) {
    throw new CError('INVALID_ARGUMENT', 'cannot allocate a tty for a detached exec without --console-socket', { hint: 'pass --console-socket PATH' });
  }
  if (proc.terminal && !detach && consoleSocket === undefined) {
    // After joining the container's pid namespace this process can create no thread (clone(CLONE_THREAD) fails
    // with EINVAL when pid_for_children differs), and a stdin that is a file is read through libuv's pool: start
    // the pool (all its threads at once) now.
    await fsPromises.access('/'); // fs.promises is loaded on first use, not at every start-up
  }
  let master: number | undefined;
  const handle = execInContainer(ctx.lifecycle, ctx.sys, {
    id,
    process: proc,
    pidFile: flagString(args, 'pid-file'),
    detach,
    warn: (m) => ctx.log.warn(m),
    onPtyMaster: (fd) => {
      master = fd;
    },
    consoleSocket,
  });
  if (detach) {
    handle.child.unref();
    return 0;
  }
  const stop = forwardSignals(handle.pid);
  const pump = master !== undefined ? pumpPty(ctx.sys, master) : undefined;
  const status = await exitStatus(handle.child);
  await pump?.done;
  stop();
  return status;
}

function cmdPs(ctx: Context, args: ParsedArgs): number {
  const id = requireId(args, 'ps');
  const pids = containerPids(ctx.lifecycle, id);
  if (flagString(args, 'format') === 'json') {
    process.stdout.write(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  const lines = ['PID CMD'];
  for (const pid of pids) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      continue;
    }
    lines.push(`${pid} ${cmd}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function cmdList(ctx: Context, args: ParsedArgs): number {
  const states = listContainers(ctx.lifecycle);
  if (flagBool(args, 'quiet')) {
    process.stdout.write(states.map((s) => `${s.id}\n`).join(''));
    return 0;
  }
  if (flagString(args, 'format') === 'json') {
    process.stdout.write(`${JSON.stringify(states)}\n`);
    return 0;
  }
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]! + 2)).join('').trimEnd()).join('\n') + '\n');
  return 0;
}

function cmdSpec(args: ParsedArgs): number {
  if (flagBool(args, 'rootless')) throw new CError('UNSUPPORTED', 'rootless specs are not supported yet', { hint: 'run as root without --rootless' });
  const dir = resolve(flagString(args, 'bundle') ?? '.');
  const path = join(dir, 'config.json');
  if (existsSync(path)) throw new CError('CONFLICT', `File ${path} exists. Remove it first`, { hint: 'delete the old config.json' });
  writeFileSync(path, `${JSON.stringify(defaultSpec(), null, '\t')}\n`);
  return 0;
}

/** Run the CLI; returns the exit status. */
export async function main(argv: readonly string[], options: { cgroups?: CgroupsFactory; sys?: Syscalls } = {}): Promise<number> {
  let log = new Logger(undefined, 'text', false);
  try {
    const global = parseFlags(argv, GLOBAL_FLAGS, true);
    const format = flagString(global, 'log-format') ?? 'text';
    if (format !== 'text' && format !== 'json') throw new CError('INVALID_ARGUMENT', `invalid --log-format ${format}`, { hint: 'use text or json' });
    log = new Logger(flagString(global, 'log'), format, flagBool(global, 'debug'));
    if (flagBool(global, 'version')) {
      process.stdout.write(`c-runtime version ${VERSION}\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    const [command, ...rest] = global.positionals;
    if (flagBool(global, 'help') || command === undefined || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined && !flagBool(global, 'help') ? 1 : 0;
    }
    const commandFlags = COMMAND_FLAGS[command];
    if (commandFlags === undefined) throw new CError('INVALID_ARGUMENT', `No help topic for '${command}'`, { hint: 'see c-runtime --help' });
    if (flagBool(global, 'systemd-cgroup')) {
      throw new CError('UNSUPPORTED', '--systemd-cgroup is not supported: c-runtime manages cgroupfs directly', { hint: 'drop --systemd-cgroup (podman: cgroup_manager = "cgroupfs")' });
    }
    const args = parseFlags(rest, commandFlags, command === 'exec');
    const sys = options.sys ?? linuxSyscalls;
    // `run` loads koffi at its first syscall instead: after it has made the cgroup directories and begun the
    // migration warm-up (container/run-direct.ts), so that grace period also covers koffi's ~3 ms. (Nothing can
    // reach pivot_root before koffi is loaded: the namespaces are entered through it first.)
    if (!options.sys && command !== 'run') preloadSyscalls();
    const ctx: Context = {
      sys,
      log,
      lifecycle: { store: new StateStore(flagString(global, 'root') ?? DEFAULT_STATE_ROOT), cgroups: options.cgroups ?? defaultCgroupsFactory() },
    };
    log.debug(`command ${command} ${rest.join(' ')}`);
    switch (command) {
      case 'create':
        return await cmdCreate(ctx, args, false);
      case 'run':
        return await cmdCreate(ctx, args, true);
      case 'start':
        await startContainer(ctx.lifecycle, requireId(args, command));
        return 0;
      case 'state':
        process.stdout.write(`${JSON.stringify(stateOf(ctx.lifecycle, requireId(args, command)), null, 2)}\n`);
        return 0;
      case 'kill':
        killContainer(ctx.lifecycle, requireId(args, command), parseSignal(args.positionals[1]), flagBool(args, 'all'));
        return 0;
      case 'delete':
        try {
          await deleteContainer(ctx.lifecycle, requireId(args, command), flagBool(args, 'force'));
        } catch (error) {
          // Like runc: `delete --force` of a container that is already gone succeeds (podman and containerd retry).
          if (!(flagBool(args, 'force') && isCError(error, 'NOT_FOUND'))) throw error;
        }
        return 0;
      case 'pause':
      case 'resume':
        await pauseContainer(ctx.lifecycle, requireId(args, command), command === 'pause');
        return 0;
      case 'exec':
        return await cmdExec(ctx, args);
      case 'list':
        return cmdList(ctx, args);
      case 'ps':
        return cmdPs(ctx, args);
      case 'spec':
        return cmdSpec(args);
      case 'features':
        process.stdout.write(`${JSON.stringify(features(), null, 2)}\n`);
        return 0;
      default:
        throw new CError('INVALID_ARGUMENT', `unknown command ${command}`, { hint: 'see c-runtime --help' });
    }
  } catch (error) {
    const e = toCError(error);
    log.error(e.hint ? `${e.message} (${e.hint})` : e.message);
    const exitCode = e.details.exitCode;
    return typeof exitCode === 'number' ? exitCode : 1;
  }
}
