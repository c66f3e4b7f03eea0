import { readFileSync } from 'node:fs';

/** One cgroup mount from /proc/self/mountinfo. */
export interface CgroupMount {
  mountPoint: string;
  /** 'cgroup' (v1) or 'cgroup2'. */
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers bound to this hierarchy ('cpu', 'cpuacct', 'name=systemd'...). */
  controllers: string[];
  /** The cgroup of the mount's root, relative to the hierarchy root (usually '/'). */
  root: string;
}

export interface CgroupLayout {
  /** 'unified' = pure v2; 'hybrid' = v1 controllers plus a cgroup2 mount; 'legacy' = v1 only. */
  mode: 'unified' | 'hybrid' | 'legacy';
  /** v1 controller name → its mount point. */
  v1: Map<string, string>;
  /** The cgroup2 mount point, if any. */
  v2: string | undefined;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** The cgroup mounts in a mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    const controllers =
      fsType === 'cgroup'
        ? superOptions.split(',').filter((o) => !['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec'].includes(o) && !o.startsWith('release_agent=') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr' && o !== 'cpuset_v2_mode')
        : [];
    mounts.push({ mountPoint: unescapeMountPath(mountPoint), fsType, controllers, root: unescapeMountPath(root) });
  }
  return mounts;
}

/** Works out whether the host runs cgroup v1, v2 or both, from /proc/self/mountinfo. */
export function detectCgroupLayout(mountinfo: string = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupLayout {
  const mounts = parseCgroupMounts(mountinfo);
  const v1 = new Map<string, string>();
  for (const mount of mounts) {
    if (mount.fsType !== 'cgroup') continue;
    // The first mount of a hierarchy wins (bind mounts of it elsewhere show the same controllers).
    for (const controller of mount.controllers) if (!v1.has(controller)) v1.set(controller, mount.mountPoint);
  }
  const v2Mounts = mounts.filter((m) => m.fsType === 'cgroup2');
  const v2 = (v2Mounts.find((m) => m.mountPoint === '/sys/fs/cgroup') ?? v2Mounts[0])?.mountPoint;
  const realV1 = [...v1.keys()].some((c) => !c.startsWith('name='));
  const mode = !realV1 && v2 !== undefined ? 'unified' : v2 !== undefined ? 'hybrid' : 'legacy';
  return { mode, v1, v2 };
}

/** A process's cgroup per v1 controller ('memory' → '/a/b') and its v2 path under key ''. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = '', path = '/'] = match;
    if (controllers === '') paths.set('', path);
    else for (const controller of controllers.split(',')) paths.set(controller, path);
  }
  return paths;
}

/** This process's (or `pid`'s) cgroup paths, from /proc/PID/cgroup. */
export function ownCgroups(pid: number | 'self' = 'self'): Map<string, string> {
  return parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
}

let hostLayout: CgroupLayout | undefined;
let selfCgroups: Map<string, string> | undefined;

/** `detectCgroupLayout()` and `ownCgroups()` of this process, read once (neither changes while c runs). */
export function hostCgroupFacts(): { layout: CgroupLayout; own: Map<string, string> } {
  hostLayout ??= detectCgroupLayout();
  selfCgroups ??= ownCgroups();
  return { layout: hostLayout, own: selfCgroups };
}
