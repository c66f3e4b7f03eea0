import type { BigIntStats, Stats } from 'node:fs';

/**
 * What identifies one version of a file on disk: device, inode, size, mtime and ctime (nanoseconds when the stat
 * was taken with `bigint: true`, otherwise milliseconds).
 */
export function fileVersion(st: Stats | BigIntStats): string {
  const times = 'mtimeNs' in st ? `${st.mtimeNs}:${st.ctimeNs}` : `${st.mtimeMs}:${st.ctimeMs}`;
  return `${st.dev}:${st.ino}:${st.size}:${times}`;
}
