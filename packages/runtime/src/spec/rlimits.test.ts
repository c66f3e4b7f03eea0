import { describe, expect, it } from 'vitest';
import { RLIM_INFINITY } from '@c/namespaces';
import { planRlimits } from './rlimits';

const hard = (resource: number) => (resource === 7 ? 20000n : RLIM_INFINITY);

describe('planRlimits', () => {
  it('clamps a hard limit above the host\'s when the runtime lacks CAP_SYS_RESOURCE, with a warning', () => {
    const plan = planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], hard, false);
    expect(plan.limits).toEqual([{ type: 'RLIMIT_NOFILE', resource: 7, soft: 20000n, hard: 20000n }]);
    expect(plan.warnings[0]).toMatch(/RLIMIT_NOFILE.*1048576.*20000/);
  });

  it('keeps limits below the ceiling, and any limit when raising is allowed', () => {
    expect(planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }], hard, false).limits[0]).toMatchObject({ soft: 1024n, hard: 4096n });
    expect(planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], hard, true).warnings).toEqual([]);
  });

  it('fails with PERMISSION_DENIED naming the limit under the fail policy', () => {
    expect(() => planRlimits([{ type: 'RLIMIT_NOFILE', soft: 30000, hard: 30000 }], hard, false, 'fail')).toThrow(/RLIMIT_NOFILE.*20000/);
  });

  it('treats 2^64-1 (as JSON rounds it) as unlimited and rejects soft > hard and duplicates', () => {
    expect(planRlimits([{ type: 'RLIMIT_CORE', soft: 2 ** 64, hard: 2 ** 64 }], hard, false).limits[0]!.hard).toBe(RLIM_INFINITY);
    expect(() => planRlimits([{ type: 'RLIMIT_CORE', soft: 10, hard: 5 }], hard, false)).toThrow(/soft limit/);
    expect(() =>
      planRlimits(
        [
          { type: 'RLIMIT_CORE', soft: 1, hard: 1 },
          { type: 'RLIMIT_CORE', soft: 1, hard: 1 },
        ],
        hard,
        false,
      ),
    ).toThrow(/twice/);
  });
});
