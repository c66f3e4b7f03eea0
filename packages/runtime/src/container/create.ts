import { closeSync } from 'node:fs';
import { CError } from '@c/errors';
import { S_IF } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import type { InitReport } from '../init/protocol';
import { cgroupsPathFor } from './cgroups-port';
import type { CgroupsFactory, ContainerCgroups } from './cgroups-port';
import { readHostFacts } from './host-facts';
import { planInit } from './init-config';
import { loadBundle } from './load-bundle';
import { defaultInitScript } from '../paths/runtime-files';
import { InitProcess } from './init-process';
import type { StdioEntry } from './spawn-init';
import { openConsolePty, requireConsoleTarget } from './console-pty';
import { publishCreated } from './publish-created';
import type { ContainerRecord, StateStore } from './state';
import { waitExit } from './spawned-process';
import type { InitChild } from './spawned-process';

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
  /**
   * A booted init started ahead of time (`InitProcess.spawnPooled`, a daemon's warm pool). Used instead of
   * spawning one when it fits the container (no pid namespace to join; stdio made of fds); otherwise it is killed
   * and a fresh init is spawned. Either way the caller must not use it again.
   */
  init?: InitProcess | undefined;
  warn?: (message: string) => void;
}

export interface CreatedContainer {
  record: ContainerRecord;
  child: InitChild;
  cgroups: ContainerCgroups;
  /** The pty master when `keepPtyMaster` was asked and the process has a terminal. */
  ptyMaster?: number | undefined;
}

function reportToError(report: Extract<InitReport, { type: 'error' }>): CError {
  return new CError(report.code as CError['code'], report.message, {
    hint: report.hint,
    details: { syscall: report.syscall, errno: report.errno, path: report.path, exitCode: report.exitCode ?? 1 },
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
  requireConsoleTarget(terminal, request.consoleSocket, request.keepPtyMaster);
  store.create(id);
  const fifo = store.fifoPath(id);
  let init: InitProcess | undefined;
  let cgroups: ContainerCgroups | undefined;
  let ptyMaster: number | undefined;
  let ptySlave: number | undefined;
  try {
    // Root's alone: the init opens it before its uid switch (init/exec-fifo.ts). chmod: mknod applies the umask.
    sys.mknod(fifo, S_IF.FIFO | 0o600, 0n);
    sys.chmod(fifo, 0o600);
    let consolePath: string | undefined;
    if (terminal) {
      const pty = openConsolePty(sys);
      ptyMaster = pty.master;
      ptySlave = pty.slave;
      consolePath = pty.slavePath;
    }
    const { config, warnings } = planInit(validated, bundle, fifo, readHostFacts(sys), { consolePath });
    for (const w of warnings) warn(w);
    const stdio: [StdioEntry, StdioEntry, StdioEntry] =
      ptySlave !== undefined ? [ptySlave, ptySlave, ptySlave] : (request.stdio ?? ['inherit', 'inherit', 'inherit']);
    const pidNamespacePath = validated.namespaces.find((n) => n.type === 'pid')?.path;
    // The only difference between a cold and a warm start: where the booted init comes from.
    const warm = request.init;
    const useWarm = warm?.fits({ pidNamespacePath, stdio }) === true;
    if (warm !== undefined && !useWarm) {
      warm.kill();
      warm.close();
    }
    init =
      useWarm && warm !== undefined
        ? warm
        : InitProcess.spawn(sys, { initScript: request.initScript ?? defaultInitScript(), pidNamespacePath, stdio, id });
    init.assign(id);
    init.setRef(true);
    const pid = init.pid;
    if (pid === undefined) {
      await new Promise((r) => setImmediate(r));
      throw new CError('INTERNAL', `cannot spawn the container init (${process.execPath})`, { hint: 'check that node can run here' });
    }
    // Make the cgroup and its limits while the init's Node starts (on another core, if there is one).
    cgroups = request.cgroups(cgroupsPathFor(id, spec.linux?.cgroupsPath));
    cgroups.prepare?.(spec.linux?.resources);
    await init.booted;
    // Only now into the cgroup: Node's start-up memory stays charged to us, and its threads exist before pids.max.
    cgroups.create(pid, spec.linux?.resources);
    init.send(config, stdio);
    if (ptySlave !== undefined) {
      closeSync(ptySlave);
      ptySlave = undefined;
    }
    const report = await init.next();
    if (report.type === 'error') throw reportToError(report);
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
    const record = published.record;
    ptyMaster = published.ptyMaster;
    init.close();
    return { record, child: init.child, cgroups, ptyMaster };
  } catch (error) {
    // A warm init handed in and never reached is ours to end as well.
    if (init === undefined && request.init !== undefined) {
      request.init.kill();
      request.init.close();
    }
    if (init !== undefined) {
      init.kill();
      init.close();
      if (init.pid !== undefined) await waitExit(init.child, 5000);
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
