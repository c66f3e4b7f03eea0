import { describe, expect, it } from 'vitest';
import { matchesFilters, validateFilters } from './filters';
import { BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS, BACKOFF_START_MS, nextBackoff, parseRestartPolicy, shouldRestart } from './restart-policy';
import type { ContainerRecord } from './types';

describe('restart policies', () => {
  it('parses docker\'s forms and refuses the rest', () => {
    expect(parseRestartPolicy(undefined)).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('always')).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure')).toEqual({ Name: 'on-failure', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:5')).toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    for (const bad of ['sometimes', 'on-failure:x', 'on-failure:-1', 'always:3', 'on-failure:1:2']) expect(() => parseRestartPolicy(bad)).toThrow();
  });

  it('decides like docker', () => {
    const f = (exitCode: number, restartCount = 0, manuallyStopped = false) => ({ exitCode, restartCount, manuallyStopped });
    expect(shouldRestart(parseRestartPolicy('no'), f(1))).toBe(false);
    expect(shouldRestart(parseRestartPolicy('always'), f(0))).toBe(true);
    expect(shouldRestart(parseRestartPolicy('always'), f(0, 0, true))).toBe(false);
    expect(shouldRestart(parseRestartPolicy('unless-stopped'), f(2))).toBe(true);
    expect(shouldRestart(parseRestartPolicy('on-failure'), f(0))).toBe(false);
    expect(shouldRestart(parseRestartPolicy('on-failure'), f(1, 100))).toBe(true);
    expect(shouldRestart(parseRestartPolicy('on-failure:2'), f(1, 1))).toBe(true);
    expect(shouldRestart(parseRestartPolicy('on-failure:2'), f(1, 2))).toBe(false);
  });

  it('backs off exponentially, capped, and starts over after a long run', () => {
    const delays: number[] = [];
    let d = 0;
    for (let i = 0; i < 14; i++) {
      d = nextBackoff(d, 50);
      delays.push(d);
    }
    expect(delays.slice(0, 4)).toEqual([BACKOFF_START_MS, 200, 400, 800]);
    expect(Math.max(...delays)).toBe(BACKOFF_MAX_MS);
    expect(delays.at(-1)).toBe(BACKOFF_MAX_MS);
    expect(nextBackoff(BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS)).toBe(BACKOFF_START_MS);
  });
});

function record(over: { id?: string; name?: string; status?: ContainerRecord['State']['Status']; exit?: number; labels?: Record<string, string>; image?: string; imageId?: string }): ContainerRecord {
  return {
    Id: over.id ?? 'a'.repeat(64),
    Name: over.name ?? '/one',
    State: { Status: over.status ?? 'running', ExitCode: over.exit ?? 0 },
    Image: over.imageId ?? `sha256:${'f'.repeat(64)}`,
    Config: { Labels: over.labels ?? {}, Image: over.image ?? 'busybox' },
  } as unknown as ContainerRecord;
}

describe('list filters', () => {
  it('id prefix, name regexp, status, exited', () => {
    const r = record({ id: `abc${'0'.repeat(61)}`, name: '/web-1', status: 'exited', exit: 3 });
    expect(matchesFilters(r, { id: ['abc'] })).toBe(true);
    expect(matchesFilters(r, { id: ['abd'] })).toBe(false);
    expect(matchesFilters(r, { name: ['^web'] })).toBe(true);
    expect(matchesFilters(r, { name: ['db', 'web'] })).toBe(true);
    expect(matchesFilters(r, { name: ['^db'] })).toBe(false);
    expect(matchesFilters(r, { status: ['running', 'exited'] })).toBe(true);
    expect(matchesFilters(r, { status: ['running'] })).toBe(false);
    expect(matchesFilters(r, { exited: ['3'] })).toBe(true);
    expect(matchesFilters(r, { exited: ['0'] })).toBe(false);
    expect(matchesFilters(r, { status: ['exited'], name: ['^db'] })).toBe(false);
  });

  it('labels (all must hold), ancestor by name forms and by id prefix', () => {
    const r = record({ labels: { a: '1', b: '' }, image: 'docker.io/library/busybox:latest', imageId: `sha256:beef${'0'.repeat(60)}` });
    expect(matchesFilters(r, { label: ['a'] })).toBe(true);
    expect(matchesFilters(r, { label: ['a=1', 'b'] })).toBe(true);
    expect(matchesFilters(r, { label: ['a=2'] })).toBe(false);
    expect(matchesFilters(r, { label: ['a', 'c'] })).toBe(false);
    for (const name of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox:latest', 'beef', 'sha256:beef0']) {
      expect(matchesFilters(r, { ancestor: [name] })).toBe(true);
    }
    expect(matchesFilters(r, { ancestor: ['busybox:1.36'] })).toBe(false);
    expect(matchesFilters(r, { ancestor: ['alpine'] })).toBe(false);
  });

  it('unknown keys and bad values are refused', () => {
    expect(() => validateFilters({ colour: ['red'] })).toThrow(/invalid filter 'colour'/);
    expect(() => validateFilters({ status: ['sleeping'] })).toThrow(/invalid filter 'status=sleeping'/);
    expect(() => validateFilters({ exited: ['x'] })).toThrow(/invalid filter 'exited=x'/);
    expect(() => validateFilters({ status: ['paused'], label: ['x'] })).not.toThrow();
  });
});
