// `run` with one Node start-up (issue #4): the CLI's main thread builds the container itself and a generated
// static program (init/final-shim.ts) is PID 1. Order, and why:
//  1. unshare(CLONE_FS), then the mount/uts/ipc/net namespaces and CLONE_NEWPID, on the main thread only;
//  2. spawn the shim (posix_spawn: a vfork from this thread), so it lands in those namespaces as PID 1 of the new pid
//     namespace, with our (full) credentials; it blocks on fd 3. procfs can only be mounted for a pid namespace
//     that has a process (/proc/PID/ns/pid_for_children is ENOENT until then), hence this early spawn;
//  3. it joins the container's cgroup itself (cgroup.procs files we opened, on its fds 4...: the migration's RCU
//     wait then overlaps our rootfs work) and unshares its cgroup namespace, which we join for the cgroup mounts;
//     rlimits (prlimit) and oom_score_adj are set on it from here;
//  4. the main thread builds the rootfs (procfs with `pidns=`), pivot_root (which moves the waiting shim's root
//     too: same mount namespace), masks, hostname, and resolves the executable in the container's PATH;
//  5. the main thread returns to its own namespaces, root and cwd; its credentials never changed, and nothing
//     else (rlimits, seccomp, no_new_privs) was applied to it;
//  6. state.json is written, then the path goes to the shim, which drops to the process's identity and execs.
// Kept on the two-process path (the caller falls back): non-x86_64, kernels without procfs `pidns=`, and specs
// that join an existing pid or cgroup namespace or have no new mount namespace.
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { CLONE, F_SEAL, MFD, O, SOCK, isSyscallError } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import { buildFinalShim, finalShimSupported } from '../init/final-shim';
import { enterNamespaces } from '../init/init-main';
import { lookPath } from '../init/lookpath';
import { setupRootfs } from '../init/rootfs';
import { cgroupsPathFor } from './cgroups-port';
import type { CgroupsFactory, ContainerCgroups } from './cgroups-port';
import type { CreatedContainer } from './create';
import { readHostFacts } from './host-facts';
import { planInit } from './init-config';
import { loadBundle } from './load-bundle';
import { openConsolePty, requireConsoleTarget } from './console-pty';
import { publishCreated } from './publish-created';
import { warmOwnCgroupMigration } from './warm-migration';
import { spawnProcess, waitExit } from './spawned-process';
import type { SpawnStdio } from './spawned-process';
import type { Spec } from '../spec/types';
import type { ContainerRecord, StateStore } from './state';

export interface DirectRunRequest {
  id: string;
  bundle: string;
  /**
   * The bundle's config.json as the caller has just written it (the engine): used instead of reading and parsing
   * the file again. `c-runtime run` leaves it out and reads the bundle.
   */
  spec?: Spec | undefined;
  store: StateStore;
  sys: Syscalls;
  cgroups: CgroupsFactory;
  pidFile?: string | undefined;
  consoleSocket?: string | undefined;
  keepPtyMaster?: boolean;
  /** The shim's 0-2 when the process has no terminal (default: this process's own, as `c-runtime run`). */
  stdio?: [SpawnStdio, SpawnStdio, SpawnStdio] | undefined;
  /**
   * Leave the built container waiting for "go" (the engine connects its network namespace first): the result's
   * `start()` sends it, `abandon()` closes the shim's socket (it then exits without running the process).
   */
  holdStart?: boolean;
  warn?: (message: string) => void;
}

/** A container built by `runDirect`: already running, or with `holdStart`, waiting for `start()`. */
export interface DirectCreated extends CreatedContainer {
  /**
   * Send "go" (once); a no-op without `holdStart`. Waits first for the shim's report that it joined the cgroup
   * (usually there already) and throws if the shim ended instead; the caller then kills and reaps it.
   */
  start(): void;
  /** Give up a held container before `start()`: the shim reads EOF and exits. The caller still kills and reaps it. */
  abandon(): void;
}

/** Remembers, per kernel release, that procfs refused `pidns=` (so later runs go straight to the init). */
const NO_PIDNS_MARK = '.procfs-no-pidns';

/** The namespaces the main thread changes, with its own ones to come back to. */
const RESTORE: readonly { proc: string; flag: number }[] = [
  { proc: 'mnt', flag: CLONE.NEWNS },
  { proc: 'uts', flag: CLONE.NEWUTS },
  { proc: 'ipc', flag: CLONE.NEWIPC },
  { proc: 'net', flag: CLONE.NEWNET },
  { proc: 'cgroup', flag: CLONE.NEWCGROUP },
  { proc: 'pid', flag: CLONE.NEWPID },
];

function writeSealedMemfd(sys: Syscalls, image: Buffer): number {
  let fd: number;
  try {
    fd = sys.memfdCreate('c-runtime-init', MFD.CLOEXEC | MFD.ALLOW_SEALING | MFD.EXEC);
  } catch (error) {
    if (!isSyscallError(error, 'EINVAL')) throw error; // MFD_EXEC: Linux 6.3+
    fd = sys.memfdCreate('c-runtime-init', MFD.CLOEXEC | MFD.ALLOW_SEALING);
  }
  try {
    for (let done = 0; done < image.length; ) done += writeSync(fd, image.subarray(done));
    sys.addSeals(fd, F_SEAL.WRITE | F_SEAL.GROW | F_SEAL.SHRINK | F_SEAL.SEAL);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Come back from the container's namespaces to ours (each setns is harmless if that one never changed). If that
 * fails, nothing this thread would do next (state files, cleanup) could be trusted to reach the host: stop here.
 * `release` first lets go of what the build holds: on a worker thread (decision 0016) process.exit ends only the
 * thread, without running any `finally`, and the process lives on, so the build's fds (the shim's socket among them:
 * the shim would wait on it for as long as the daemon runs) would stay open and its shim unreaped.
 */
export function restoreThread(sys: Syscalls, own: readonly { fd: number; flag: number }[], cwd: number, release: () => void): void {
  try {
    for (const { fd, flag } of own) sys.setns(fd, flag);
    sys.fchdir(cwd);
  } catch (error) {
    process.stderr.write(`c-runtime: cannot return to the host's namespaces after building the container: ${error instanceof Error ? error.message : String(error)}\n`);
    try {
      release();
    } catch {
      // ending anyway
    }
    process.exit(125);
  }
}

/** Why this host or spec cannot take the one-process path, or undefined if it can. */
export function directRunBlocker(store: StateStore, namespaces: readonly { type: string; path?: string | undefined }[]): string | undefined {
  if (process.env.C_RUNTIME_DIRECT === '0') return 'disabled by C_RUNTIME_DIRECT=0';
  if (!finalShimSupported()) return `no final-step program for ${process.arch}`;
  if (namespaces.some((n) => (n.type === 'pid' || n.type === 'cgroup') && n.path !== undefined)) return 'the spec joins an existing pid or cgroup namespace';
  // This thread builds the rootfs: only ever in a mount namespace of its own.
  if (!namespaces.some((n) => n.type === 'mount' && n.path === undefined)) return 'the spec has no new mount namespace';
  try {
    if (readFileSync(join(store.root, NO_PIDNS_MARK), 'utf8') === release()) return 'procfs has no pidns= option on this kernel';
  } catch {
    // no mark: try
  }
  return undefined;
}

/** How a build starts the shim and, when the build fails, reaps it again: the engine's worker threads get no SIGCHLD. */
export interface ShimProcesses<C extends { readonly pid: number }> {
  spawn(path: string, argv: readonly string[], stdio: readonly SpawnStdio[], extraFds: readonly number[]): C;
  /** Wait (bounded) until `child`, just sent SIGKILL, has ended. */
  reapKilled(child: C): Promise<void>;
}

/** What the shim waits for on its socket before it execs: the executable's path, NUL-terminated. */
export function goMessage(executable: string): Buffer {
  return Buffer.from(`${executable}\0`);
}

/** A container built and waiting for "go": what `runDirect` and the engine's worker threads make of it. */
export interface DirectBuild<C extends { readonly pid: number }> {
  record: ContainerRecord;
  child: C;
  cgroups: ContainerCgroups;
  ptyMaster: number | undefined;
  /** The shim's socket (ours to close): "go" is written to it; closing it unsent makes the shim exit. */
  control: number;
  /** The process's executable, resolved in the container's PATH: the shim's "go" names it. */
  executable: string;
  /** Blocks until the shim reports that it joined its cgroup; throws if it ended instead. */
  awaitCgroup(): void;
}

/**
 * `run` in this process (see the file comment). Returns undefined, having undone everything, when this host or
 * spec needs the two-process path; the caller then uses `createContainer` + `startContainer`.
 */
export async function runDirect(request: DirectRunRequest): Promise<DirectCreated | undefined> {
  // SpawnedProcess children, reaped on this thread's SIGCHLD.
  const built = await buildDirect(request, {
    spawn: (path, argv, stdio, extraFds) => spawnProcess(request.sys, path, argv, stdio, extraFds),
    reapKilled: (child) => waitExit(child, 5000),
  });
  if (built === undefined) return undefined;
  const { record, child, cgroups, ptyMaster } = built;
  const go = heldGo(built.control, built.executable, () => built.awaitCgroup());
  if (request.holdStart) return { record, child, cgroups, ptyMaster, ...go };
  go.start();
  return { record, child, cgroups, ptyMaster, start: () => {}, abandon: () => {} };
}

/**
 * The "go" of a built container: `start()` runs `beforeGo` (it throws if the shim did not join its cgroup), then
 * writes "go"; `abandon()` sends nothing (the shim exits). The first of them closes the shim's socket; later calls
 * do nothing.
 */
export function heldGo(control: number, executable: string, beforeGo: () => void): Pick<DirectCreated, 'start' | 'abandon'> {
  let held: number | undefined = control;
  const release = (send: boolean) => {
    if (held === undefined) return;
    const fd = held;
    held = undefined;
    try {
      if (send) {
        beforeGo();
        writeSync(fd, goMessage(executable));
      }
    } finally {
      closeSync(fd);
    }
  };
  return { start: () => release(true), abandon: () => release(false) };
}

/**
 * Builds the container up to its "go" (see the file comment) on the calling thread, with `processes` starting the
 * shim. Returns undefined, having undone everything, when this host or spec needs the two-process path.
 */
export async function buildDirect<C extends { readonly pid: number }>(request: Omit<DirectRunRequest, 'holdStart'>, processes: ShimProcesses<C>): Promise<DirectBuild<C> | undefined> {
  const { id, store, sys } = request;
  const warn = request.warn ?? (() => {});
  const { bundle, rootfs, validated } = loadBundle(request.bundle, request.spec);
  const spec = validated.spec;
  const cgroupNs = validated.namespaces.find((n) => n.type === 'cgroup');
  if (directRunBlocker(store, validated.namespaces) !== undefined) return undefined;
  const terminal = validated.process.terminal === true;
  requireConsoleTarget(terminal, request.consoleSocket, request.keepPtyMaster);
  store.create(id);
  let child: C | undefined;
  let cgroups: ContainerCgroups | undefined;
  let ptyMaster: number | undefined;
  let ptySlave: number | undefined;
  const fds: number[] = [];
  let procRefused = false;
  const open = (path: string, flags: number) => {
    const fd = openSync(path, flags | O.CLOEXEC);
    fds.push(fd);
    return fd;
  };
  const killShim = () => {
    if (child === undefined) return;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  try {
    cgroups = request.cgroups(cgroupsPathFor(id, spec.linux?.cgroupsPath));
    cgroups.prepare?.(spec.linux?.resources);
    // Twice: once the cgroup directories exist (while it waits, a cgroup.procs write holds cgroup_mutex, which
    // their mkdirs need), so the grace period overlaps the planning below; again just before the shim starts, to
    // stretch the cheap spell over its migration (the spell ends ~1-2 grace periods after the last taker).
    warmOwnCgroupMigration();
    let consolePath: string | undefined;
    if (terminal) {
      const pty = openConsolePty(sys);
      ptyMaster = pty.master;
      ptySlave = pty.slave;
      consolePath = pty.slavePath;
    }
    const host = readHostFacts(sys);
    const { config, warnings } = planInit(validated, bundle, '', host, { consolePath });
    for (const w of warnings) warn(w);
    const id_ = config.identity;
    // After prepare the directories exist and carry the limits: the shim writes itself into each.
    const procsFds = cgroups.directories().map((dir) => open(join(dir, 'cgroup.procs'), O.WRONLY));
    const shim = writeSealedMemfd(
      sys,
      buildFinalShim({
        cgroupProcsFds: procsFds.length,
        cgroupNamespace: cgroupNs !== undefined,
        bounding: BigInt(id_.capabilities.bounding),
        effective: BigInt(id_.capabilities.effective),
        permitted: BigInt(id_.capabilities.permitted),
        inheritable: BigInt(id_.capabilities.inheritable),
        ambient: BigInt(id_.capabilities.ambient),
        lastCap: id_.lastCap,
        uid: id_.user.uid,
        gid: id_.user.gid,
        additionalGids: id_.user.additionalGids ?? [],
        noNewPrivileges: id_.noNewPrivileges,
        seccomp: config.seccomp ? { program: Buffer.from(config.seccomp.program, 'base64'), flags: config.seccomp.flags } : undefined,
        cwd: config.process.cwd,
        terminal,
        args: config.process.args,
        env: config.process.env,
      }),
    );
    fds.push(shim);
    const [parentSock, childSock] = sys.socketpair(SOCK.SEQPACKET | SOCK.CLOEXEC);
    fds.push(parentSock, childSock);
    warmOwnCgroupMigration();
    const own = RESTORE.map(({ proc, flag }) => ({ fd: open(`/proc/thread-self/ns/${proc}`, O.RDONLY), flag }));
    const cwd = open('.', O.PATH);
    let executable: string;
    // The shim reports once it is in the cgroup (and its cgroup namespace). Only cgroup mounts (made before
    // pivot_root, with the host's /proc) need its cgroup namespace joined; otherwise the report is read just before
    // "go", so its migration (which may still wait out an RCU grace period) overlaps everything up to then.
    let joined = false;
    const awaitCgroup = (joinNamespace: boolean) => {
      if (joined) return;
      joined = true;
      if (readSync(parentSock, Buffer.alloc(1)) !== 1) {
        throw new CError('INTERNAL', `container ${id}: its init program ended while joining the cgroup`, { hint: 'see the message above' });
      }
      if (joinNamespace && cgroupNs !== undefined && child !== undefined) sys.setns(open(`/proc/${child.pid}/ns/cgroup`, O.RDONLY), CLONE.NEWCGROUP);
    };
    sys.unshare(CLONE.FS);
    try {
      enterNamespaces(sys, config.namespaces.filter((n) => n.type !== 'cgroup'));
      sys.unshare(CLONE.NEWPID);
      const stdio: SpawnStdio[] = ptySlave !== undefined ? [ptySlave, ptySlave, ptySlave] : (request.stdio ?? ['inherit', 'inherit', 'inherit']);
      // /proc is still the host's here: /proc/self is the child's own entry there.
      try {
        child = processes.spawn(`/proc/self/fd/${shim}`, ['c-runtime-init'], stdio, [childSock, ...procsFds]);
      } catch (error) {
        throw new CError('INTERNAL', `container ${id}: cannot start its init program: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          hint: 'check vm.memfd_noexec (it must allow executable memfds)',
        });
      }
      const pid = child.pid;
      for (const r of id_.rlimits) sys.prlimit(pid, r.resource, { soft: BigInt(r.soft), hard: BigInt(r.hard) });
      if (id_.oomScoreAdj !== undefined) writeFileSync(`/proc/${pid}/oom_score_adj`, String(id_.oomScoreAdj));
      try {
        setupRootfs(sys, { ...config.rootfs, procPidNamespace: `/proc/${pid}/ns/pid`, beforeCgroupMount: () => awaitCgroup(true) });
      } catch (error) {
        procRefused = isSyscallError(error, 'EINVAL') && String((error as Error).message).includes('proc');
        throw error;
      }
      mkdirSync(config.process.cwd, { recursive: true });
      executable = lookPath(config.process.args[0]!, config.process.env, config.process.cwd);
    } finally {
      restoreThread(sys, own, cwd, () => {
        killShim();
        // Ours, none closed yet (the thread ends before the clean-up below could run).
        for (const fd of [...fds, ptySlave, ptyMaster]) {
          try {
            if (fd !== undefined) closeSync(fd);
          } catch {
            // ending anyway
          }
        }
        // On a worker thread this reaps before it returns (reapKilledSync); on the main thread the process ends.
        if (child !== undefined) void processes.reapKilled(child);
      });
    }
    if (ptySlave !== undefined) {
      closeSync(ptySlave);
      ptySlave = undefined;
    }
    const pid = child.pid;
    const published = publishCreated({
      id,
      pid,
      loaded: { bundle, rootfs, validated },
      cgroupsPath: cgroups.path,
      store,
      sys,
      pidFile: request.pidFile,
      consoleSocket: request.consoleSocket,
      ptyMaster,
    });
    // The socket outlives this call: take it out of the fds the finally below closes.
    fds.splice(fds.indexOf(parentSock), 1);
    return {
      record: published.record,
      child,
      cgroups,
      ptyMaster: published.ptyMaster,
      control: parentSock,
      executable,
      awaitCgroup: () => awaitCgroup(false),
    };
  } catch (error) {
    killShim();
    if (child !== undefined) await processes.reapKilled(child);
    await cgroups?.destroy().catch((cause: unknown) => {
      warn(`container ${id}: its cgroup ${cgroups?.path ?? ''} could not be removed: ${cause instanceof Error ? cause.message : String(cause)}`);
    });
    if (ptySlave !== undefined) closeSync(ptySlave);
    if (ptyMaster !== undefined) closeSync(ptyMaster);
    store.remove(id);
    if (procRefused) {
      writeFileSync(join(store.root, NO_PIDNS_MARK), release());
      warn(`procfs refused pidns= (kernel ${release()}): using the two-process start`);
      return undefined;
    }
    throw error;
  } finally {
    for (const fd of fds) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
  }
}
