// The worker-thread side of BuildThreads (build-threads.ts): builds each ordered container with buildDirect on
// this thread and answers in plain data. Orders are built one at a time (the build is synchronous up to its
// clean-up), each in namespaces this thread enters and leaves again.
import type { MessagePort } from 'node:worker_threads';
import type { Syscalls } from '@c/namespaces';
import { defaultCgroupsFactory } from './cgroups-adapter';
import { buildDirect } from './run-direct';
import { reapKilledSync, spawnPid } from './spawned-process';
import { StateStore } from './state';
import { toThreadError } from './build-threads';
import type { BuildOrder, BuildReply, ThreadError } from './build-threads';

/** How long a killed shim of a failed build may take to end before the build's clean-up goes on. */
const REAP_MS = 5000;

export function serveBuilds(port: MessagePort, sys: Syscalls): void {
  const cgroups = defaultCgroupsFactory();
  const stores = new Map<string, StateStore>();
  const send = (reply: BuildReply) => port.postMessage(reply);
  port.on('message', (order: BuildOrder) => {
    void build(order).then(send, (error: unknown) => send({ seq: order.seq, error: toThreadError(error) }));
  });
  send({ ready: true });

  async function build(order: BuildOrder): Promise<BuildReply> {
    let store = stores.get(order.stateRoot);
    if (store === undefined) stores.set(order.stateRoot, (store = new StateStore(order.stateRoot)));
    const built = await buildDirect(
      {
        id: order.id,
        bundle: order.bundle,
        spec: order.spec,
        store,
        sys,
        cgroups,
        stdio: order.stdio,
        keepPtyMaster: order.keepPtyMaster,
        consoleSocket: order.consoleSocket,
        pidFile: order.pidFile,
        warn: (warning) => send({ seq: order.seq, warning }),
      },
      {
        spawn: (path, argv, stdio, extraFds) => ({ pid: spawnPid(sys, path, argv, stdio, extraFds) }),
        // One still there (stuck in the kernel) is the main thread's to reap, on its SIGCHLD: not a zombie for good.
        reapKilled: async (child) => {
          if (!reapKilledSync(sys, child.pid, REAP_MS)) send({ seq: order.seq, unreaped: child.pid });
        },
      },
    );
    if (built === undefined) return { seq: order.seq, fallback: true };
    // Waited for here, off the caller's thread: the shim's cgroup migration may still be waiting out an RCU grace
    // period. A failure is the start's to report (as runDirect's start() would), not the build's.
    let joinError: ThreadError | undefined;
    try {
      built.awaitCgroup();
    } catch (error) {
      joinError = toThreadError(error);
    }
    return {
      seq: order.seq,
      built: { record: built.record, pid: built.child.pid, ptyMaster: built.ptyMaster, control: built.control, executable: built.executable, joinError },
    };
  }
}
