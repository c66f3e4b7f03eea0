import { isCError } from '@c/errors';
import { describe, expect, test } from 'vitest';
import { DESCRIBE, flagNames } from './describe';
import { ERRNO, errnoMessage, errnoName, errnoNumber } from './errno';
import { CLONE, MS } from './constants';
import { SyscallError, isSyscallError } from './syscall-error';

describe('SyscallError', () => {
  test('names the call, its object and the errno', () => {
    const err = new SyscallError('mount', DESCRIBE.mount('overlay', '/x/rootfs', 'overlay', 0), 22);
    expect(err.message).toBe('mount(overlay → /x/rootfs) failed: EINVAL (Invalid argument)');
    expect(isCError(err, 'SYSCALL')).toBe(true);
    expect(isSyscallError(err, 'EINVAL')).toBe(true);
    expect(isSyscallError(err, 'EPERM')).toBe(false);
    expect(err.details).toMatchObject({ syscall: 'mount', errno: 22, errnoName: 'EINVAL' });
    expect(err.describe()).toContain(err.hint ?? 'no hint');
  });

  test('gives a privilege hint for EPERM and keeps a custom hint', () => {
    expect(new SyscallError('unshare', 'unshare(CLONE_NEWNS)', 1).hint).toMatch(/root/);
    expect(new SyscallError('x', 'x()', 1, { hint: 'do this' }).hint).toBe('do this');
  });

  test('unknown errnos still format', () => {
    expect(new SyscallError('x', 'x()', 4000).message).toBe('x() failed: E4000 (Unknown error 4000)');
  });
});

describe('errno table', () => {
  test('maps names and numbers both ways', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(38)).toBe('ENOSYS');
    expect(errnoMessage(2)).toBe('No such file or directory');
    expect(errnoNumber('EBUSY')).toBe(16);
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(ERRNO.EXDEV).toBe(18);
  });
});

describe('call descriptions', () => {
  test('spell out flags and objects', () => {
    expect(flagNames(CLONE, 'CLONE_', CLONE.NEWNS | CLONE.NEWUTS)).toBe('CLONE_NEWUTS|CLONE_NEWNS');
    expect(flagNames(MS, 'MS_', MS.BIND | MS.REC | (1 << 30))).toBe('MS_BIND|MS_REC|0x40000000');
    expect(DESCRIBE.unshare(CLONE.NEWPID)).toBe('unshare(CLONE_NEWPID)');
    expect(DESCRIBE.setns(5, CLONE.NEWNET)).toBe('setns(fd 5, net)');
    expect(DESCRIBE.mount('/src', '/dst', null, MS.BIND | MS.REC)).toBe('mount(/src → /dst, MS_BIND|MS_REC)');
    expect(DESCRIBE.pivotRoot('.', '.')).toBe('pivot_root(., .)');
    expect(DESCRIBE.openat2(3, 'etc/passwd', { flags: 0, resolve: 0x10 })).toBe('openat2(dirfd 3, etc/passwd, flags=0o0, resolve=RESOLVE_IN_ROOT)');
  });
});
