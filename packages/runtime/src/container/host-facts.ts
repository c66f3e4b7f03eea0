import { readFileSync } from 'node:fs';
import { capLastCap } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import type { HostFacts } from './init-config';

function capField(status: string, field: string): bigint {
  const match = new RegExp(`^${field}:\\s*([0-9a-f]+)`, 'm').exec(status);
  return match ? BigInt(`0x${match[1]}`) : 0n;
}

/** What this process may hand to a container: its bounding set and its rlimit ceilings. */
export function readHostFacts(sys: Syscalls): HostFacts {
  const status = readFileSync('/proc/self/status', 'utf8');
  const effective = capField(status, 'CapEff');
  return {
    availableCapabilities: capField(status, 'CapBnd') & capField(status, 'CapPrm'),
    canRaiseRlimits: ((effective >> 24n) & 1n) === 1n,
    hardLimit: (resource) => sys.getrlimit(resource).hard,
    lastCap: capLastCap(),
  };
}
