import { writeFileSync } from 'node:fs';
import { PR, isSyscallError } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import type { CapabilityMasks } from '../spec/capabilities';
import type { PlannedRlimit } from '../spec/rlimits';
import type { SpecUser } from '../spec/types';

/** What a container process gets on top of its filesystem view: identity, privileges, limits. */
export interface ProcessIdentity {
  user: SpecUser;
  capabilities: CapabilityMasks;
  rlimits: readonly PlannedRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number | undefined;
  /** The highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap: number;
}

/** Set the rlimits (while still privileged: lowering is always allowed, raising needs CAP_SYS_RESOURCE). */
export function applyRlimits(sys: Syscalls, rlimits: readonly PlannedRlimit[]): void {
  for (const limit of rlimits) sys.setrlimit(limit.resource, { soft: limit.soft, hard: limit.hard });
}

/**
 * Become the container's user with the spec's capabilities, in the only order that works:
 * drop from the bounding set (needs CAP_SETPCAP, so first), switch uid/gid keeping the permitted set
 * (PR_SET_KEEPCAPS), then set effective/permitted/inheritable, then the ambient set, then no_new_privs.
 */
export function applyIdentity(sys: Syscalls, identity: ProcessIdentity): void {
  if (identity.oomScoreAdj !== undefined) writeFileSync('/proc/self/oom_score_adj', String(identity.oomScoreAdj));
  const caps = identity.capabilities;
  for (let cap = 0; cap <= identity.lastCap; cap++) {
    if ((caps.bounding >> BigInt(cap)) & 1n) continue;
    try {
      sys.prctl(PR.CAPBSET_DROP, cap);
    } catch (error) {
      // EINVAL: the kernel does not know this capability; nothing to drop.
      if (!isSyscallError(error, 'EINVAL')) throw error;
    }
  }
  const { uid, gid, additionalGids } = identity.user;
  sys.prctl(PR.SET_KEEPCAPS, 1);
  sys.setgroups(additionalGids ?? []);
  sys.setresgid(gid, gid, gid);
  sys.setresuid(uid, uid, uid);
  sys.prctl(PR.SET_KEEPCAPS, 0);
  sys.capset({ effective: caps.effective, permitted: caps.permitted, inheritable: caps.inheritable });
  sys.prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (let cap = 0; cap <= identity.lastCap; cap++) {
    if ((caps.ambient >> BigInt(cap)) & 1n) sys.prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  if (identity.noNewPrivileges) sys.prctl(PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
