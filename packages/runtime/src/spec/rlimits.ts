import { CError } from '@c/errors';
import { RLIM_INFINITY, rlimitNumber } from '@c/namespaces';
import type { SpecRlimit } from './types';

export interface PlannedRlimit {
  type: string;
  resource: number;
  soft: bigint;
  hard: bigint;
}

export interface RlimitPlan {
  limits: PlannedRlimit[];
  /** One line per limit that was lowered to fit the caller's hard limit. */
  warnings: string[];
}

export type RlimitPolicy = 'clamp' | 'fail';

function toLimit(value: number): bigint {
  if (!Number.isFinite(value) || value >= 2 ** 63) return RLIM_INFINITY;
  if (value < 0) return RLIM_INFINITY; // -1 in some generators means unlimited
  return BigInt(Math.floor(value));
}

/**
 * Decide the rlimits to set. Without CAP_SYS_RESOURCE a process cannot raise a hard limit above its current one
 * (setrlimit → EPERM), so a request above `currentHard` is either clamped (policy 'clamp', with a warning) or
 * refused with a message naming the limit (policy 'fail').
 */
export function planRlimits(
  rlimits: readonly SpecRlimit[] | undefined,
  currentHard: (resource: number) => bigint,
  canRaise: boolean,
  policy: RlimitPolicy = 'clamp',
): RlimitPlan {
  const limits: PlannedRlimit[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const rlimit of rlimits ?? []) {
    const resource = rlimitNumber(rlimit.type);
    if (resource === undefined) {
      throw new CError('INVALID_ARGUMENT', `unknown rlimit type "${rlimit.type}" in process.rlimits`, {
        hint: 'use names like RLIMIT_NOFILE from getrlimit(2)',
      });
    }
    if (seen.has(rlimit.type)) {
      throw new CError('INVALID_ARGUMENT', `rlimit ${rlimit.type} is listed twice in process.rlimits`, {
        hint: 'keep one entry per rlimit type',
      });
    }
    seen.add(rlimit.type);
    let soft = toLimit(rlimit.soft);
    let hard = toLimit(rlimit.hard);
    if (soft > hard) {
      throw new CError('INVALID_ARGUMENT', `rlimit ${rlimit.type}: soft limit ${soft} is above the hard limit ${hard}`, {
        hint: 'set soft ≤ hard',
      });
    }
    const ceiling = currentHard(resource);
    if (!canRaise && hard > ceiling) {
      if (policy === 'fail') {
        throw new CError('PERMISSION_DENIED', `setrlimit ${rlimit.type}: hard limit ${hard} is above this host's ${ceiling} and the runtime lacks CAP_SYS_RESOURCE`, {
          hint: `lower the limit to at most ${ceiling}`,
          details: { rlimit: rlimit.type, requested: String(hard), max: String(ceiling) },
        });
      }
      warnings.push(`rlimit ${rlimit.type}: hard ${hard} clamped to ${ceiling} (no CAP_SYS_RESOURCE)`);
      hard = ceiling;
      if (soft > hard) soft = hard;
    }
    limits.push({ type: rlimit.type, resource, soft, hard });
  }
  return { limits, warnings };
}
