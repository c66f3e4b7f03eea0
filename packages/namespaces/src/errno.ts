/**
 * errno names and messages. x86_64 and arm64 both use the asm-generic numbering, so one table serves both.
 * The text follows glibc's strerror() wording so messages read the way `strace` and C tools print them.
 */
const ERRNO_TABLE: ReadonlyArray<readonly [number, string, string]> = [
  [1, 'EPERM', 'Operation not permitted'],
  [2, 'ENOENT', 'No such file or directory'],
  [3, 'ESRCH', 'No such process'],
  [4, 'EINTR', 'Interrupted system call'],
  [5, 'EIO', 'Input/output error'],
  [6, 'ENXIO', 'No such device or address'],
  [7, 'E2BIG', 'Argument list too long'],
  [8, 'ENOEXEC', 'Exec format error'],
  [9, 'EBADF', 'Bad file descriptor'],
  [10, 'ECHILD', 'No child processes'],
  [11, 'EAGAIN', 'Resource temporarily unavailable'],
  [12, 'ENOMEM', 'Cannot allocate memory'],
  [13, 'EACCES', 'Permission denied'],
  [14, 'EFAULT', 'Bad address'],
  [15, 'ENOTBLK', 'Block device required'],
  [16, 'EBUSY', 'Device or resource busy'],
  [17, 'EEXIST', 'File exists'],
  [18, 'EXDEV', 'Invalid cross-device link'],
  [19, 'ENODEV', 'No such device'],
  [20, 'ENOTDIR', 'Not a directory'],
  [21, 'EISDIR', 'Is a directory'],
  [22, 'EINVAL', 'Invalid argument'],
  [23, 'ENFILE', 'Too many open files in system'],
  [24, 'EMFILE', 'Too many open files'],
  [25, 'ENOTTY', 'Inappropriate ioctl for device'],
  [26, 'ETXTBSY', 'Text file busy'],
  [27, 'EFBIG', 'File too large'],
  [28, 'ENOSPC', 'No space left on device'],
  [29, 'ESPIPE', 'Illegal seek'],
  [30, 'EROFS', 'Read-only file system'],
  [31, 'EMLINK', 'Too many links'],
  [32, 'EPIPE', 'Broken pipe'],
  [33, 'EDOM', 'Numerical argument out of domain'],
  [34, 'ERANGE', 'Numerical result out of range'],
  [35, 'EDEADLK', 'Resource deadlock avoided'],
  [36, 'ENAMETOOLONG', 'File name too long'],
  [37, 'ENOLCK', 'No locks available'],
  [38, 'ENOSYS', 'Function not implemented'],
  [39, 'ENOTEMPTY', 'Directory not empty'],
  [40, 'ELOOP', 'Too many levels of symbolic links'],
  [42, 'ENOMSG', 'No message of desired type'],
  [43, 'EIDRM', 'Identifier removed'],
  [61, 'ENODATA', 'No data available'],
  [62, 'ETIME', 'Timer expired'],
  [71, 'EPROTO', 'Protocol error'],
  [74, 'EBADMSG', 'Bad message'],
  [75, 'EOVERFLOW', 'Value too large for defined data type'],
  [84, 'EILSEQ', 'Invalid or incomplete multibyte or wide character'],
  [87, 'EUSERS', 'Too many users'],
  [88, 'ENOTSOCK', 'Socket operation on non-socket'],
  [95, 'EOPNOTSUPP', 'Operation not supported'],
  [98, 'EADDRINUSE', 'Address already in use'],
  [99, 'EADDRNOTAVAIL', 'Cannot assign requested address'],
  [100, 'ENETDOWN', 'Network is down'],
  [101, 'ENETUNREACH', 'Network is unreachable'],
  [104, 'ECONNRESET', 'Connection reset by peer'],
  [105, 'ENOBUFS', 'No buffer space available'],
  [110, 'ETIMEDOUT', 'Connection timed out'],
  [111, 'ECONNREFUSED', 'Connection refused'],
  [116, 'ESTALE', 'Stale file handle'],
  [122, 'EDQUOT', 'Disk quota exceeded'],
  [125, 'ECANCELED', 'Operation canceled'],
  [126, 'ENOKEY', 'Required key not available'],
  [130, 'EOWNERDEAD', 'Owner died'],
];

const BY_NUMBER = new Map<number, { name: string; message: string }>(
  ERRNO_TABLE.map(([errno, name, message]) => [errno, { name, message }]),
);
const BY_NAME = new Map<string, number>(ERRNO_TABLE.map(([errno, name]) => [name, errno]));
// Aliases the kernel shares with another name.
BY_NAME.set('EWOULDBLOCK', 11);
BY_NAME.set('ENOTSUP', 95);
BY_NAME.set('EDEADLOCK', 35);

/** Every errno with a name, as `{ EPERM: 1, ... }`. */
export const ERRNO: Readonly<Record<string, number>> = Object.fromEntries(BY_NAME);

/** 'EPERM' for 1; `E<number>` for numbers the table does not name. */
export function errnoName(errno: number): string {
  return BY_NUMBER.get(errno)?.name ?? `E${errno}`;
}

/** strerror()-style text: 'Operation not permitted' for 1. */
export function errnoMessage(errno: number): string {
  return BY_NUMBER.get(errno)?.message ?? `Unknown error ${errno}`;
}

/** The number for an errno name ('EPERM' → 1); undefined if unknown. */
export function errnoNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}
