import { describe, expect, it } from 'vitest';
import { applyProbe, healthCommand, healthTiming, HEALTH_DEFAULTS } from './health';
import type { ContainerRecord } from './types';

function running(startedAt: string): ContainerRecord {
  return { State: { Running: true, StartedAt: startedAt, Health: { Status: 'starting', FailingStreak: 0, Log: [] } } } as unknown as ContainerRecord;
}

describe('healthchecks', () => {
  it('commands: CMD, CMD-SHELL, NONE', () => {
    expect(healthCommand(['CMD', 'curl', '-f', 'http://x'])).toEqual(['curl', '-f', 'http://x']);
    expect(healthCommand(['CMD-SHELL', 'test -f /ok'])).toEqual(['/bin/sh', '-c', 'test -f /ok']);
    expect(healthCommand(['NONE'])).toBeUndefined();
    expect(healthCommand([])).toBeUndefined();
    expect(healthCommand(undefined)).toBeUndefined();
  });

  it('timing: nanoseconds to ms with docker defaults', () => {
    expect(healthTiming({})).toEqual(HEALTH_DEFAULTS);
    expect(healthTiming({ Interval: 2e9, Timeout: 5e8, Retries: 5, StartPeriod: 1e10 })).toEqual({ intervalMs: 2000, timeoutMs: 500, retries: 5, startPeriodMs: 10_000 });
  });

  it('healthy on success, unhealthy after Retries failures, failures in the start period do not count', () => {
    const timing = { intervalMs: 1000, timeoutMs: 1000, retries: 2, startPeriodMs: 5000 };
    const t0 = Date.UTC(2024, 0, 1);
    const r = running(new Date(t0).toISOString());
    const at = (s: number) => new Date(t0 + s * 1000);
    expect(applyProbe(r, { exitCode: 1, output: 'no' }, at(1), at(1), timing)).toBe(false);
    expect(r.State.Health).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(applyProbe(r, { exitCode: 0, output: 'ok' }, at(2), at(2), timing)).toBe(true);
    expect(r.State.Health).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    // After becoming healthy, failures count even inside the start period.
    applyProbe(r, { exitCode: 1, output: 'x' }, at(3), at(3), timing);
    expect(r.State.Health).toMatchObject({ Status: 'healthy', FailingStreak: 1 });
    expect(applyProbe(r, { exitCode: 1, output: 'x' }, at(4), at(4), timing)).toBe(true);
    expect(r.State.Health).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    for (let i = 0; i < 10; i++) applyProbe(r, { exitCode: 1, output: 'y'.repeat(10_000) }, at(10 + i), at(10 + i), timing);
    expect(r.State.Health!.Log).toHaveLength(5);
    expect(r.State.Health!.Log[0]!.Output.length).toBe(4096);
    applyProbe(r, { exitCode: 0, output: '' }, at(30), at(30), timing);
    expect(r.State.Health).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
  });
});
