import { describe, expect, it } from 'vitest';
import type { ImageSummary } from '@c/engine/images';
import { matchesFilter, renderImages } from './images';

const now = Date.parse('2026-01-01T12:00:00Z');
const id = `sha256:${'ab'.repeat(32)}`;
const rows: ImageSummary[] = [
  { repository: 'busybox', tag: 'latest', digest: `sha256:${'cd'.repeat(32)}`, id, created: '2026-01-01T10:00:00Z', size: 4_261_550, name: 'docker.io/library/busybox:latest' },
  { repository: 'localhost:5000/busybox', tag: undefined, digest: `sha256:${'ef'.repeat(32)}`, id, created: undefined, size: 1090, name: 'x' },
];

describe('c images output', () => {
  it('prints docker columns with short ids, ages and sizes', () => {
    expect(renderImages(rows, { quiet: false, digests: false, noTrunc: false }, now)).toBe(
      [
        'REPOSITORY               TAG      IMAGE ID       CREATED       SIZE',
        'busybox                  latest   abababababab   2 hours ago   4.26MB',
        'localhost:5000/busybox   <none>   abababababab   N/A           1.09kB',
        '',
      ].join('\n'),
    );
  });

  it('adds a DIGEST column and full ids on request', () => {
    const text = renderImages(rows, { quiet: false, digests: true, noTrunc: true }, now);
    expect(text.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(text).toContain(`sha256:${'cd'.repeat(32)}   ${id}`);
  });

  it('prints only ids with -q', () => {
    expect(renderImages(rows, { quiet: true, digests: false, noTrunc: false }, now)).toBe('abababababab\nabababababab\n');
  });

  it('filters by repository and optionally tag', () => {
    const first = rows[0]!;
    expect(matchesFilter(first, 'busybox')).toBe(true);
    expect(matchesFilter(first, 'busybox:latest')).toBe(true);
    expect(matchesFilter(first, 'busybox:1')).toBe(false);
    expect(matchesFilter(rows[1]!, 'localhost:5000/busybox')).toBe(true);
    expect(matchesFilter(rows[1]!, 'busybox')).toBe(false);
  });
});
