import { readFileSync } from 'node:fs';

/** Capability names in kernel order: the index is the capability number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

const NUMBER_BY_NAME = new Map<string, number>(CAPABILITY_NAMES.map((name, index) => [name, index]));

/** The number of a capability: 'CAP_SYS_ADMIN' or 'SYS_ADMIN' (any case) → 21; undefined if unknown. */
export function capabilityNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  return NUMBER_BY_NAME.get(upper.startsWith('CAP_') ? upper : `CAP_${upper}`);
}

/** The name of a capability number, or `CAP_<n>` for numbers newer than this table. */
export function capabilityName(cap: number): string {
  return CAPABILITY_NAMES[cap] ?? `CAP_${cap}`;
}

/** The highest capability this table knows (CAP_CHECKPOINT_RESTORE = 40). */
export const CAP_LAST_CAP_KNOWN = CAPABILITY_NAMES.length - 1;

/** The running kernel's highest capability number, from /proc/sys/kernel/cap_last_cap. */
export function capLastCap(procFile = '/proc/sys/kernel/cap_last_cap'): number {
  try {
    const value = Number(readFileSync(procFile, 'utf8').trim());
    return Number.isInteger(value) && value >= 0 ? value : CAP_LAST_CAP_KNOWN;
  } catch {
    return CAP_LAST_CAP_KNOWN;
  }
}

/** A 64-bit capability mask from names or numbers; unknown names throw through `onUnknown`. */
export function capabilityMask(caps: Iterable<string | number>, onUnknown?: (name: string) => never): bigint {
  let mask = 0n;
  for (const cap of caps) {
    const n = typeof cap === 'number' ? cap : capabilityNumber(cap);
    if (n === undefined || n < 0 || n > 63) {
      if (onUnknown) onUnknown(String(cap));
      continue;
    }
    mask |= 1n << BigInt(n);
  }
  return mask;
}

/** The capability names set in a mask, in number order. */
export function capabilityNames(mask: bigint): string[] {
  const names: string[] = [];
  for (let cap = 0; cap < 64; cap++) if (mask & (1n << BigInt(cap))) names.push(capabilityName(cap));
  return names;
}
