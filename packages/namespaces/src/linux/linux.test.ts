import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { constants as fsConstants, closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { AF, AT_FDCWD, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE, FS_FL, LOCK, MSG, O, RESOLVE, RLIMIT, S_IF, SIGNALS, SOCK, makedev } from '../constants';
import { isSyscallError } from '../syscall-error';
import { isPrivileged, runInChild } from '../test-support/child';
import { linuxSyscalls as sys, procSelfFd } from './index';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'c-ns-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fdinfoFlags(fd: number): number {
  return Number.parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? 'x', 8);
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(256);
  return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
}

describe('unix sockets with SCM_RIGHTS', () => {
  function pair(): [number, number] {
    const fds = sys.socketpair(SOCK.STREAM | SOCK.CLOEXEC);
    cleanups.push(() => fds.forEach((fd) => closeSync(fd)));
    return fds;
  }

  function fileWith(text: string): number {
    const path = join(tempDir(), 'f');
    writeFileSync(path, text);
    const fd = openSync(path, 'r');
    cleanups.push(() => closeSync(fd));
    return fd;
  }

  test('sendFds passes open files that recvFds turns into new, close-on-exec fds of the same files', () => {
    const [a, b] = pair();
    const one = fileWith('first');
    const two = fileWith('second');
    expect(sys.sendFds(a, [one, two], Buffer.from('/dev/ptmx'))).toBe(9);
    const got = sys.recvFds(b, { maxFds: 4 });
    cleanups.push(() => got.fds.forEach((fd) => closeSync(fd)));
    expect(got.data.toString()).toBe('/dev/ptmx');
    expect(got.truncated).toBe(false);
    expect(got.fds).toHaveLength(2);
    expect(got.fds).not.toContain(one);
    expect(got.fds.map(readAll)).toEqual(['first', 'second']);
    expect(fstatSync(got.fds[0] ?? -1).ino).toBe(fstatSync(one).ino);
    for (const fd of got.fds) expect(fdinfoFlags(fd) & O.CLOEXEC).toBe(O.CLOEXEC);
  });

  test('recvFds reports truncation when more fds arrive than it has room for', () => {
    const [a, b] = pair();
    const one = fileWith('1');
    // Only this file's fds: a count of all fds would also see any fd another thread opens meanwhile.
    const target = readlinkSync(`/proc/self/fd/${one}`);
    const fdsOfFile = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === target;
      } catch {
        return false; // the fd readdir itself used, closed by now
      }
    }).length;
    expect(fdsOfFile()).toBe(1);
    sys.sendFds(a, [one, one, one], Buffer.from('x'));
    const got = sys.recvFds(b, { maxFds: 1 });
    // The fds that did not fit are closed, not leaked.
    expect(fdsOfFile()).toBe(2);
    cleanups.push(() => got.fds.forEach((fd) => closeSync(fd)));
    expect(got.fds).toHaveLength(1);
    expect(got.truncated).toBe(true);
    expect(readAll(got.fds[0] ?? -1)).toBe('1');
  });

  test('a message without fds comes back with none', () => {
    const [a, b] = pair();
    writeSync(a, 'plain');
    const got = sys.recvFds(b);
    expect(got).toEqual({ data: Buffer.from('plain'), fds: [], truncated: false });
  });

  test('sendFds refuses an empty payload and an empty fd list before calling the kernel', () => {
    const [a] = pair();
    expect(() => sys.sendFds(a, [0], new Uint8Array())).toThrow(/payload is empty/);
    expect(() => sys.sendFds(a, [], Buffer.from('x'))).toThrow(/0 fds/);
  });

  test('socket + connectUnix reach a listening server; a missing path fails with ENOENT naming it', async () => {
    const dir = tempDir();
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => server.close());
    const accepted = new Promise<void>((resolve) => server.once('connection', (c) => { c.destroy(); resolve(); }));
    const fd = sys.socket(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
    cleanups.push(() => closeSync(fd));
    sys.connectUnix(fd, path);
    await accepted;
    const other = sys.socket(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
    cleanups.push(() => closeSync(other));
    let failure: unknown;
    try {
      sys.connectUnix(other, join(dir, 'missing'));
    } catch (error) {
      failure = error;
    }
    expect(isSyscallError(failure, 'ENOENT')).toBe(true);
    expect(String(failure)).toContain(`connect(fd ${other}, ${join(dir, 'missing')}) failed: ENOENT`);
    expect(() => sys.connectUnix(other, `/${'x'.repeat(120)}`)).toThrow(/ENAMETOOLONG/);
  });
});

describe('netlink sockets: socket, bind, send, recv, sendAsync', () => {
  const NETLINK_ROUTE = 0;
  const RTM_GETLINK = 18;
  const RTM_NEWLINK = 16;
  const NLM_F_REQUEST = 1;

  /** RTM_GETLINK for interface index 1 (lo, in every network namespace), with sequence number `seq`. */
  function getLoopback(seq: number): Buffer {
    const message = Buffer.alloc(32);
    message.writeUInt32LE(32, 0);
    message.writeUInt16LE(RTM_GETLINK, 4);
    message.writeUInt16LE(NLM_F_REQUEST, 6);
    message.writeUInt32LE(seq, 8);
    message.writeInt32LE(1, 20); // ifinfomsg.ifi_index
    return message;
  }

  function routeSocket(): number {
    const fd = sys.socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, NETLINK_ROUTE);
    cleanups.push(() => closeSync(fd));
    const address = Buffer.alloc(12); // struct sockaddr_nl: family, pad, pid 0 (the kernel picks), groups 0
    address.writeUInt16LE(AF.NETLINK, 0);
    sys.bind(fd, address);
    return fd;
  }

  test('a bound NETLINK_ROUTE socket answers RTM_GETLINK for lo; recv with DONTWAIT fails EAGAIN once drained', () => {
    const fd = routeSocket();
    const request = getLoopback(7);
    expect(sys.send(fd, request)).toBe(request.length);
    const buffer = Buffer.alloc(65536);
    const got = sys.recv(fd, buffer, MSG.DONTWAIT);
    expect(got).toBeGreaterThan(32);
    expect(buffer.readUInt16LE(4)).toBe(RTM_NEWLINK);
    expect(buffer.readUInt32LE(8)).toBe(7);
    expect(buffer.readInt32LE(20)).toBe(1);
    let failure: unknown;
    try {
      sys.recv(fd, buffer, MSG.DONTWAIT);
    } catch (error) {
      failure = error;
    }
    expect(isSyscallError(failure, 'EAGAIN')).toBe(true);
    expect(String(failure)).toContain(`recv(fd ${fd}, 65536 bytes) failed: EAGAIN`);
  });

  test('sendAsync sends from a worker thread; the reply is there when it resolves', async () => {
    const fd = routeSocket();
    const request = getLoopback(8);
    await expect(sys.sendAsync(fd, request)).resolves.toBe(request.length);
    const buffer = Buffer.alloc(65536);
    expect(sys.recv(fd, buffer, MSG.DONTWAIT)).toBeGreaterThan(32);
    expect(buffer.readUInt32LE(8)).toBe(8);
  });

  test('failures name the call: bind with a foreign family, send and sendAsync on a closed fd', async () => {
    const fd = sys.socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, NETLINK_ROUTE);
    const unix = Buffer.alloc(12);
    unix.writeUInt16LE(AF.UNIX, 0);
    expect(() => sys.bind(fd, unix)).toThrow(`bind(fd ${fd}, family 1) failed: EINVAL`);
    closeSync(fd);
    expect(() => sys.send(fd, getLoopback(9))).toThrow(`send(fd ${fd}, 32 bytes) failed: EBADF`);
    await expect(sys.sendAsync(fd, getLoopback(10))).rejects.toThrow(`send(fd ${fd}, 32 bytes) on a worker thread failed: EIO`);
  });
});

describe('real syscalls (unprivileged)', () => {
  test('importing the package does not load koffi; the first call loads its prebuilt module directly', () => {
    const result = runInChild(`
      const { readFileSync } = await import('node:fs');
      const { createRequire } = await import('node:module');
      const mapped = () => readFileSync('/proc/self/maps', 'utf8').includes('koffi.node');
      const koffiEntryLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /koffi/i.test(k));
      const before = mapped();
      ns.linuxSyscalls.getpid();
      console.log(JSON.stringify({ before, after: mapped(), koffiEntryLoaded: koffiEntryLoaded() }));
    `);
    expect(result.stderr).toBe('');
    // Not through koffi's JS entry (its platform detection costs 5-10 ms per start-up), yet loaded.
    expect(JSON.parse(result.stdout)).toEqual({ before: false, after: true, koffiEntryLoaded: false });
  });

  test('with no koffi in a node_modules above it, koffi is loaded through its own entry', () => {
    const result = runInChild(
      `
      const { createRequire } = await import('node:module');
      const pid = ns.linuxSyscalls.getpid();
      const koffiEntryLoaded = Object.keys(createRequire(import.meta.url).cache).some((k) => /koffi/i.test(k));
      console.log(JSON.stringify({ pidMatches: pid === process.pid, koffiEntryLoaded }));
    `,
      { outsidePackage: true },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ pidMatches: true, koffiEntryLoaded: true });
  });

  test('getpid and gettid agree with Node', () => {
    expect(sys.getpid()).toBe(process.pid);
    expect(sys.gettid()).toBe(process.pid);
  });

  test('a failing call throws SyscallError naming its object', () => {
    expect(() => sys.chdir('/nonexistent/c-test')).toThrow('chdir(/nonexistent/c-test) failed: ENOENT (No such file or directory)');
    try {
      sys.umount2('/nonexistent/c-test');
    } catch (e) {
      expect(isSyscallError(e)).toBe(true);
      expect((e as { syscall: string }).syscall).toBe('umount2');
    }
  });

  test('openat2 RESOLVE_IN_ROOT keeps symlinks and .. inside the root; RESOLVE_BENEATH refuses escapes', () => {
    const root = tempDir();
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hostname'), 'inside\n');
    symlinkSync('/etc/hostname', join(root, 'abs-link'));
    symlinkSync('../../../../../../etc/hostname', join(root, 'rel-link'));
    const dirfd = openSync(root, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    cleanups.push(() => closeSync(dirfd));
    for (const path of ['abs-link', 'rel-link', '../../etc/hostname', '/etc/hostname']) {
      const fd = sys.openat2(dirfd, path, { flags: O.RDONLY | O.CLOEXEC, resolve: RESOLVE.IN_ROOT });
      try {
        expect(readFileSync(fd, 'utf8'), path).toBe('inside\n');
      } finally {
        closeSync(fd);
      }
    }
    expect(() => sys.openat2(dirfd, '../x', { flags: O.RDONLY, resolve: RESOLVE.BENEATH })).toThrow(/EXDEV/);
    expect(() => sys.openat2(dirfd, 'abs-link', { flags: O.RDONLY, resolve: RESOLVE.NO_SYMLINKS })).toThrow(/ELOOP/);
  });

  test('pidfd_open + pidfd_send_signal kill a process; kill(pid, 0) probes it', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const pid = child.pid ?? -1;
    sys.kill(pid, 0);
    const pidfd = sys.pidfdOpen(pid);
    try {
      sys.pidfdSendSignal(pidfd, SIGNALS.SIGKILL);
      expect(await exited).toBe('SIGKILL');
      // The pidfd still names the dead (reaped) process: signalling it now fails with ESRCH.
      expect(() => sys.pidfdSendSignal(pidfd, SIGNALS.SIGTERM)).toThrow(/ESRCH/);
    } finally {
      sys.close(pidfd);
    }
    expect(() => sys.pidfdOpen(2 ** 22 + 12345)).toThrow(/pidfd_open\(pid \d+\) failed: (ESRCH|EINVAL)/);
  });

  test('user xattrs round-trip through lsetxattr/lgetxattr/llistxattr', () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, 'x');
    sys.lsetxattr(file, 'user.c.test', Buffer.from('hello'));
    sys.lsetxattr(file, 'user.c.other', Buffer.from([0, 1, 2]));
    expect(sys.lgetxattr(file, 'user.c.test').toString()).toBe('hello');
    expect([...sys.lgetxattr(file, 'user.c.other')]).toEqual([0, 1, 2]);
    expect(sys.llistxattr(file).sort()).toEqual(['user.c.other', 'user.c.test']);
    expect(() => sys.lgetxattr(file, 'user.c.none')).toThrow(/ENODATA/);
    expect(() => sys.lsetxattr(file, 'user.c.test', Buffer.from('x'), 1 /* XATTR_CREATE */)).toThrow(/EEXIST/);
  });

  test('flock excludes a second open file description and is dropped on unlock', () => {
    const file = join(tempDir(), 'lock');
    writeFileSync(file, '');
    const first = openSync(file, 'r');
    const second = openSync(file, 'r');
    cleanups.push(() => closeSync(first), () => closeSync(second));
    expect(sys.flock(first, LOCK.EX | LOCK.NB)).toBe(true);
    expect(sys.flock(second, LOCK.EX | LOCK.NB)).toBe(false);
    expect(sys.flock(second, LOCK.SH | LOCK.NB)).toBe(false);
    sys.flock(first, LOCK.UN);
    expect(sys.flock(second, LOCK.EX | LOCK.NB)).toBe(true);
    expect(() => sys.flock(-1, LOCK.EX | LOCK.NB)).toThrow(/flock\(fd -1, 6\) failed: EBADF/);
  });

  test('fcntl helpers set and clear FD_CLOEXEC and O_NONBLOCK', () => {
    const fd = openSync(join(tempDir(), 'f'), 'w');
    cleanups.push(() => closeSync(fd));
    sys.setNonblocking(fd, true);
    expect(fdinfoFlags(fd) & O.NONBLOCK).toBe(O.NONBLOCK);
    sys.setNonblocking(fd, false);
    expect(fdinfoFlags(fd) & O.NONBLOCK).toBe(0);
    sys.setCloexec(fd, true);
    expect(fdinfoFlags(fd) & O.CLOEXEC).toBe(O.CLOEXEC);
    sys.setCloexec(fd, false);
    expect(fdinfoFlags(fd) & O.CLOEXEC).toBe(0);
  });

  test('inode flags round-trip through FS_IOC_GETFLAGS/SETFLAGS; /dev/null has none', (context) => {
    const dir = mkdtempSync(join(tmpdir(), 'c-ns-flags-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fd = openSync(dir, O.RDONLY);
    cleanups.push(() => closeSync(fd));
    let before = 0;
    try {
      before = sys.getInodeFlags(fd);
      expect(before & FS_FL.TOPDIR).toBe(0);
      sys.setInodeFlags(fd, before | FS_FL.TOPDIR);
    } catch (error) {
      // A temp dir on a filesystem without (this) inode flag, such as tmpfs: nothing to round-trip there.
      if (isSyscallError(error) && ['ENOTTY', 'EOPNOTSUPP', 'ENOTSUP'].includes(error.errnoName)) return context.skip();
      throw error;
    }
    expect(sys.getInodeFlags(fd)).toBe(before | FS_FL.TOPDIR);
    const again = openSync(dir, O.RDONLY);
    cleanups.push(() => closeSync(again));
    expect(sys.getInodeFlags(again) & FS_FL.TOPDIR).toBe(FS_FL.TOPDIR);
    expect(() => sys.getInodeFlags(openNull(cleanups))).toThrow(/ENOTTY|EOPNOTSUPP|EINVAL/);
  });

  test('openpty gives a master and a slave path; window size round-trips', () => {
    const pty = sys.openpty();
    cleanups.push(() => sys.close(pty.master));
    expect(pty.slavePath).toMatch(/^\/dev\/pts\/\d+$/);
    const slave = openSync(pty.slavePath, O.RDWR | O.NOCTTY);
    cleanups.push(() => closeSync(slave));
    sys.setWinsize(pty.master, { rows: 40, cols: 132 });
    expect(sys.getWinsize(slave)).toMatchObject({ rows: 40, cols: 132 });
    expect(() => sys.getWinsize(openNull(cleanups))).toThrow(/ENOTTY/);
  });

  test('getrlimit/prlimit read limits; capget reads this process', () => {
    const nofile = sys.getrlimit(RLIMIT.NOFILE);
    expect(nofile.soft).toBeGreaterThan(0n);
    expect(sys.prlimit(process.pid, RLIMIT.NOFILE)).toEqual(nofile);
    const caps = sys.capget();
    const capEff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    expect(caps.effective).toBe(BigInt(`0x${capEff}`));
  });

  test('execve after close_range(CLOEXEC), signal reset and mask reset leaves a clean process', () => {
    const result = runInChild(`
      const { linuxSyscalls: sys, SIG, SIGNALS } = ns;
      process.on('SIGUSR1', () => {});
      sys.sigprocmask(SIG.BLOCK, [SIGNALS.SIGUSR2]);
      for (const fd of [0, 1, 2]) { sys.setCloexec(fd, false); sys.setNonblocking(fd, false); }
      sys.closeRange(3, undefined, ns.CLOSE_RANGE.CLOEXEC);
      sys.resetSignalDispositions();
      sys.sigprocmask(SIG.SETMASK, []);
      sys.execve('/bin/sh', ['sh', '-c', 'echo "X=$X"; grep -E "^Sig(Ign|Blk)" /proc/self/status; ls /proc/self/fd | wc -l'], ['X=hello']);
    `);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('X=hello');
    // Node ignores SIGPIPE (and SIGXFSZ): without the reset they would stay ignored in the payload.
    expect(result.stdout).toContain('SigIgn:\t0000000000000000');
    expect(result.stdout).toContain('SigBlk:\t0000000000000000');
    // fds 0-2 plus the one ls opens to list the directory.
    expect(Number(result.stdout.trim().split('\n').at(-1))).toBe(4);
  });

  test('a sealed memfd copy of a binary runs through execveat(AT_EMPTY_PATH) and refuses writes', () => {
    const result = runInChild(`
      const fs = await import('node:fs');
      const { linuxSyscalls: sys, MFD, F_SEAL, AT } = ns;
      const fd = sys.memfdCreate('c-true', MFD.CLOEXEC | MFD.ALLOW_SEALING);
      fs.writeSync(fd, fs.readFileSync('/bin/echo'));
      sys.addSeals(fd, F_SEAL.SEAL | F_SEAL.SHRINK | F_SEAL.GROW | F_SEAL.WRITE);
      let write = '';
      try { fs.writeSync(fd, 'x', 0); } catch (e) { write = e.code; }
      let seal = '';
      try { sys.addSeals(fd, F_SEAL.EXEC); } catch (e) { seal = e.errnoName; }
      for (const n of [0, 1, 2]) sys.setCloexec(n, false);
      process.stdout.write(JSON.stringify({ seals: sys.getSeals(fd), write, seal }) + '\\n');
      sys.execveat(fd, '', ['echo', 'from-memfd', process.pid.toString()], [], AT.EMPTY_PATH);
    `);
    expect(result.stderr).toBe('');
    const [first = '{}', second = ''] = result.stdout.trim().split('\n');
    expect(JSON.parse(first)).toEqual({ seals: 0xf, write: 'EPERM', seal: 'EPERM' });
    // The same process (pid unchanged) now runs echo from the anonymous file.
    expect(second).toBe(`from-memfd ${result.pid}`);
  });

  test('a seccomp filter makes getpid fail with EPERM in a child process', () => {
    const result = runInChild(`
      const { linuxSyscalls: sys, PR, compileSeccompProfile } = ns;
      const before = sys.getpid();
      const { program, flags } = compileSeccompProfile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      });
      sys.prctl(PR.SET_NO_NEW_PRIVS, 1);
      sys.seccompSetFilter(program, flags | ns.SECCOMP.FILTER_FLAG_TSYNC);
      let after = 'no error';
      try { sys.getpid(); } catch (e) { after = e.errnoName + ' ' + e.message; }
      console.log(JSON.stringify({ before: before === process.pid, after, seccomp: sys.prctl(PR.GET_SECCOMP) }));
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { before: boolean; after: string; seccomp: number };
    expect(out.before).toBe(true);
    expect(out.after).toBe('EPERM getpid() failed: EPERM (Operation not permitted)');
    expect(out.seccomp).toBe(2);
  });
});

test('a large allow-list filter survives execve and denies what it omits in the payload', () => {
  const result = runInChild(`
    const { linuxSyscalls: sys, PR, compileSeccompProfile, archTable } = ns;
    // Allow every syscall of the architecture but mkdir/mkdirat (~360 names), default ERRNO(EACCES).
    const names = Object.keys(archTable().syscalls).filter((n) => n !== 'mkdir' && n !== 'mkdirat');
    const compiled = compileSeccompProfile({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      // With the i386 ABI too on x86_64: the kernel must accept the dispatch (BPF_JA) into the compat section.
      architectures: [archTable().scmpArch, ...archTable().compat.map((c) => c.scmpArch)],
      syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }],
    });
    sys.prctl(PR.SET_NO_NEW_PRIVS, 1);
    sys.seccompSetFilter(compiled.program, ns.SECCOMP.FILTER_FLAG_TSYNC);
    // Node marks stdio close-on-exec: without this the payload starts with no stdout at all.
    for (const fd of [0, 1, 2]) sys.setCloexec(fd, false);
    sys.execve('/bin/sh', ['sh', '-c', 'mkdir ${'$'}{TMPDIR:-/tmp}/c-ns-seccomp-$$ 2>&1; echo "rc=$?"; echo ok'], ['PATH=/usr/bin:/bin']);
  `);
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  expect(result.stdout).toMatch(/Permission denied/);
  expect(result.stdout).toMatch(/rc=1\nok\n$/);
});

function openNull(list: Array<() => void>): number {
  const fd = openSync('/dev/null', 'r');
  list.push(() => closeSync(fd));
  return fd;
}

if (!isPrivileged) console.warn('@c/namespaces: privileged syscall tests skipped: not root with CAP_SYS_ADMIN');

describe('posixSpawn and waitpidNoHang', () => {
  const scratch: string[] = [];
  afterEach(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'c-spawn-'));
    scratch.push(dir);
    return join(dir, name);
  };
  async function reap(pid: number) {
    for (let waited = 0; waited < 5000; waited += 5) {
      const exit = sys.waitpidNoHang(pid);
      if (exit !== undefined) return exit;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`pid ${pid} did not end`);
  }

  test('maps fds (crossing ones too), resets signals, runs in its own session, and reports the exit code', async () => {
    const a = tempFile('a');
    const b = tempFile('b');
    const fdA = openSync(a, 'w');
    const fdB = openSync(b, 'w');
    const devNull = openSync('/dev/null', 'r');
    try {
      // The shell reads its own mask with builtins, first thing: dash blocks every signal around each vfork, so a
      // child (grep) reading /proc/$$/status could catch that window (1 run in ~2000 did).
      const readMask = 'while IFS= read -r line; do case $line in SigIgn:*|SigBlk:*) echo "$line" >&3;; esac; done < /proc/self/status';
      const script = `${readMask}; echo one; echo two >&2; echo three >&3; echo "session $(cut -d" " -f6 /proc/$$/stat) pid $$" >&3; exit 7`;
      const pid = sys.posixSpawn('/bin/sh', ['sh', '-c', script], ['PATH=/usr/bin:/bin'], { fds: [devNull, fdB, fdA, fdA], setsid: true });
      expect(await reap(pid)).toEqual({ code: 7, signal: null });
      expect(readFileSync(b, 'utf8')).toBe('one\n');
      const lines = readFileSync(a, 'utf8').split('\n');
      expect(lines.slice(2, 4)).toEqual(['two', 'three']);
      // Node ignores SIGPIPE; the child must not inherit that, nor any blocked signal.
      expect(lines).toContain('SigIgn:\t0000000000000000');
      expect(lines).toContain('SigBlk:\t0000000000000000');
      expect(lines).toContain(`session ${pid} pid ${pid}`);
    } finally {
      for (const fd of [fdA, fdB, devNull]) closeSync(fd);
    }
  });

  test('waitpidNoHang is undefined while the child runs and names the signal that ended it', async () => {
    const pid = sys.posixSpawn('/bin/sleep', ['sleep', '30'], [], { fds: [] });
    try {
      expect(sys.waitpidNoHang(pid)).toBeUndefined();
    } finally {
      process.kill(pid, 'SIGKILL');
    }
    expect(await reap(pid)).toEqual({ code: null, signal: 9 });
  });

  test('an fd its path names (/proc/self/fd/N) survives the fd mapping, whatever its number', async () => {
    // The mapping parks each source above the highest fd it moves: N right there (another thread opened it after
    // the sources, or it got a lower number freed meanwhile) was overwritten and closed before the exec.
    const opened = [openSync('/bin/true', 'r'), openSync('/bin/true', 'r')];
    const program = Math.max(...opened);
    const source = Math.min(...opened);
    try {
      expect(procSelfFd(`/proc/self/fd/${program}`)).toBe(program);
      // program - 1 targets: the first parked slot would be `program` itself.
      const fds = Array.from({ length: program - 1 }, () => source);
      const pid = sys.posixSpawn(`/proc/self/fd/${program}`, ['true'], [], { fds });
      expect(await reap(pid)).toEqual({ code: 0, signal: null });
    } finally {
      for (const fd of opened) closeSync(fd);
    }
  });

  test('an fd its path names below the number of fds passed is not overwritten by one of them', async () => {
    const program = openSync('/bin/true', 'r');
    const devNull = openSync('/dev/null', 'r');
    try {
      // Target `program` receives /dev/null: exec'ing /proc/self/fd/<program> after the mapping would fail.
      const fds = Array.from({ length: program + 2 }, () => devNull);
      const pid = sys.posixSpawn(`/proc/self/fd/${program}`, ['true'], [], { fds });
      expect(await reap(pid)).toEqual({ code: 0, signal: null });
      expect(() => fstatSync(program)).not.toThrow(); // the caller's fd stays open
    } finally {
      closeSync(program);
      closeSync(devNull);
    }
  });

  test('an exec failure throws here, naming the program', () => {
    expect(() => sys.posixSpawn('/nonexistent/c-test', ['x'], [], { fds: [] })).toThrow('posix_spawn(/nonexistent/c-test) failed: ENOENT');
  });
});

describe.skipIf(!isPrivileged)('real syscalls (root with CAP_SYS_ADMIN; skipped otherwise)', () => {
  const cgroup2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((dir) => {
    try {
      return statSync(join(dir, 'cgroup.procs')).isFile() && readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${dir} `);
    } catch {
      return false;
    }
  });
  test.skipIf(cgroup2 === undefined)('bpfProgQuery lists every program attached to a cgroup, more than its first room of 8; GET_FD_BY_ID opens each', () => {
    const dir = mkdtempSync(join(cgroup2!, 'c-ns-test-bpf-'));
    const allowAll = Uint8Array.from([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]); // r0 = 1; exit
    const progs: number[] = [];
    const dirFd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    try {
      for (let i = 0; i < 11; i += 1) {
        const prog = sys.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, allowAll, { expectedAttachType: BPF_CGROUP_DEVICE });
        progs.push(prog);
        sys.bpfProgAttach(dirFd, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
      }
      const ids = sys.bpfProgQuery(dirFd, BPF_CGROUP_DEVICE);
      expect(ids).toHaveLength(11);
      expect(new Set(ids).size).toBe(11);
      const opened = sys.bpfProgGetFdById(ids[0]!);
      try {
        expect(readlinkSync(`/proc/self/fd/${opened}`)).toBe('anon_inode:bpf-prog');
      } finally {
        closeSync(opened);
      }
    } finally {
      for (const prog of progs) {
        try {
          sys.bpfProgDetach(dirFd, prog, BPF_CGROUP_DEVICE);
        } catch {
          // not attached (the loop stopped before)
        }
        closeSync(prog);
      }
      closeSync(dirFd);
      rmdirSync(dir);
    }
  });

  test('unshare(CLONE_NEWUTS) + sethostname changes the name only inside the child', () => {
    const before = hostname();
    const result = runInChild(`
      const { linuxSyscalls: sys, CLONE } = ns;
      sys.unshare(CLONE.NEWUTS);
      sys.sethostname('c-ns-test-host');
      console.log((await import('node:os')).hostname());
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('c-ns-test-host');
    expect(hostname()).toBe(before);
  });

  test('mount tmpfs in a private mount namespace, invisible to the host', () => {
    const dir = tempDir();
    const result = runInChild(`
      const fs = await import('node:fs');
      const { linuxSyscalls: sys, CLONE, MS, MNT } = ns;
      const dir = ${JSON.stringify(dir)};
      sys.unshare(CLONE.NEWNS);
      sys.mount(null, '/', null, MS.REC | MS.PRIVATE);
      sys.mount('tmpfs', dir, 'tmpfs', MS.NOSUID | MS.NODEV, 'size=1m,mode=700');
      fs.writeFileSync(dir + '/inside', 'x');
      const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').some((l) => l.split(' ')[4] === dir && l.includes(' - tmpfs '));
      let err = '';
      try { sys.mount('tmpfs', dir + '/missing', 'tmpfs', 0); } catch (e) { err = e.message; }
      console.log(JSON.stringify({ mounted, err }));
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { mounted: boolean; err: string };
    expect(out.mounted).toBe(true);
    expect(out.err).toBe(`mount(tmpfs → ${dir}/missing) failed: ENOENT (No such file or directory)`);
    // The namespace died with the child: nothing on the host.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
    expect(() => statSync(join(dir, 'inside'))).toThrow();
  });

  test('pivot_root into a tmpfs rootfs: the old root is gone', () => {
    const dir = tempDir();
    const result = runInChild(`
      const fs = await import('node:fs');
      const { linuxSyscalls: sys, CLONE, MS, MNT, preloadSyscalls } = ns;
      preloadSyscalls();
      const dir = ${JSON.stringify(dir)};
      sys.unshare(CLONE.NEWNS);
      sys.mount(null, '/', null, MS.REC | MS.PRIVATE);
      sys.mount('tmpfs', dir, 'tmpfs', 0, 'size=1m');
      fs.mkdirSync(dir + '/only-here');
      sys.chdir(dir);
      sys.pivotRoot('.', '.');
      sys.umount2('.', MNT.DETACH);
      sys.chdir('/');
      process.stdout.write(JSON.stringify(fs.readdirSync('/')) + '\\n');
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['only-here']);
  });

  test('setgroups/setresgid/setresuid drop to nobody in a child', () => {
    const result = runInChild(`
      const { linuxSyscalls: sys } = ns;
      sys.setgroups([65534, 100]);
      sys.setresgid(65534, 65534, 65534);
      sys.setresuid(65534, 65534, 65534);
      const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
      const line = (k) => status.split('\\n').find((l) => l.startsWith(k + ':')).trim().split(/\\s+/).slice(1).join(' ');
      let back = '';
      try { sys.setresuid(0, 0, 0); } catch (e) { back = e.errnoName; }
      console.log(JSON.stringify({ uid: line('Uid'), gid: line('Gid'), groups: line('Groups'), back }));
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      uid: '65534 65534 65534 65534',
      gid: '65534 65534 65534 65534',
      groups: '100 65534',
      back: 'EPERM',
    });
  });

  test('setsid + TIOCSCTTY make a pty slave the controlling terminal', () => {
    const result = runInChild(`
      const fs = await import('node:fs');
      const { linuxSyscalls: sys, O } = ns;
      const pty = sys.openpty();
      const slave = fs.openSync(pty.slavePath, O.RDWR | O.NOCTTY);
      sys.setsid();
      sys.setControllingTerminal(slave);
      const after = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[4];
      console.log(JSON.stringify({ after, rdev: fs.fstatSync(slave).rdev }));
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { after: string; rdev: number };
    expect(out.after).not.toBe('0');
    // tty_nr in /proc/PID/stat encodes the device like st_rdev for pts numbers below 256.
    expect(Number(out.after)).toBe(out.rdev);
  });

  test('mknod creates a character device with the given numbers', () => {
    const path = join(tempDir(), 'null');
    sys.mknod(path, S_IF.CHR | 0o666, makedev(1, 3));
    const st = statSync(path);
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0x103);
  });

  test('chmod sets the bits the umask took away from mknod', () => {
    const path = join(tempDir(), 'null');
    const old = process.umask(0o022);
    try {
      sys.mknod(path, S_IF.CHR | 0o666, makedev(1, 3));
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(0o644);
    sys.chmod(path, 0o666);
    expect(statSync(path).mode & 0o777).toBe(0o666);
  });

  test('lchown gives a node its owner; -1 keeps the group', () => {
    const path = join(tempDir(), 'tty');
    sys.mknod(path, S_IF.CHR | 0o620, makedev(5, 0));
    sys.lchown(path, 1000, 5);
    expect(statSync(path)).toMatchObject({ uid: 1000, gid: 5 });
    sys.lchown(path, 1001, -1);
    expect(statSync(path)).toMatchObject({ uid: 1001, gid: 5 });
    expect(() => sys.lchown(join(tempDir(), 'missing'), 0, 0)).toThrow(/lchown\(.*missing, 0, 0\) failed: ENOENT/);
  });

  test('capset drops a capability in a child; prlimit lowers a limit', () => {
    const result = runInChild(`
      const { linuxSyscalls: sys, capabilityNumber, RLIMIT } = ns;
      const caps = sys.capget();
      const bit = 1n << BigInt(capabilityNumber('CAP_NET_RAW'));
      sys.capset({ ...caps, effective: caps.effective & ~bit });
      sys.setrlimit(RLIMIT.NOFILE, { soft: 100, hard: 200 });
      const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
      const eff = BigInt('0x' + /CapEff:\\s*([0-9a-f]+)/.exec(status)[1]);
      let raise = '';
      try { sys.setrlimit(RLIMIT.NOFILE, { soft: 100, hard: 300 }); } catch (e) { raise = e.errnoName; }
      const lim = sys.getrlimit(RLIMIT.NOFILE);
      console.log(JSON.stringify({ dropped: (eff & bit) === 0n, kept: (eff & 1n) === 1n, soft: String(lim.soft), hard: String(lim.hard), raise }));
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ dropped: true, kept: true, soft: '100', hard: '200', raise: 'EPERM' });
  });
});
