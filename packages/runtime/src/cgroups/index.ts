// cgroup managers for @c/runtime: v1 (legacy/hybrid hosts) and v2 (unified), chosen from /proc/self/mountinfo.
import { CError } from '@c/errors';
import type { Syscalls } from '@c/namespaces';
import { detectCgroupLayout, ownCgroups, type CgroupLayout } from './detect';
import { CgroupV1Manager } from './v1';
import { CgroupV2Manager } from './v2';
import type { CgroupManager } from './types';

export type {
  CgroupManager,
  CgroupStats,
  LinuxBlockIO,
  LinuxCpu,
  LinuxDeviceCgroup,
  LinuxMemory,
  LinuxPids,
  LinuxResources,
} from './types';
export { CgroupV1Manager, deviceRule, type CgroupV1Options } from './v1';
export { CgroupV2Manager, type CgroupV2Options } from './v2';
export { detectCgroupLayout, parseCgroupMounts, parseProcCgroup, ownCgroups, type CgroupLayout, type CgroupMount } from './detect';
export { sharesToWeight, blkioWeightToIoWeight, cpuMax, swapToV2 } from './convert';
export { compileDeviceFilter, encodeEbpf, runDeviceFilter, attachDeviceFilter, replaceDeviceFilter, type EbpfInstruction } from './device-filter';
export { normalizeCgroupPath, resolveCgroupPath } from './files';

export interface CgroupManagerOptions {
  /** Force a version; by default 2 on unified hosts, 1 on legacy and hybrid ones. */
  version?: 1 | 2;
  /** The host layout (default: detected from /proc/self/mountinfo). */
  layout?: CgroupLayout;
  /** v2 only: the cgroup2 mount to use (default: the detected one). */
  root?: string;
  /** This process's cgroups, as from /proc/self/cgroup (default: read it). */
  own?: Map<string, string>;
  /** For kill(2) in killAll (default: the real syscalls). */
  syscalls?: Syscalls;
}

/** A manager for this host's cgroup layout; call `create(path, resources)` on it. */
export function createCgroupManager(options: CgroupManagerOptions = {}): CgroupManager {
  const layout = options.layout ?? detectCgroupLayout();
  const version = options.version ?? (layout.mode === 'unified' ? 2 : 1);
  const own = options.own ?? ownCgroups();
  if (version === 2) {
    const root = options.root ?? layout.v2;
    if (!root) {
      throw new CError('UNSUPPORTED', 'no cgroup2 hierarchy is mounted', { hint: 'mount cgroup2 on /sys/fs/cgroup' });
    }
    return new CgroupV2Manager({ root, own: own.get('') ?? '/', ...(options.syscalls ? { syscalls: options.syscalls } : {}) });
  }
  if (layout.v1.size === 0) {
    throw new CError('UNSUPPORTED', 'no cgroup v1 hierarchies are mounted', { hint: 'use cgroup v2 (version: 2)' });
  }
  return new CgroupV1Manager({ layout, own, ...(options.syscalls ? { syscalls: options.syscalls } : {}) });
}
