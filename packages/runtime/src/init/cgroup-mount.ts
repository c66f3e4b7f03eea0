import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { MS } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';

/** A cgroup hierarchy as mounted on the host: its name under /sys/fs/cgroup and its mount data. */
export interface CgroupHierarchy {
  /** "memory", "cpu,cpuacct", "systemd", "unified", or "" for a pure v2 host. */
  name: string;
  version: 1 | 2;
  /** Mount data for a v1 hierarchy ("cpu,cpuacct", "name=systemd"). */
  data: string;
}

/** The cgroup hierarchies mounted in this mount namespace, from mountinfo text. */
export function parseCgroupHierarchies(mountinfo: string): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const mountPoint = left.split(' ')[4] ?? '';
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype === 'cgroup2') {
      out.push({ name: mountPoint === '/sys/fs/cgroup' ? '' : basename(mountPoint), version: 2, data: '' });
    } else if (fstype === 'cgroup') {
      const data = superOptions
        .split(',')
        .filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent='))
        .join(',');
      out.push({ name: basename(mountPoint), version: 1, data });
    }
  }
  return out;
}

/**
 * Mount a fresh cgroup tree on `target`: cgroup2 directly on a pure v2 host, otherwise a tmpfs with one mount per
 * host hierarchy. Mounted from inside the container's cgroup namespace, each shows only the container's subtree.
 */
export function mountCgroupTree(
  sys: Syscalls,
  target: string,
  flags: number,
  type: string,
  hierarchies: readonly CgroupHierarchy[] = parseCgroupHierarchies(readFileSync('/proc/self/mountinfo', 'utf8')),
): void {
  const pureV2 = type === 'cgroup2' || hierarchies.every((h) => h.version === 2 && h.name === '');
  if (pureV2) {
    sys.mount('cgroup2', target, 'cgroup2', flags);
    return;
  }
  sys.mount('tmpfs', target, 'tmpfs', flags & ~MS.RDONLY, 'mode=755');
  for (const h of hierarchies) {
    const dir = `${target}/${h.name}`;
    mkdirSync(dir, { recursive: true });
    if (h.version === 2) sys.mount('cgroup2', dir, 'cgroup2', flags);
    else sys.mount('cgroup', dir, 'cgroup', flags, h.data);
    // "cpu,cpuacct" is also reachable as "cpu" and "cpuacct", as on the host.
    if (h.name.includes(',')) for (const part of h.name.split(',')) symlinkSync(h.name, `${target}/${part}`);
  }
  if (flags & MS.RDONLY) sys.mount('tmpfs', target, null, MS.REMOUNT | MS.RDONLY | (flags & ~MS.RDONLY), 'mode=755');
}
