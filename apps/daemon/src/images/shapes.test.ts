import { describe, expect, it } from 'vitest';
import type { ImageRow } from '../backends';
import { toImageSummaries } from './shapes';

const ID = `sha256:${'1'.repeat(64)}`;
const DIGEST = `sha256:${'2'.repeat(64)}`;

function row(repository: string, tag: string | undefined): ImageRow {
  const name = tag === undefined ? `${repository}@${DIGEST}` : `${repository}:${tag}`;
  return { repository, tag, digest: DIGEST, id: ID, created: '2024-01-01T00:00:00Z', size: 10, name };
}

describe('toImageSummaries', () => {
  it('merges the tags of one image, and gives a name recorded by digest only a summary without tags', () => {
    const summaries = toImageSummaries([row('busybox', 'latest'), row('busybox', '1'), row('busybox', undefined)]);
    expect(summaries.map((s) => [s.Id, s.RepoTags, s.RepoDigests])).toEqual([
      [ID, ['busybox:latest', 'busybox:1'], [`busybox@${DIGEST}`]],
      [ID, [], [`busybox@${DIGEST}`]],
    ]);
  });

  it('keeps one summary per image when asked to merge (df counts images)', () => {
    const summaries = toImageSummaries([row('busybox', 'latest'), row('busybox', undefined)], { separateDigestOnly: false });
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.RepoTags).toEqual(['busybox:latest']);
  });

  it('shows an untagged image (its reserved c-untagged record) as <none>:<none>, and drops that record once the image has a name', () => {
    const untagged = row(`c-untagged/${'a'.repeat(64)}`, undefined);
    expect(toImageSummaries([untagged]).map((s) => [s.Id, s.RepoTags, s.RepoDigests])).toEqual([[ID, [], []]]);
    expect(toImageSummaries([untagged, row('busybox', 'latest')]).map((s) => [s.RepoTags, s.RepoDigests])).toEqual([[['busybox:latest'], [`busybox@${DIGEST}`]]]);
  });
});
