import type { ImageInspect, ImageSummary } from '@c/api';
import { isUntaggedRepository } from '@c/engine';
import type { ImageInspectDocument, ImageRow } from '../backends';

export interface SummaryOptions {
  /**
   * Give each name recorded by digest only (`repo@sha256:…`, from a pull by digest) a summary of its own with
   * `RepoTags: []`, as docker does: that is what makes `docker images` show a `<none>` TAG row for it even when
   * the same repository also has a tag for the image. Default true; `df` counts images, so it merges them.
   */
  separateDigestOnly?: boolean;
}

/** Docker lists one row per image (config digest), with every name that points at it. Keeps the engine's order. */
export function toImageSummaries(rows: readonly ImageRow[], options: SummaryOptions = {}): ImageSummary[] {
  const separate = options.separateDigestOnly ?? true;
  const byKey = new Map<string, ImageSummary>();
  // An untagged image's reserved record (c-untagged/…) is a row of its own only while nothing else names the image.
  const named = new Set(rows.filter((row) => !isUntaggedRepository(row.repository)).map((row) => row.id));
  for (const row of rows) {
    const untagged = isUntaggedRepository(row.repository);
    if (untagged && named.has(row.id)) continue;
    const key = separate && row.tag === undefined ? `${row.id} ${row.name}` : row.id;
    let summary = byKey.get(key);
    if (!summary) {
      const created = row.created === undefined ? Number.NaN : Date.parse(row.created);
      summary = {
        Id: row.id,
        ParentId: '',
        RepoTags: [],
        RepoDigests: [],
        Created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
        Size: row.size,
        SharedSize: -1,
        VirtualSize: row.size,
        Labels: null,
        Containers: -1,
      };
      byKey.set(key, summary);
    }
    if (untagged) continue;
    if (row.tag !== undefined) summary.RepoTags.push(`${row.repository}:${row.tag}`);
    const repoDigest = `${row.repository}@${row.digest}`;
    if (!summary.RepoDigests.includes(repoDigest)) summary.RepoDigests.push(repoDigest);
  }
  return [...byKey.values()];
}

/** Adds what Docker's inspect has and the engine's document leaves to the daemon (storage driver, API 1.43 fields). */
export function toImageInspect(document: ImageInspectDocument): ImageInspect {
  return {
    ...document,
    RepoTags: document.RepoTags.filter((tag) => !isUntaggedRepository(tag)),
    RepoDigests: document.RepoDigests.filter((digest) => !isUntaggedRepository(digest)),
    Config: (document.Config ?? null) as ImageInspect['Config'],
    VirtualSize: document.Size,
    GraphDriver: { Name: 'overlay2', Data: null },
    Metadata: { ...document.Metadata },
  };
}
