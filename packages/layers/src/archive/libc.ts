/**
 * The few libc calls Node lacks: extended attributes on links (l*xattr) and mknod for device nodes and
 * fifos. Bound lazily through koffi so importing @c/layers costs nothing until a layer needs them.
 */
import { createRequire } from 'node:module';
import type Koffi from 'koffi';
import { CError } from '@c/errors';

type KoffiModule = typeof Koffi;
let koffiModule: KoffiModule | undefined;
/** Loaded on first use: most layers need no xattr or device call, and the native module costs ~40 ms. */
function koffi(): KoffiModule {
  koffiModule ??= createRequire(import.meta.url)('koffi') as KoffiModule;
  return koffiModule;
}

interface LibcCalls {
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
  llistxattr: (path: string, list: Buffer | null, size: number) => number;
  mknod: (path: string, mode: number, dev: bigint) => number;
}

let bound: LibcCalls | undefined;

function libc(): LibcCalls {
  if (bound) return bound;
  const lib = koffi().load('libc.so.6');
  bound = {
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)'),
    llistxattr: lib.func('long llistxattr(const char *path, void *list, size_t size)'),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  } as LibcCalls;
  return bound;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC', 34: 'ERANGE', 61: 'ENODATA',
  95: 'EOPNOTSUPP', 7: 'E2BIG',
};

/** A failed libc call, with the errno name in `details.errno` so callers can decide what is benign. */
function syscallError(call: string, path: string, extra = ''): CError {
  const errno = koffi().errno();
  const name = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  return new CError('SYSCALL', `${call}(${path}${extra}) failed: ${name}`, {
    details: { errno: name, path, call },
    hint: name === 'EOPNOTSUPP' ? 'the filesystem does not support extended attributes' : undefined,
  });
}

export function errnoOf(error: unknown): string | undefined {
  return error instanceof CError ? (error.details['errno'] as string | undefined) : undefined;
}

/** Sets an extended attribute on `path` itself (not on a symlink's target). */
export function setXattr(path: string, name: string, value: Uint8Array): void {
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (libc().lsetxattr(path, name, buffer, buffer.length, 0) !== 0) throw syscallError('lsetxattr', path, `, ${name}`);
}

/** Reads one extended attribute, or undefined when it is not set. */
export function getXattr(path: string, name: string): Buffer | undefined {
  const calls = libc();
  for (let size = 256; ; size *= 4) {
    const buffer = Buffer.alloc(size);
    const length = calls.lgetxattr(path, name, buffer, size);
    if (length >= 0) return buffer.subarray(0, length);
    const error = syscallError('lgetxattr', path, `, ${name}`);
    const errno = errnoOf(error);
    if (errno === 'ENODATA') return undefined;
    if (errno !== 'ERANGE' || size > 1 << 20) throw error;
  }
}

/** Lists the names of the extended attributes of `path` itself (empty where unsupported). */
export function listXattrs(path: string): string[] {
  const calls = libc();
  for (let size = 1024; ; size *= 4) {
    const buffer = Buffer.alloc(size);
    const length = calls.llistxattr(path, buffer, size);
    if (length >= 0) return length === 0 ? [] : buffer.subarray(0, length - 1).toString('latin1').split('\0');
    const error = syscallError('llistxattr', path);
    const errno = errnoOf(error);
    if (errno === 'EOPNOTSUPP') return [];
    if (errno !== 'ERANGE' || size > 1 << 22) throw error;
  }
}

/** All extended attributes of `path`, name → value. */
export function readXattrs(path: string): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  for (const name of listXattrs(path)) {
    const value = getXattr(path, name);
    if (value !== undefined) result.set(name, value);
  }
  return result;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** glibc's makedev(): the 64-bit dev_t layout of Linux. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Creates a device node or fifo. `type` is one of S_IFCHR, S_IFBLK, S_IFIFO. */
export function mknod(path: string, type: number, permissions: number, major = 0, minor = 0): void {
  if (libc().mknod(path, type | (permissions & 0o7777), makedev(major, minor)) !== 0) {
    throw syscallError('mknod', path);
  }
}
