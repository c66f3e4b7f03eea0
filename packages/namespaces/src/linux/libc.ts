import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Koffi from 'koffi';

type Fn = (...args: unknown[]) => number;
type BigFn = (...args: unknown[]) => number | bigint;

/** The libc functions c calls, bound once on first use. */
export interface Libc {
  koffi: typeof Koffi;
  errno(): number;
  syscall: BigFn;
  unshare: Fn;
  setns: Fn;
  mount: Fn;
  umount2: Fn;
  sethostname: Fn;
  setdomainname: Fn;
  chdir: Fn;
  fchdir: Fn;
  chroot: Fn;
  setsid: Fn;
  prctl: Fn;
  capget: Fn;
  capset: Fn;
  setresuid: Fn;
  setresgid: Fn;
  setgroups: Fn;
  dup3: Fn;
  close: Fn;
  execve: Fn;
  execveat: Fn;
  memfd_create: Fn;
  posix_spawn: Fn;
  posix_spawn_file_actions_init: Fn;
  posix_spawn_file_actions_destroy: Fn;
  posix_spawn_file_actions_adddup2: Fn;
  posix_spawn_file_actions_addclose: Fn;
  posix_spawnattr_init: Fn;
  posix_spawnattr_destroy: Fn;
  posix_spawnattr_setflags: Fn;
  posix_spawnattr_setsigmask: Fn;
  posix_spawnattr_setsigdefault: Fn;
  waitpid: Fn;
  kill: Fn;
  sigprocmask: Fn;
  signal: (signum: number, handler: null) => unknown;
  prlimit: Fn;
  ioctl: Fn;
  posix_openpt: Fn;
  grantpt: Fn;
  unlockpt: Fn;
  ptsname_r: Fn;
  fcntl: Fn;
  mknod: Fn;
  chmod: Fn;
  lchown: Fn;
  socket: Fn;
  socketpair: Fn;
  connect: Fn;
  bind: Fn;
  send: BigFn & { async: (...args: unknown[]) => void };
  recv: BigFn;
  sendmsg: BigFn;
  recvmsg: BigFn;
  flock: Fn;
  lsetxattr: Fn;
  lgetxattr: BigFn;
  llistxattr: BigFn;
  getpid: Fn;
  gettid: Fn;
}

let cached: Libc | undefined;

/**
 * Where `require('koffi')` from this file would find the package, found the way Node's resolver walks
 * (node_modules of this directory and each parent) without the resolver itself: its first use costs ~5 ms and
 * a require of package.json ~5 ms more, cold, on every start-up.
 */
function findKoffiPackage(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'koffi');
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

function packageVersion(dir: string): string | undefined {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
}

/**
 * koffi's own entry point picks its prebuilt module by reading the node binary's ELF headers (glibc or musl) and
 * wraps it in deprecation shims: 5-10 ms of every start-up here. On Linux, load the glibc build of the same
 * prebuilt package (installed beside koffi) directly; anything unexpected (musl, another layout, a version
 * mismatch) falls back to koffi.
 */
function loadKoffi(): typeof Koffi {
  if (process.platform === 'linux') {
    try {
      const koffiDir = findKoffiPackage();
      if (koffiDir !== undefined) {
        const prebuilt = join(koffiDir, '..', '@koromix', `koffi-linux-${process.arch}`);
        const version = packageVersion(koffiDir);
        if (version !== undefined && packageVersion(prebuilt) === version) {
          const module = { exports: {} as typeof Koffi & { version?: string } };
          process.dlopen(module, join(prebuilt, `linux_${process.arch}`, 'koffi.node'));
          if (module.exports.version === version) return module.exports;
        }
      }
    } catch {
      // not this layout or not glibc: koffi knows
    }
  }
  return createRequire(import.meta.url)('koffi') as typeof Koffi;
}

/**
 * Loads koffi and binds libc on first call. Lazy so that importing @c/namespaces costs nothing; call it
 * (through `preloadSyscalls`) before pivot_root, after which the module files are out of reach.
 */
export function libc(): Libc {
  if (cached) return cached;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  // Declared on first call: a declaration costs ~15 µs and a `c-runtime run` calls under half of these.
  const f = (decl: string): Fn => {
    let fn: Fn | undefined;
    return (...args: unknown[]) => (fn ??= lib.func(decl) as Fn)(...args);
  };
  cached = {
    koffi,
    errno: () => koffi.errno(),
    syscall: lib.func('long syscall(long number, ...)') as BigFn,
    unshare: f('int unshare(int flags)'),
    setns: f('int setns(int fd, int nstype)'),
    mount: f(
      'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    ),
    umount2: f('int umount2(const char *target, int flags)'),
    sethostname: f('int sethostname(const char *name, size_t len)'),
    setdomainname: f('int setdomainname(const char *name, size_t len)'),
    chdir: f('int chdir(const char *path)'),
    fchdir: f('int fchdir(int fd)'),
    chroot: f('int chroot(const char *path)'),
    setsid: f('int setsid(void)'),
    prctl: f('int prctl(int option, ...)'),
    capget: f('int capget(void *header, void *data)'),
    capset: f('int capset(void *header, const void *data)'),
    setresuid: f('int setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)'),
    setresgid: f('int setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)'),
    setgroups: f('int setgroups(size_t size, const void *list)'),
    dup3: f('int dup3(int oldfd, int newfd, int flags)'),
    close: f('int close(int fd)'),
    execve: f('int execve(const char *path, const char **argv, const char **envp)'),
    execveat: f('int execveat(int dirfd, const char *path, const char **argv, const char **envp, int flags)'),
    memfd_create: f('int memfd_create(const char *name, unsigned int flags)'),
    posix_spawn: f('int posix_spawn(void *pid, const char *path, const void *actions, const void *attr, const char **argv, const char **envp)'),
    posix_spawn_file_actions_init: f('int posix_spawn_file_actions_init(void *actions)'),
    posix_spawn_file_actions_destroy: f('int posix_spawn_file_actions_destroy(void *actions)'),
    posix_spawn_file_actions_adddup2: f('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
    posix_spawn_file_actions_addclose: f('int posix_spawn_file_actions_addclose(void *actions, int fd)'),
    posix_spawnattr_init: f('int posix_spawnattr_init(void *attr)'),
    posix_spawnattr_destroy: f('int posix_spawnattr_destroy(void *attr)'),
    posix_spawnattr_setflags: f('int posix_spawnattr_setflags(void *attr, short flags)'),
    posix_spawnattr_setsigmask: f('int posix_spawnattr_setsigmask(void *attr, const void *mask)'),
    posix_spawnattr_setsigdefault: f('int posix_spawnattr_setsigdefault(void *attr, const void *mask)'),
    waitpid: f('int waitpid(int pid, void *status, int options)'),
    kill: f('int kill(int pid, int sig)'),
    sigprocmask: f('int sigprocmask(int how, const void *set, void *oldset)'),
    signal: lib.func('void *signal(int signum, void *handler)') as (signum: number, handler: null) => unknown,
    prlimit: f('int prlimit(int pid, int resource, const void *newLimit, void *oldLimit)'),
    ioctl: f('int ioctl(int fd, unsigned long request, ...)'),
    posix_openpt: f('int posix_openpt(int flags)'),
    grantpt: f('int grantpt(int fd)'),
    unlockpt: f('int unlockpt(int fd)'),
    ptsname_r: f('int ptsname_r(int fd, void *buf, size_t buflen)'),
    fcntl: f('int fcntl(int fd, int cmd, ...)'),
    mknod: f('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    chmod: f('int chmod(const char *path, uint32_t mode)'),
    lchown: f('int lchown(const char *path, int uid, int gid)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    socketpair: f('int socketpair(int domain, int type, int protocol, void *sv)'),
    connect: f('int connect(int fd, const void *addr, uint32_t len)'),
    bind: f('int bind(int fd, const void *addr, uint32_t len)'),
    send: lib.func('intptr_t send(int fd, const void *buf, size_t len, int flags)') as BigFn & { async: (...args: unknown[]) => void },
    recv: lib.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as BigFn,
    sendmsg: lib.func('intptr_t sendmsg(int fd, const void *msg, int flags)') as BigFn,
    recvmsg: lib.func('intptr_t recvmsg(int fd, void *msg, int flags)') as BigFn,
    flock: f('int flock(int fd, int operation)'),
    lsetxattr: f('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)') as BigFn,
    llistxattr: lib.func('long llistxattr(const char *path, void *list, size_t size)') as BigFn,
    getpid: f('int getpid(void)'),
    gettid: f('int gettid(void)'),
  };
  return cached;
}
