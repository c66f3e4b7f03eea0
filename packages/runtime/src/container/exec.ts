import type { ChildProcess } from 'node:child_process';
import { closeSync, lstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { CError } from '@c/errors';
import { CLONE, NAMESPACES, O, PR } from '@c/namespaces';
import type { NamespaceType, Syscalls } from '@c/namespaces';
import { createCttyShim } from '../console/ctty-shim';
import { connectUnixSocket, sendFdOverSocket } from '../console/send-fd';
import { lookPath } from '../init/lookpath';
import { applyIdentity, applyRlimits } from '../init/process-setup';
import { resolveCapabilities } from '../spec/capabilities';
import { planRlimits } from '../spec/rlimits';
import type { SpecProcess } from '../spec/types';
import { validateProcess } from '../spec/validate';
import { readHostFacts } from './host-facts';
import { compileSeccomp } from './init-config';
import { loadSeccomp } from '../init/init-main';
import { statusOf } from './lifecycle';
import type { Lifecycle } from './lifecycle';
import { childProcess } from './child-process';

/** Order of setns: mnt last, because joining it changes our root and the /proc we would open the others from. */
const JOIN_ORDER: readonly NamespaceType[] = ['cgroup', 'ipc', 'uts', 'network', 'pid', 'mount'];

export interface ExecRequest {
  id: string;
  process: SpecProcess;
  pidFile?: string | undefined;
  detach?: boolean;
  /** With process.terminal: send the pty master to this unix socket (connected before joining the container). */
  consoleSocket?: string | undefined;
  /** With process.terminal and no console socket: receives the pty master to copy to and from. */
  onPtyMaster?: (master: number) => void;
  warn?: (message: string) => void;
}

/**
 * The controlling-terminal shim as a memfd, if it can run here: an architecture with a shim and a procfs at the
 * container's /proc (checked after joining its mount namespace). Otherwise the payload runs without a ctty.
 */
function cttyShim(sys: Syscalls, warn: ((message: string) => void) | undefined): number | undefined {
  let procfs = false;
  try {
    procfs = lstatSync('/proc/self').isSymbolicLink();
  } catch {
    // no /proc in the container
  }
  const fd = procfs ? createCttyShim(sys) : undefined;
  if (fd === undefined) warn?.(`exec --tty: the terminal cannot become the process's controlling terminal here (${procfs ? `no shim for ${process.arch}` : 'the container has no /proc'})`);
  return fd;
}

export interface ExecHandle {
  child: ChildProcess;
  pid: number;
}

function sameNamespace(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/**
 * `exec`: this process joins the container (cgroup, then every namespace its init is in), takes on the process's
 * identity and spawns the payload, which lands in the container's pid namespace. No node process ever appears
 * inside the container: the only window is the payload's own fork-to-execve, and it inherits non-dumpable, so
 * container processes cannot open its /proc/PID/exe. After this call this process can no longer act on the host.
 */
export function execInContainer(ctx: Lifecycle, sys: Syscalls, request: ExecRequest): ExecHandle {
  const record = ctx.store.read(request.id);
  const status = statusOf(ctx, record);
  if (status !== 'running') {
    throw new CError('CONFLICT', `cannot exec in a ${status} container: ${request.id}`, { hint: status === 'created' ? `start it first: c-runtime start ${request.id}` : 'the container is not running' });
  }
  const proc = validateProcess(request.process, 'exec process');
  // Plan with the host's view: after setns(mnt) /proc no longer shows this process.
  const host = readHostFacts(sys);
  const caps = resolveCapabilities(proc.capabilities, host.availableCapabilities);
  const rlimits = planRlimits(proc.rlimits, host.hardLimit, host.canRaiseRlimits);
  const seccomp = compileSeccomp(record.seccomp);
  for (const w of rlimits.warnings) request.warn?.(w);
  const pidFileFd = request.pidFile !== undefined ? openSync(request.pidFile, O.WRONLY | O.CREAT | O.TRUNC | O.CLOEXEC, 0o644) : undefined;
  const consoleSock = proc.terminal && request.consoleSocket !== undefined ? connectUnixSocket(request.consoleSocket, sys) : undefined;
  const nsFds: { fd: number; flag: number }[] = [];
  try {
    sys.prctl(PR.SET_DUMPABLE, 0);
    ctx.cgroups(record.cgroupsPath).addProcess(process.pid);
    for (const type of JOIN_ORDER) {
      const name = NAMESPACES[type].procName;
      const theirs = `/proc/${record.pid}/ns/${name}`;
      if (sameNamespace(theirs, `/proc/self/ns/${type === 'pid' ? 'pid_for_children' : name}`)) continue;
      nsFds.push({ fd: openSync(theirs, O.RDONLY | O.CLOEXEC), flag: NAMESPACES[type].flag });
    }
    // The init's environment is its own business; check it is still the same process before joining.
    readFileSync(`/proc/${record.pid}/stat`);
    sys.unshare(CLONE.FS);
    for (const { fd, flag } of nsFds) sys.setns(fd, flag);
  } finally {
    for (const { fd } of nsFds) closeSync(fd);
  }
  const env = proc.env ?? [];
  let ptySlave: number | undefined;
  let ctty: number | undefined;
  if (proc.terminal) {
    // posix_openpt now opens the container's /dev/ptmx: the pty belongs to the container's devpts.
    const pty = sys.openpty();
    ptySlave = openSync(pty.slavePath, O.RDWR | O.NOCTTY);
    ctty = cttyShim(sys, request.warn);
    if (consoleSock !== undefined) {
      sendFdOverSocket(consoleSock, pty.master, pty.slavePath, sys);
      closeSync(consoleSock);
      closeSync(pty.master);
    } else {
      request.onPtyMaster?.(pty.master);
    }
  }
  applyRlimits(sys, rlimits.limits);
  const noNewPrivileges = proc.noNewPrivileges === true;
  if (seccomp && !noNewPrivileges) loadSeccomp(sys, seccomp);
  applyIdentity(sys, {
    user: proc.user,
    capabilities: caps.masks,
    rlimits: [],
    noNewPrivileges: proc.noNewPrivileges === true,
    oomScoreAdj: undefined,
    lastCap: host.lastCap,
  });
  const executable = lookPath(proc.args![0]!, env, proc.cwd);
  // The filter binds this thread and what it spawns; this process only waits for the child from here on.
  if (seccomp && noNewPrivileges) loadSeccomp(sys, seccomp);
  const envObject: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    envObject[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  // Detached or not, the process keeps our stdio (conmon and containerd hand their pipes to `exec -d`).
  const stdio = ptySlave !== undefined ? [ptySlave, ptySlave, ptySlave] : ['inherit', 'inherit', 'inherit'];
  // With a tty the child runs the shim first (setsid, TIOCSCTTY on fd 0, execve): the pty becomes the payload's
  // controlling terminal, so ^C on it signals the payload. /proc/self is the child's in the container's procfs.
  const [file, args, argv0] =
    ctty !== undefined ? [`/proc/self/fd/${ctty}`, [executable, ...proc.args!], 'c-runtime-ctty'] : [executable, proc.args!.slice(1), proc.args![0]!];
  const child = childProcess().spawn(file, args, {
    argv0,
    cwd: proc.cwd,
    env: envObject,
    stdio: stdio as ('inherit' | 'ignore' | number)[],
    detached: request.detach === true || ptySlave !== undefined,
  });
  if (ptySlave !== undefined) closeSync(ptySlave);
  if (ctty !== undefined) closeSync(ctty);
  if (child.pid === undefined) {
    throw new CError('INTERNAL', `exec: cannot spawn ${executable} in container ${request.id}`, { hint: 'check the executable and its interpreter in the container' });
  }
  if (pidFileFd !== undefined) {
    writeSync(pidFileFd, String(child.pid));
    closeSync(pidFileFd);
  }
  return { child, pid: child.pid };
}
