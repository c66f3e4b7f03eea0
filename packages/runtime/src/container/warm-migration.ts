// Moving a process into a cgroup takes the kernel's global cgroup_threadgroup_rwsem for writing; its first taker
// after a quiet spell waits for an RCU grace period (6-9 ms measured here, v1 and v2 alike), and takers within
// ~10 ms after that pay ~0.2 ms. Writing our own pid to the cgroup.procs of the cgroup we are already in takes
// that lock without moving anything. Done on libuv's thread pool, the grace period passes while the main thread
// keeps building the container, and the init's own migration a few ms later is cheap.
import { close, openSync, write } from 'node:fs';
import { join } from 'node:path';
import { hostCgroupFacts } from '../cgroups/detect';

/**
 * Start the grace period in the background: `ownCgroupDirectory` is a directory of this process's current cgroup
 * (any hierarchy; the lock is global). Best effort: any failure only means no head start.
 */
export function warmCgroupMigration(ownCgroupDirectory: string | undefined): void {
  if (ownCgroupDirectory === undefined) return;
  let fd: number;
  try {
    fd = openSync(join(ownCgroupDirectory, 'cgroup.procs'), 'w');
  } catch {
    return;
  }
  write(fd, String(process.pid), () => close(fd, () => {}));
}

let ownDirectory: string | null | undefined;

/**
 * `warmCgroupMigration` on this process's own cgroup, found once from /proc (for a daemon: call it when a request
 * will lead to a start, e.g. at create, so the grace period has passed by then).
 */
export function warmOwnCgroupMigration(): void {
  if (ownDirectory === undefined) {
    try {
      const { layout, own } = hostCgroupFacts();
      const [controller, mount] = layout.v2 !== undefined ? ['', layout.v2] : ([...layout.v1.entries()][0] ?? []);
      ownDirectory = mount === undefined ? null : join(mount, own.get(controller ?? '') ?? '/');
    } catch {
      ownDirectory = null;
    }
  }
  warmCgroupMigration(ownDirectory ?? undefined);
}
