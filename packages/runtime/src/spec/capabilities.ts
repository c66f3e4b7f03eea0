import { CError } from '@c/errors';
import { capabilityNames, capabilityNumber } from '@c/namespaces';
import type { SpecCapabilities } from './types';

/** Docker's default capability set (moby oci/caps/defaults.go), used by `c-runtime spec --docker-caps` and the engine. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** The five capability sets as 64-bit masks. */
export interface CapabilityMasks {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

export interface ResolvedCapabilities {
  masks: CapabilityMasks;
  /** Capabilities the spec asked for that this host cannot grant (outside `available`); dropped with a warning. */
  unavailable: string[];
}

/** Turn a list of capability names into a mask; unknown names are an INVALID_ARGUMENT error. */
export function capabilityMask(names: readonly string[] | undefined, setName = 'capabilities'): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const number = capabilityNumber(name);
    if (number === undefined) {
      throw new CError('INVALID_ARGUMENT', `unknown capability "${name}" in process.capabilities.${setName}`, {
        hint: 'use names like CAP_NET_ADMIN from capabilities(7)',
        details: { capability: name },
      });
    }
    mask |= 1n << BigInt(number);
  }
  return mask;
}

/**
 * Resolve the spec's capability sets against what the calling process can grant (`available`, usually its
 * bounding set). A capability outside `available` cannot be kept by any means, so it is dropped and reported,
 * like runc's "ignoring unknown or unavailable capabilities" warning.
 */
export function resolveCapabilities(caps: SpecCapabilities | undefined, available: bigint): ResolvedCapabilities {
  const requested: CapabilityMasks = {
    bounding: capabilityMask(caps?.bounding, 'bounding'),
    effective: capabilityMask(caps?.effective, 'effective'),
    inheritable: capabilityMask(caps?.inheritable, 'inheritable'),
    permitted: capabilityMask(caps?.permitted, 'permitted'),
    ambient: capabilityMask(caps?.ambient, 'ambient'),
  };
  const all = requested.bounding | requested.effective | requested.inheritable | requested.permitted | requested.ambient;
  const unavailable = capabilityNames(all & ~available);
  const masks: CapabilityMasks = {
    bounding: requested.bounding & available,
    effective: requested.effective & available,
    inheritable: requested.inheritable & available,
    permitted: requested.permitted & available,
    ambient: requested.ambient & available,
  };
  // The kernel only keeps an ambient capability that is also permitted and inheritable.
  masks.ambient &= masks.permitted & masks.inheritable;
  // Effective must be a subset of permitted or capset(2) fails with EPERM.
  masks.effective &= masks.permitted;
  return { masks, unavailable };
}

export { capabilityNames };
