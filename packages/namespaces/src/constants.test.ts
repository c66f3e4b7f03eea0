import { describe, expect, test } from 'vitest';
import { ARM64, X86_64, archTable } from './arch/index';
import {
  CAPABILITY_NAMES,
  CAP_LAST_CAP_KNOWN,
  capLastCap,
  capabilityMask,
  capabilityName,
  capabilityNames,
  capabilityNumber,
} from './capabilities';
import { CLONE, MS, RLIM_INFINITY, RLIMIT, makedev, rlimitNumber, signalNumber } from './constants';

describe('architecture tables', () => {
  test('pick the table for process.arch and refuse others', () => {
    expect(archTable('x64')).toBe(X86_64);
    expect(archTable('arm64')).toBe(ARM64);
    expect(() => archTable('ia32')).toThrow(/ia32/);
  });

  test('numbers that differ between x86_64 and arm64', () => {
    expect([X86_64.nr.pivot_root, ARM64.nr.pivot_root]).toEqual([155, 41]);
    expect([X86_64.nr.seccomp, ARM64.nr.seccomp]).toEqual([317, 277]);
    expect([X86_64.nr.gettid, ARM64.nr.gettid]).toEqual([186, 178]);
    expect([X86_64.openFlags.DIRECTORY, ARM64.openFlags.DIRECTORY]).toEqual([0o200000, 0o40000]);
  });

  test('the hand-kept numbers agree with the generated full tables', () => {
    for (const table of [X86_64, ARM64]) {
      for (const [name, nr] of Object.entries(table.nr)) expect(table.syscalls[name], `${table.name} ${name}`).toBe(nr);
    }
    expect(X86_64.syscalls.openat).toBe(257);
    expect(ARM64.syscalls.openat).toBe(56);
    expect(ARM64.syscalls.open).toBeUndefined();
  });
});

describe('capabilities', () => {
  test('names and numbers', () => {
    expect(capabilityNumber('CAP_SYS_ADMIN')).toBe(21);
    expect(capabilityNumber('net_raw')).toBe(13);
    expect(capabilityNumber('CAP_NOPE')).toBeUndefined();
    expect(capabilityName(40)).toBe('CAP_CHECKPOINT_RESTORE');
    expect(capabilityName(50)).toBe('CAP_50');
    expect(CAPABILITY_NAMES.length).toBe(CAP_LAST_CAP_KNOWN + 1);
  });

  test('masks round-trip', () => {
    const mask = capabilityMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_CHECKPOINT_RESTORE']);
    expect(mask).toBe((1n << 0n) | (1n << 5n) | (1n << 40n));
    expect(capabilityNames(mask)).toEqual(['CAP_CHOWN', 'CAP_KILL', 'CAP_CHECKPOINT_RESTORE']);
    expect(() =>
      capabilityMask(['CAP_BOGUS'], (name) => {
        throw new Error(`unknown ${name}`);
      }),
    ).toThrow('unknown CAP_BOGUS');
  });

  test('cap_last_cap comes from the kernel', () => {
    expect(capLastCap()).toBeGreaterThanOrEqual(36);
    expect(capLastCap('/nonexistent')).toBe(CAP_LAST_CAP_KNOWN);
  });
});

describe('constants', () => {
  test('clone and mount flags have their kernel values', () => {
    expect(CLONE.NEWNS).toBe(0x20000);
    expect(CLONE.NEWUSER).toBe(0x10000000);
    expect(MS.REC | MS.PRIVATE).toBe(0x44000);
    expect(MS.BIND).toBe(4096);
  });

  test('signals by name or number', () => {
    expect(signalNumber('SIGTERM')).toBe(15);
    expect(signalNumber('kill')).toBe(9);
    expect(signalNumber('9')).toBe(9);
    expect(signalNumber('RTMIN+2')).toBe(36);
    expect(signalNumber('SIGRTMAX')).toBe(64);
    expect(signalNumber('SIGNOPE')).toBeUndefined();
    expect(signalNumber(65)).toBeUndefined();
  });

  test('rlimits', () => {
    expect(rlimitNumber('RLIMIT_NOFILE')).toBe(RLIMIT.NOFILE);
    expect(rlimitNumber('nproc')).toBe(6);
    expect(rlimitNumber('RLIMIT_BOGUS')).toBeUndefined();
    expect(RLIM_INFINITY).toBe(2n ** 64n - 1n);
  });

  test('makedev matches glibc for small and large numbers', () => {
    expect(makedev(1, 3)).toBe(0x103n);
    expect(makedev(259, 0)).toBe(0x10300n);
    expect(makedev(8, 300)).toBe(0x10082cn);
  });
});
