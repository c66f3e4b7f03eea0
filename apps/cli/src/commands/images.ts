import type { ImageSummary } from '@c/engine/images';
import type { GlobalOptions } from '../context';
import { formatTable, humanAge, humanSize, shortId } from '../output/format';
import { imageService } from '../service';

export interface ImagesView {
  quiet: boolean;
  digests: boolean;
  noTrunc: boolean;
}

/** Docker's `images` table (or ids only with -q). Pure, for tests. */
export function renderImages(rows: readonly ImageSummary[], view: ImagesView, now: number = Date.now()): string {
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
export function matchesFilter(row: ImageSummary, filter: string | undefined): boolean {
  if (!filter) return true;
  const colon = filter.lastIndexOf(':');
  const hasTag = colon > filter.lastIndexOf('/');
  const repository = hasTag ? filter.slice(0, colon) : filter;
  return row.repository === repository && (!hasTag || row.tag === filter.slice(colon + 1));
}

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const filter = typeof argv.repository === 'string' ? argv.repository : undefined;
  const rows = (await imageService(globals).list()).filter((row) => matchesFilter(row, filter));
  process.stdout.write(
    renderImages(rows, { quiet: Boolean(argv.quiet), digests: Boolean(argv.digests), noTrunc: argv.trunc === false }),
  );
}
