import { describe, expect, test } from 'vitest';
import { blkioWeightToIoWeight, cpuMax, limitValue, pidsMax, sharesToWeight, swapToV2 } from './convert';
import { normalizeCgroupPath, parseIoBytes, resolveCgroupPath } from './files';
import { deviceRule } from './v1';

describe('v1 → v2 conversions', () => {
  test('cpu shares map linearly onto cpu.weight', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(sharesToWeight(1)).toBe(1);
    expect(sharesToWeight(10 ** 9)).toBe(10000);
  });

  test('blkio weight maps onto io.weight', () => {
    expect(blkioWeightToIoWeight(10)).toBe(1);
    expect(blkioWeightToIoWeight(500)).toBe(4950);
    expect(blkioWeightToIoWeight(1000)).toBe(10000);
  });

  test('cpu.max from quota and period', () => {
    expect(cpuMax(50000, 100000)).toBe('50000 100000');
    expect(cpuMax(-1, 100000)).toBe('max 100000');
    expect(cpuMax(20000, undefined)).toBe('20000 100000');
    expect(cpuMax(undefined, 50000)).toBe('max 50000');
    expect(cpuMax(undefined, undefined)).toBeUndefined();
  });

  test('OCI swap (memory+swap) becomes v2 swap-only', () => {
    expect(swapToV2(100, 300)).toBe('200');
    expect(swapToV2(100, 100)).toBe('0');
    expect(swapToV2(100, -1)).toBe('max');
    expect(swapToV2(undefined, undefined)).toBeUndefined();
    expect(() => swapToV2(300, 100)).toThrow(/below memory.limit/);
    expect(() => swapToV2(undefined, 100)).toThrow(/without a memory limit/);
  });

  test('limits and pids', () => {
    expect(limitValue(-1, 2)).toBe('max');
    expect(limitValue(-1, 1)).toBe('-1');
    expect(limitValue(1048576, 2)).toBe('1048576');
    expect(pidsMax(0)).toBe('max');
    expect(pidsMax(-1)).toBe('max');
    expect(pidsMax(32)).toBe('32');
  });
});

describe('resolveCgroupPath', () => {
  test('absolute paths count from the root, relative ones from our own cgroup', () => {
    expect(resolveCgroupPath('/c/abc')).toBe('/c/abc');
    expect(resolveCgroupPath('c/abc', '/user.slice/me')).toBe('/user.slice/me/c/abc');
    expect(resolveCgroupPath('/c//abc/')).toBe('/c/abc');
  });

  test('refuses .., empty and root paths', () => {
    expect(() => resolveCgroupPath('/c/../../etc')).toThrow(expect.objectContaining({ code: 'UNSAFE_CONTENT' }));
    expect(() => resolveCgroupPath('../x', '/a')).toThrow(/'\.\.'/);
    expect(() => resolveCgroupPath('')).toThrow(/empty/);
    expect(() => resolveCgroupPath('/')).toThrow(/root cgroup/);
  });
});

describe('deviceRule', () => {
  test('formats v1 devices.allow/deny lines', () => {
    expect(deviceRule({ allow: false })).toBe('a *:* rwm');
    expect(deviceRule({ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' })).toBe('c 1:3 rw');
    expect(deviceRule({ allow: true, type: 'b', major: 8, minor: -1, access: 'r' })).toBe('b 8:* r');
    expect(() => deviceRule({ allow: true, type: 'x' })).toThrow(/type "x"/);
    expect(() => deviceRule({ allow: true, type: 'c', access: 'rwx' })).toThrow(/access "rwx"/);
  });
});

describe('normalizeCgroupPath', () => {
  test('keeps relative paths relative', () => {
    expect(normalizeCgroupPath('/c//x/')).toBe('/c/x');
    expect(normalizeCgroupPath('c/x')).toBe('c/x');
    expect(() => normalizeCgroupPath('c/../..')).toThrow();
  });
});

describe('parseIoBytes', () => {
  test('sums v1 and v2 per-device counters', () => {
    expect(parseIoBytes('8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 4\nTotal 4612\n')).toEqual({ readBytes: 4100, writeBytes: 512 });
    expect(parseIoBytes('8:0 rbytes=10 wbytes=20 rios=1 wios=1\n')).toEqual({ readBytes: 10, writeBytes: 20 });
    expect(parseIoBytes('')).toEqual({ readBytes: 0, writeBytes: 0 });
  });
});
