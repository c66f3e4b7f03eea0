import type { ImageSummary } from '@c/api';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { formatTable, humanAge, humanSize, shortId } from '../output/format';

export interface ImagesView {
  quiet: boolean;
  digests: boolean;
  noTrunc: boolean;
}

/** One table row per repository:tag of an image (docker's `images`); untagged images get `<none>`. */
export interface ImageRow {
  repository: string;
  tag: string | undefined;
  digest: string;
  id: string;
  created: string | undefined;
  size: number;
}

export function imageRows(images: readonly ImageSummary[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const created = image.Created > 0 ? new Date(image.Created * 1000).toISOString() : undefined;
    const digestOf = (repository: string): string =>
      image.RepoDigests.find((d) => d.startsWith(`${repository}@`))?.slice(repository.length + 1) ?? '<none>';
    const tags = image.RepoTags.filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) {
      const repository = image.RepoDigests[0]?.split('@')[0] ?? '<none>';
      rows.push({ repository, tag: undefined, digest: digestOf(repository), id: image.Id, created, size: image.Size });
    }
    const tagged = new Set<string>();
    for (const repoTag of tags) {
      const colon = repoTag.lastIndexOf(':');
      const repository = repoTag.slice(0, colon);
      tagged.add(repository);
      rows.push({ repository, tag: repoTag.slice(colon + 1), digest: digestOf(repository), id: image.Id, created, size: image.Size });
    }
    // A repository known only by digest (pulled by digest) gets its own <none> row, as in docker.
    if (tags.length > 0) {
      for (const repoDigest of image.RepoDigests) {
        const repository = repoDigest.slice(0, repoDigest.indexOf('@'));
        if (tagged.has(repository)) continue;
        tagged.add(repository);
        rows.push({ repository, tag: undefined, digest: digestOf(repository), id: image.Id, created, size: image.Size });
      }
    }
  }
  return rows;
}

/** Docker's `images` table (or ids only with -q). Pure, for tests. */
export function renderImages(rows: readonly ImageRow[], view: ImagesView, now: number = Date.now()): string {
  if (view.quiet) return rows.map((row) => `${shortId(row.id, view.noTrunc)}\n`).join('');
  const header = ['REPOSITORY', 'TAG', ...(view.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
  const body = rows.map((row) => [
    row.repository,
    row.tag ?? '<none>',
    ...(view.digests ? [row.digest] : []),
    shortId(row.id, view.noTrunc),
    humanAge(row.created, now),
    humanSize(row.size),
  ]);
  return formatTable(header, body);
}

/** `busybox` matches every busybox tag; `busybox:1` only that tag. */
export function matchesFilter(row: ImageRow, filter: string | undefined): boolean {
  if (!filter) return true;
  const colon = filter.lastIndexOf(':');
  const hasTag = colon > filter.lastIndexOf('/');
  const repository = hasTag ? filter.slice(0, colon) : filter;
  return row.repository === repository && (!hasTag || row.tag === filter.slice(colon + 1));
}

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const filter = typeof argv.repository === 'string' ? argv.repository : undefined;
  const client = await connect(globals);
  const rows = imageRows(await client.images.list()).filter((row) => matchesFilter(row, filter));
  process.stdout.write(
    renderImages(rows, { quiet: Boolean(argv.quiet), digests: Boolean(argv.digests), noTrunc: argv.trunc === false }),
  );
}
