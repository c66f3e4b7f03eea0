import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, rmdirSync, constants as fsConstants } from 'node:fs';
import { BPF_CGROUP_DEVICE, linuxSyscalls } from '@c/namespaces';
import type { CgroupManager } from './types';

/** Root with CAP_SYS_ADMIN: the cgroup tests write to /sys/fs/cgroup. */
export function isPrivileged(): boolean {
  if (process.getuid?.() !== 0) return false;
  const capEff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return capEff !== undefined && (BigInt(`0x${capEff}`) & (1n << 21n)) !== 0n;
}

/** This process's open eBPF program fds (a device filter's fd kept open would leak one per container). */
export function bpfProgFds(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:bpf-prog';
    } catch {
      return false; // the fd readdir itself used, closed by now
    }
  }).length;
}

/** The ids of the device programs attached to the cgroup directory itself (BPF_PROG_QUERY). */
export function attachedDevicePrograms(dir: string): number[] {
  const fd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    return linuxSyscalls.bpfProgQuery(fd, BPF_CGROUP_DEVICE);
  } finally {
    closeSync(fd);
  }
}

export interface Waiting {
  child: ChildProcess;
  pid: number;
  /** Let the child go on (it blocks reading one line from stdin until then). */
  release(): void;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
}

/**
 * Spawns `sh -c "read _; <script>"`: the child waits until `release()`, so the test can move it into a cgroup
 * before it does anything worth limiting.
 */
export function spawnWaiting(script: string, children: ChildProcess[]): Waiting {
  const child = spawn('/bin/sh', ['-c', `read _; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  return {
    child,
    pid: child.pid ?? -1,
    release: () => child.stdin?.end('go\n'),
    exit,
  };
}

/** Kills what a test spawned, whatever state it is in. */
export function killChildren(children: ChildProcess[]): void {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Kills and removes every manager's cgroups; removes what is left by hand so a failed test never leaks a cgroup. */
export async function destroyManagers(managers: CgroupManager[]): Promise<void> {
  for (const manager of managers.splice(0)) {
    const dirs = manager.directories();
    try {
      await manager.killAll();
      await manager.destroy();
    } finally {
      for (const dir of dirs) if (existsSync(dir)) rmdirSync(dir);
    }
  }
}
