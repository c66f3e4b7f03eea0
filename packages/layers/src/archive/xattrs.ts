/**
 * The few file calls Node lacks — extended attributes on links (l*xattr) and mknod for device nodes and
 * fifos — in the shape layer apply and diff want them. The calls themselves come from @c/namespaces,
 * which binds libc through koffi on first use, so importing @c/layers still loads no native module.
 */
import { isSyscallError, linuxSyscalls, makedev, S_IF } from '@c/namespaces';

/** The errno name of a failed call ('EEXIST', 'EPERM'…), or undefined for anything else. */
export function errnoOf(error: unknown): string | undefined {
  return isSyscallError(error) ? error.errnoName : undefined;
}

/** Sets an extended attribute on `path` itself (not on a symlink's target). */
export function setXattr(path: string, name: string, value: Uint8Array): void {
  linuxSyscalls.lsetxattr(path, name, value);
}

/** Reads one extended attribute, or undefined when it is not set. */
export function getXattr(path: string, name: string): Buffer | undefined {
  try {
    return linuxSyscalls.lgetxattr(path, name);
  } catch (error) {
    if (errnoOf(error) === 'ENODATA') return undefined;
    throw error;
  }
}

/** Lists the names of the extended attributes of `path` itself (empty where unsupported). */
export function listXattrs(path: string): string[] {
  try {
    return linuxSyscalls.llistxattr(path);
  } catch (error) {
    if (errnoOf(error) === 'EOPNOTSUPP') return [];
    throw error;
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

export const S_IFIFO = S_IF.FIFO;
export const S_IFCHR = S_IF.CHR;
export const S_IFBLK = S_IF.BLK;

/** Creates a device node or fifo. `type` is one of S_IFCHR, S_IFBLK, S_IFIFO. */
export function mknod(path: string, type: number, permissions: number, major = 0, minor = 0): void {
  linuxSyscalls.mknod(path, type | (permissions & 0o7777), makedev(major, minor));
}
