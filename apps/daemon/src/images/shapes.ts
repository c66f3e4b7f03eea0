import type { ImageInspect, ImageSummary } from '@c/api';
import type { ImageInspectDocument, ImageRow } from '../backends';

/** Docker lists one row per image (config digest), with every name that points at it. Keeps the engine's order. */
export function toImageSummaries(rows: readonly ImageRow[]): ImageSummary[] {
  const byId = new Map<string, ImageSummary>();
  for (const row of rows) {
    let summary = byId.get(row.id);
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
      byId.set(row.id, summary);
    }
    if (row.tag !== undefined) summary.RepoTags.push(`${row.repository}:${row.tag}`);
    const repoDigest = `${row.repository}@${row.digest}`;
    if (!summary.RepoDigests.includes(repoDigest)) summary.RepoDigests.push(repoDigest);
  }
  return [...byId.values()];
}

/** Adds what Docker's inspect has and the engine's document leaves to the daemon (storage driver, API 1.43 fields). */
export function toImageInspect(document: ImageInspectDocument): ImageInspect {
  return {
    ...document,
    Config: (document.Config ?? null) as ImageInspect['Config'],
    VirtualSize: document.Size,
    GraphDriver: { Name: 'overlay2', Data: null },
    Metadata: { ...document.Metadata },
  };
}
