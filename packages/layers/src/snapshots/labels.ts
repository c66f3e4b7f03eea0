/** Label on a committed layer snapshot: its disk usage in bytes, measured once at commit (it never changes). */
export const SNAPSHOT_SIZE_LABEL = 'c.snapshot.size';
