import { checkFilterKeys, globMatch, type Filters, type ImageSummary } from '@c/api';
import { CError } from '@c/errors';

export const IMAGE_FILTERS = ['reference', 'dangling', 'before', 'since', 'label'] as const;

function matchesReference(patterns: readonly string[], name: string): boolean {
  // Docker's FamiliarMatch: the pattern may match `repo:tag` (or `repo@digest`) or just `repo`.
  const repository = name.replace(/(@sha256:[0-9a-f]+|:[\w][\w.-]*)$/, '');
  return patterns.some((pattern) => globMatch(pattern, name) || globMatch(pattern, repository));
}

function boolFilter(values: readonly string[], key: string): boolean | undefined {
  if (values.length === 0) return undefined;
  const value = values[0]?.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CError('INVALID_ARGUMENT', `invalid filter '${key}=${values[0]}'`, { hint: `use ${key}=true or ${key}=false` });
}

/** The summary a `before`/`since` value names: a tag, a name without tag, or an ID (prefix). */
function findImage(summaries: readonly ImageSummary[], value: string): ImageSummary {
  const withTag = /:[\w][\w.-]*$/.test(value.replace(/^[^/]*:\d+\//, '')) ? value : `${value}:latest`;
  const hex = value.replace(/^sha256:/, '');
  const found =
    summaries.find((s) => s.RepoTags.includes(withTag)) ??
    (/^[0-9a-f]{4,64}$/.test(hex) ? summaries.find((s) => s.Id.slice(7).startsWith(hex)) : undefined);
  if (!found) throw new CError('NOT_FOUND', `No such image: ${value}`, { hint: 'name an existing image in before/since' });
  return found;
}

/** Applies `GET /images/json` filters the way dockerd does; a reference filter also narrows RepoTags/RepoDigests. */
export function filterImageSummaries(summaries: readonly ImageSummary[], filters: Filters): ImageSummary[] {
  checkFilterKeys(filters, IMAGE_FILTERS);
  if ((filters.get('label') ?? []).length > 0) {
    throw new CError('UNSUPPORTED', 'the label filter of GET /images/json is not supported yet', {
      hint: 'filter by reference, dangling, before or since',
    });
  }
  const references = filters.get('reference') ?? [];
  const dangling = boolFilter(filters.get('dangling') ?? [], 'dangling');
  const before = (filters.get('before') ?? []).map((value) => findImage(summaries, value).Created);
  const since = (filters.get('since') ?? []).map((value) => findImage(summaries, value).Created);
  const result: ImageSummary[] = [];
  for (const summary of summaries) {
    if (dangling !== undefined && (summary.RepoTags.length === 0) !== dangling) continue;
    if (before.some((created) => summary.Created >= created)) continue;
    if (since.some((created) => summary.Created <= created)) continue;
    if (references.length > 0) {
      const tags = summary.RepoTags.filter((tag) => matchesReference(references, tag));
      const digests = summary.RepoDigests.filter((digest) => matchesReference(references, digest));
      if (tags.length === 0 && digests.length === 0) continue;
      result.push({ ...summary, RepoTags: tags, RepoDigests: digests });
      continue;
    }
    result.push(summary);
  }
  return result;
}
