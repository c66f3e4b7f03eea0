import { CError } from '@c/errors';

/**
 * v1 cpu.shares (2-262144, default 1024) → v2 cpu.weight (1-10000, default 100), the linear map runc and
 * crun use (so the same spec gives the same weight under any of them).
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  const clamped = Math.min(Math.max(shares, 2), 262144);
  return Math.floor(1 + ((clamped - 2) * 9999) / 262142);
}

/** v1 blkio weight (10-1000) → v2 io.weight (1-10000), as runc maps it. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  const clamped = Math.min(Math.max(weight, 10), 1000);
  return Math.floor(1 + ((clamped - 10) * 9999) / 990);
}

/** v2 cpu.max: "<quota|max> <period>". */
export function cpuMax(quota: number | undefined, period: number | undefined): string | undefined {
  if (quota === undefined && period === undefined) return undefined;
  const q = quota === undefined || quota < 0 ? 'max' : String(quota);
  return `${q} ${period ?? 100000}`;
}

/**
 * OCI swap is memory+swap (v1 memsw); v2 memory.swap.max is swap alone. -1 = unlimited; swap < limit is
 * invalid (runc's rule).
 */
export function swapToV2(limit: number | undefined, swap: number | undefined): string | undefined {
  if (swap === undefined) return undefined;
  if (swap === -1) return 'max';
  if (limit === undefined || limit === -1) {
    if (swap === 0) return '0';
    throw new CError('INVALID_ARGUMENT', `memory.swap ${swap} is set without a memory limit`, {
      hint: 'set linux.resources.memory.limit as well (swap is memory+swap in the OCI spec)',
    });
  }
  if (swap < limit) {
    throw new CError('INVALID_ARGUMENT', `memory.swap ${swap} is below memory.limit ${limit}`, {
      hint: 'memory.swap is memory+swap: make it at least the memory limit',
    });
  }
  return String(swap - limit);
}

/** A byte limit for a cgroup file: -1 → 'max' (v2) or -1 (v1, which takes -1 as unlimited). */
export function limitValue(value: number, version: 1 | 2): string {
  if (value < 0) return version === 2 ? 'max' : '-1';
  return String(Math.floor(value));
}

/** pids.max: limit ≤ 0 means unlimited. */
export function pidsMax(limit: number): string {
  return limit > 0 ? String(Math.floor(limit)) : 'max';
}
