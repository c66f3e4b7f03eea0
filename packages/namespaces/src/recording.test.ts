import { describe, expect, test } from 'vitest';
import { AF, CLONE, MNT, MS, MSG, SOCK } from './constants';
import { ExecveRecorded, RecordingSyscalls } from './recording';
import { SyscallError } from './syscall-error';
import type { Syscalls } from './syscalls';

/** A small rootfs plan of the kind the runtime runs, written against the interface. */
function enterRootfs(sys: Syscalls, rootfs: string): void {
  sys.unshare(CLONE.NEWNS | CLONE.NEWUTS);
  sys.mount(null, '/', null, MS.REC | MS.PRIVATE);
  sys.mount(rootfs, rootfs, null, MS.BIND | MS.REC);
  sys.chdir(rootfs);
  sys.pivotRoot('.', '.');
  sys.umount2('.', MNT.DETACH);
  sys.chdir('/');
  sys.sethostname('box');
}

describe('RecordingSyscalls', () => {
  test('records every call in order with its arguments', () => {
    const sys = new RecordingSyscalls();
    enterRootfs(sys, '/run/c/abc/rootfs');
    expect(sys.names()).toEqual(['unshare', 'mount', 'mount', 'chdir', 'pivotRoot', 'umount2', 'chdir', 'sethostname']);
    expect(sys.calls[0]).toEqual({ name: 'unshare', args: [CLONE.NEWNS | CLONE.NEWUTS] });
    expect(sys.callsOf('mount')[1]).toEqual(['/run/c/abc/rootfs', '/run/c/abc/rootfs', null, MS.BIND | MS.REC, null]);
    expect(sys.callsOf('umount2')).toEqual([['.', MNT.DETACH]]);
  });

  test('fails a chosen call with an errno and the same message the real one gives', () => {
    const sys = new RecordingSyscalls().failOn('mount', 'EINVAL', { when: (args) => args[1] === '/x/rootfs' });
    sys.mount('proc', '/proc', 'proc', 0);
    let error: unknown;
    try {
      sys.mount('overlay', '/x/rootfs', 'overlay', 0, 'lowerdir=/a');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SyscallError);
    const err = error as SyscallError;
    expect(err.message).toBe('mount(overlay → /x/rootfs) failed: EINVAL (Invalid argument)');
    expect(err.code).toBe('SYSCALL');
    expect(err.syscall).toBe('mount');
    expect(err.errno).toBe(22);
    expect(err.errnoName).toBe('EINVAL');
    expect(err.hint).toMatch(/arguments of mount/);
    // The failed call is still recorded: plans can assert what was attempted.
    expect(sys.callsOf('mount').length).toBe(2);
  });

  test('`times` limits how often a failure fires (EBUSY, then success)', () => {
    const sys = new RecordingSyscalls().failOn('umount2', 16, { times: 1 });
    expect(() => sys.umount2('/mnt')).toThrow(/umount2\(\/mnt\) failed: EBUSY/);
    expect(() => sys.umount2('/mnt')).not.toThrow();
  });

  test('returns scripted results, as values or functions of the arguments', () => {
    const sys = new RecordingSyscalls()
      .respond('getpid', 4242)
      .respond('openat2', (_dirfd, path) => (path === 'etc/passwd' ? 7 : 8))
      .respond('capget', { effective: 5n, permitted: 7n, inheritable: 0n });
    expect(sys.getpid()).toBe(4242);
    expect(sys.openat2(3, 'etc/passwd', { flags: 0 })).toBe(7);
    expect(sys.openat2(3, 'etc/group', { flags: 0 })).toBe(8);
    expect(sys.capget().permitted).toBe(7n);
  });

  test('hands out distinct fds by default and records execve by throwing ExecveRecorded', () => {
    const sys = new RecordingSyscalls();
    const a = sys.pidfdOpen(10);
    const b = sys.openpty().master;
    expect(a).not.toBe(b);
    expect(() => sys.execve('/bin/sh', ['sh', '-c', 'true'], ['PATH=/bin'])).toThrow(ExecveRecorded);
    expect(sys.callsOf('execve')).toEqual([['/bin/sh', ['sh', '-c', 'true'], ['PATH=/bin']]]);
  });

  test('copies mutable arguments so later changes do not rewrite history', () => {
    const sys = new RecordingSyscalls();
    const gids = [1, 2];
    sys.setgroups(gids);
    gids.push(3);
    expect(sys.callsOf('setgroups')).toEqual([[[1, 2]]]);
  });

  test('rejects unknown errno names', () => {
    expect(() => new RecordingSyscalls().failOn('mount', 'ENOPE')).toThrow(/ENOPE/);
  });

  test('records the socket calls and fails sendFds with the words of the real sendmsg', () => {
    const sys = new RecordingSyscalls().failOn('sendFds', 'EPIPE');
    const sock = sys.socket(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
    sys.connectUnix(sock, '/run/console.sock');
    expect(() => sys.sendFds(sock, [7], Buffer.from('/dev/ptmx'))).toThrow(`sendmsg(fd ${sock}, SCM_RIGHTS [7]) failed: EPIPE`);
    expect(sys.recvFds(sock)).toEqual({ data: Buffer.alloc(0), fds: [], truncated: false });
    sys.chmod('/dev/null', 0o666);
    expect(sys.names()).toEqual(['socket', 'connectUnix', 'sendFds', 'recvFds', 'chmod']);
    expect(sys.callsOf('connectUnix')).toEqual([[sock, '/run/console.sock']]);
  });

  test('records bind, send, recv and sendAsync; a scripted sendAsync failure rejects', async () => {
    const sys = new RecordingSyscalls().failOn('sendAsync', 'ENOBUFS', { times: 1 });
    const sock = sys.socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, 0);
    sys.bind(sock, Buffer.from([16, 0, 0, 0]));
    expect(sys.send(sock, Buffer.from('abc'))).toBe(3);
    expect(sys.recv(sock, Buffer.alloc(16), MSG.DONTWAIT)).toBe(0);
    await expect(sys.sendAsync(sock, Buffer.from('abcd'))).rejects.toThrow(`send(fd ${sock}, 4 bytes) on a worker thread failed: ENOBUFS`);
    await expect(sys.sendAsync(sock, Buffer.from('abcd'))).resolves.toBe(4);
    expect(sys.names()).toEqual(['socket', 'bind', 'send', 'recv', 'sendAsync', 'sendAsync']);
    expect(sys.callsOf('recv')).toEqual([[sock, Buffer.alloc(16), MSG.DONTWAIT]]);
  });
});
