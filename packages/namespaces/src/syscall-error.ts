import { CError } from '@c/errors';
import { errnoMessage, errnoName } from './errno';

export interface SyscallErrorOptions {
  /** What to do about it; a default per errno is used when absent. */
  hint?: string;
  /** Extra structured details (path, pid, namespace). */
  details?: Record<string, unknown>;
}

/**
 * A failed system call. `message` names the call and its object, e.g.
 * "mount(overlay → /x/rootfs) failed: EINVAL (Invalid argument)".
 */
export class SyscallError extends CError {
  /** The syscall or libc function name, e.g. 'mount'. */
  readonly syscall: string;
  readonly errno: number;
  /** 'EPERM', 'EINVAL'... */
  readonly errnoName: string;

  /** `call` is the syscall with its object, e.g. "mount(overlay → /x/rootfs)". */
  constructor(syscall: string, call: string, errno: number, options: SyscallErrorOptions = {}) {
    const name = errnoName(errno);
    super('SYSCALL', `${call} failed: ${name} (${errnoMessage(errno)})`, {
      hint: options.hint ?? defaultHint(syscall, errno),
      details: { syscall, errno, errnoName: name, ...options.details },
    });
    this.name = 'SyscallError';
    this.syscall = syscall;
    this.errno = errno;
    this.errnoName = name;
  }
}

export function isSyscallError(value: unknown, errnoName?: string): value is SyscallError {
  return value instanceof SyscallError && (errnoName === undefined || value.errnoName === errnoName);
}

function defaultHint(syscall: string, errno: number): string {
  switch (errnoName(errno)) {
    case 'EPERM':
    case 'EACCES':
      return `${syscall} needs more privilege: run as root (with CAP_SYS_ADMIN), or check seccomp/LSM policy`;
    case 'ENOENT':
      return 'check that the path exists';
    case 'EINVAL':
      return `check the arguments of ${syscall} (flags, paths, filesystem type) against the man page`;
    case 'EBUSY':
      return 'something still uses the target (a mount, an open file, a process); release it and retry';
    case 'ENOSYS':
      return `this kernel lacks ${syscall}; a newer kernel is needed`;
    case 'EBADF':
      return 'the file descriptor is closed or of the wrong kind';
    case 'ESRCH':
      return 'the process has exited';
    default:
      return `see man 2 ${syscall}`;
  }
}
