import type { ChildProcess, StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { CLONE, O } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import { childProcess } from './child-process';

export { defaultInitScript } from '../paths/runtime-files';

export type StdioEntry = Exclude<StdioOptions, string>[number];

export interface SpawnInitOptions {
  initScript: string;
  /** Join this pid namespace instead of creating one. */
  pidNamespacePath?: string | undefined;
  /** fds 0-2 for the init; fd 3 is always the sync socketpair. Extra entries follow. */
  stdio: StdioEntry[];
}

/**
 * Spawn the init as PID 1 of a new pid namespace: unshare(CLONE_NEWPID) only changes where *children* go, so spawn
 * right after and setns back to our own pid namespace, all synchronously (an await or a new thread in between
 * would leave Node's own future children in the container's namespace).
 */
export function spawnInit(sys: Syscalls, options: SpawnInitOptions): ChildProcess {
  const own = openSync('/proc/self/ns/pid', O.RDONLY | O.CLOEXEC);
  try {
    if (options.pidNamespacePath !== undefined) {
      const target = openSync(options.pidNamespacePath, O.RDONLY | O.CLOEXEC);
      try {
        sys.setns(target, CLONE.NEWPID);
      } finally {
        closeSync(target);
      }
    } else {
      sys.unshare(CLONE.NEWPID);
    }
    try {
      const stdio: StdioEntry[] = [...options.stdio.slice(0, 3), 'pipe', ...options.stdio.slice(3)];
      // A clean environment: NODE_OPTIONS and friends from the caller must not reach the init.
      return childProcess().spawn(process.execPath, [options.initScript], { stdio, detached: true, env: {} });
    } finally {
      sys.setns(own, CLONE.NEWPID);
    }
  } finally {
    closeSync(own);
  }
}
