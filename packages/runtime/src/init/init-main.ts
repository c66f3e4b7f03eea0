import { closeSync, mkdirSync, openSync } from 'node:fs';
import { CError, isCError } from '@c/errors';
import { CLOSE_RANGE, NAMESPACES, O, PR, SIG, isSyscallError } from '@c/namespaces';
import type { NamespaceType, Syscalls } from '@c/namespaces';
import { awaitStart, holdExecFifo } from './exec-fifo';
import { lookPath } from './lookpath';
import { applyIdentity, applyRlimits } from './process-setup';
import type { InitConfig, InitReport } from './protocol';
import { setupRootfs } from './rootfs';
import { readLineSync, writeLineSync } from './sync-io';

/** fd 3 in the init: the socketpair to the parent (config in, report out). */
export const SYNC_FD = 3;
/** fd 4 in an init started ahead of its container: the container's stdio arrives there (SCM_RIGHTS). */
export const STDIO_FD = 4;

/**
 * A pooled init was spawned with /dev/null on 0-2: take the container's stdio from fd 4 and dup2 it into place
 * (before any namespace change, as a cold init would have had it from the start).
 */
export function receiveStdio(sys: Syscalls, targets: readonly number[]): void {
  if (targets.length > 0) {
    const got = sys.recvFds(STDIO_FD, { maxFds: targets.length, maxData: 16 });
    if (got.fds.length !== targets.length) {
      for (const fd of got.fds) sys.close(fd);
      throw new CError('INTERNAL', `the init expected ${targets.length} stdio fds on fd ${STDIO_FD} and got ${got.fds.length}`, { hint: 'the parent must send the fds before the plan' });
    }
    got.fds.forEach((fd, i) => {
      sys.dup3(fd, targets[i]!, 0);
      sys.close(fd);
    });
  }
  sys.close(STDIO_FD);
}

/** Join namespaces that have a path, then create the rest in one unshare. */
export function enterNamespaces(sys: Syscalls, namespaces: InitConfig['namespaces']): void {
  let flags = 0;
  for (const ns of namespaces) {
    const known = NAMESPACES[ns.type as NamespaceType];
    if (known === undefined || ns.type === 'pid') continue;
    if (ns.path !== undefined) {
      const fd = openSync(ns.path, O.RDONLY | O.CLOEXEC);
      try {
        sys.setns(fd, known.flag);
      } finally {
        closeSync(fd);
      }
    } else {
      flags |= known.flag;
    }
  }
  if (flags !== 0) sys.unshare(flags);
}

export function loadSeccomp(sys: Syscalls, seccomp: { program: string; flags: number }): void {
  sys.seccompSetFilter(Buffer.from(seccomp.program, 'base64'), seccomp.flags);
}

/** Make the process look like a fresh exec target: blocking stdio, no inherited fds, default signals. */
export function prepareExec(sys: Syscalls): void {
  for (const fd of [0, 1, 2]) {
    try {
      sys.setCloexec(fd, false);
      sys.setNonblocking(fd, false);
    } catch (error) {
      // A closed stdio fd stays closed.
      if (!isSyscallError(error, 'EBADF')) throw error;
    }
  }
  sys.closeRange(3, undefined, CLOSE_RANGE.CLOEXEC);
  sys.resetSignalDispositions();
  sys.sigprocmask(SIG.SETMASK, []);
}

function toReport(error: unknown): InitReport {
  if (isCError(error)) {
    const d = error.details;
    return {
      type: 'error',
      message: error.message,
      code: error.code,
      hint: error.hint,
      syscall: typeof d.syscall === 'string' ? d.syscall : undefined,
      errno: typeof d.errnoName === 'string' ? d.errnoName : undefined,
      path: typeof d.path === 'string' ? d.path : undefined,
      exitCode: typeof d.exitCode === 'number' ? d.exitCode : undefined,
    };
  }
  const e = error as NodeJS.ErrnoException;
  return { type: 'error', message: e?.message ?? String(error), code: 'INTERNAL', errno: e?.code, path: e?.path, syscall: e?.syscall };
}

/**
 * The container's init, start to execve. Runs as PID 1 of the new pid namespace, synchronously (after unshare only
 * the main thread is inside the namespaces). Returns only if something failed (the report has been sent).
 */
export function runInit(sys: Syscalls): number {
  // Non-dumpable: other processes (there are none in the pid ns yet) could not open /proc/1/exe (the host's node).
  sys.prctl(PR.SET_DUMPABLE, 0);
  writeLineSync(SYNC_FD, { type: 'booted' } satisfies InitReport);
  const line = readLineSync(SYNC_FD);
  if (line === null) return 1; // The parent went away before sending a config.
  const config = JSON.parse(line) as InitConfig;
  let executable: string;
  let execFifo: number;
  try {
    if (config.stdioFds !== undefined) receiveStdio(sys, config.stdioFds);
    // While still root on the host: the wait for `start` then needs no access to the fifo after the uid switch.
    execFifo = holdExecFifo(config.execFifo);
    enterNamespaces(sys, config.namespaces);
    setupRootfs(sys, config.rootfs);
    if (config.process.terminal) {
      try {
        sys.setsid();
      } catch (error) {
        if (!isSyscallError(error, 'EPERM')) throw error; // already a session leader (spawned detached)
      }
      sys.setControllingTerminal(0);
    }
    const id = config.identity;
    applyRlimits(
      sys,
      id.rlimits.map((r) => ({ type: r.type, resource: r.resource, soft: BigInt(r.soft), hard: BigInt(r.hard) })),
    );
    mkdirSync(config.process.cwd, { recursive: true });
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have it.
    if (config.seccomp && !id.noNewPrivileges) loadSeccomp(sys, config.seccomp);
    applyIdentity(sys, {
      user: id.user,
      capabilities: {
        bounding: BigInt(id.capabilities.bounding),
        effective: BigInt(id.capabilities.effective),
        inheritable: BigInt(id.capabilities.inheritable),
        permitted: BigInt(id.capabilities.permitted),
        ambient: BigInt(id.capabilities.ambient),
      },
      rlimits: [],
      noNewPrivileges: id.noNewPrivileges,
      oomScoreAdj: id.oomScoreAdj,
      lastCap: id.lastCap,
    });
    sys.chdir(config.process.cwd);
    executable = lookPath(config.process.args[0]!, config.process.env, config.process.cwd);
  } catch (error) {
    writeLineSync(SYNC_FD, toReport(error));
    return 1;
  }
  writeLineSync(SYNC_FD, { type: 'ready' } satisfies InitReport);
  try {
    // Blocks until `start` writes to the fifo. The init stays non-dumpable until execve (which resets that).
    awaitStart(execFifo);
    prepareExec(sys);
    // With no_new_privs, as late as possible: the filter then only has to allow execve itself.
    if (config.seccomp && config.identity.noNewPrivileges) loadSeccomp(sys, config.seccomp);
    sys.execve(executable, config.process.args, config.process.env);
  } catch (error) {
    process.stderr.write(`c-runtime init: ${toReport(error).type === 'error' ? (error as Error).message : String(error)}\n`);
    return 127;
  }
}
