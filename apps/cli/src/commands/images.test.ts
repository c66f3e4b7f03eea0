import { describe, expect, it } from 'vitest';
import type { ImageSummary } from '@c/api';
import { imageRows, matchesFilter, renderImages } from './images';

const now = Date.parse('2026-01-01T12:00:00Z');
const id = `sha256:${'ab'.repeat(32)}`;
const summary = (over: Partial<ImageSummary>): ImageSummary => ({
  Id: id, ParentId: '', RepoTags: [], RepoDigests: [], Created: 0, Size: 0, SharedSize: -1, Labels: null, Containers: -1, ...over,
});
const images = [
  summary({ RepoTags: ['busybox:latest'], RepoDigests: [`busybox@sha256:${'cd'.repeat(32)}`], Created: Date.parse('2026-01-01T10:00:00Z') / 1000, Size: 4_261_550 }),
  summary({ RepoDigests: [`localhost:5000/busybox@sha256:${'ef'.repeat(32)}`], Size: 1090 }),
];

describe('c images output', () => {
  it('prints docker columns with short ids, ages and sizes', () => {
    expect(renderImages(imageRows(images), { quiet: false, digests: false, noTrunc: false }, now)).toBe(
      [
        'REPOSITORY               TAG      IMAGE ID       CREATED       SIZE',
        'busybox                  latest   abababababab   2 hours ago   4.26MB',
        'localhost:5000/busybox   <none>   abababababab   N/A           1.09kB',
        '',
      ].join('\n'),
    );
  });
  it('adds a DIGEST column and full ids on request', () => {
    const text = renderImages(imageRows(images), { quiet: false, digests: true, noTrunc: true }, now);
    expect(text.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(text).toContain(`sha256:${'cd'.repeat(32)}   ${id}`);
  });
  it('prints one row per tag and only ids with -q', () => {
    const rows = imageRows([summary({ RepoTags: ['a:1', 'b:2'] })]);
    expect(rows.map((r) => `${r.repository}:${r.tag}`)).toEqual(['a:1', 'b:2']);
    expect(renderImages(rows, { quiet: true, digests: false, noTrunc: false }, now)).toBe('abababababab\nabababababab\n');
  });
  it('adds a <none> row for a repository known only by digest', () => {
    const rows = imageRows([summary({ RepoTags: ['a:1'], RepoDigests: ['a@sha256:11', 'b@sha256:22'] })]);
    expect(rows.map((r) => [r.repository, r.tag ?? '<none>', r.digest])).toEqual([['a', '1', 'sha256:11'], ['b', '<none>', 'sha256:22']]);
  });
  it('filters by repository and optionally tag', () => {
    const [first, second] = imageRows(images);
    expect(matchesFilter(first!, 'busybox')).toBe(true);
    expect(matchesFilter(first!, 'busybox:latest')).toBe(true);
    expect(matchesFilter(first!, 'busybox:1')).toBe(false);
    expect(matchesFilter(second!, 'localhost:5000/busybox')).toBe(true);
    expect(matchesFilter(second!, 'busybox')).toBe(false);
  });
});
