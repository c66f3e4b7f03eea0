/**
 * Garbage collection of the content store (and of resources that register a collector, such as snapshots).
 * Mark from image records, leases and extra roots; everything else is garbage. `usage()` and `collect()`
 * compute the same plan, so what `c system df` calls reclaimable is exactly what `c image prune` frees.
 *
 * Both run under the image store's lock: no record or lease can appear between mark and sweep. A writer
 * must therefore take a lease on the digests it is about to write *before* checking `has()`/ingesting;
 * then either its lease is seen by the mark, or the sweep is over before it looks.
 */
import { isCError, CError } from '@c/errors';
import { isDigest } from '@c/image';
import type { ContentStore, IngestStatus, StoredBlob } from '../content/content-store';
import type { ImageStore, ImageStoreSnapshot } from '../metadata/image-store';
import { imageIdOf, type ImageRecord } from '../metadata/records';
import { Marker, type MarkResult } from './mark';
import type { GcImageUsage, GcItem, GcLiveSet, GcPlan, GcResourceCollector, GcTotals, GcUsage } from './types';

export interface GarbageCollectorOptions {
  content: ContentStore;
  images: ImageStore;
  /** Digests kept by other owners (containers, build cache); may be called once per run. */
  extraRoots?: () => Iterable<string> | Promise<Iterable<string>>;
  /** Resources swept with the blobs, e.g. snapshots keyed by ChainID. */
  collectors?: readonly GcResourceCollector[];
  /** An ingest nobody holds is removed once untouched this long (default 24 h; 0 = any idle ingest). */
  staleIngestAfterMs?: number;
  now?: () => number;
}

export interface GcResult {
  /** What was removed. */
  removed: GcPlan;
  /** Planned items that could not be removed because they came back into use (an ingest resumed). */
  skipped: Array<{ ref: string; reason: string }>;
  /** Lock files of dead writers removed on the way (housekeeping; they hold no data). */
  locksPruned: number;
}

export interface UsageOptions {
  /** Image records to count as deleted (a what-if for pruning them). */
  without?: (record: ImageRecord) => boolean;
}

const DEFAULT_STALE_INGEST_MS = 24 * 60 * 60_000;

interface Survey {
  blobs: StoredBlob[];
  ingests: IngestStatus[];
  mark: MarkResult;
  snapshot: ImageStoreSnapshot;
  plan: GcPlan;
}

export class GarbageCollector {
  readonly #options: GarbageCollectorOptions;

  constructor(options: GarbageCollectorOptions) {
    this.#options = options;
  }

  /**
   * Totals, per-image sizes and exactly what `collect()` would remove now. Changes nothing. With `without`, the
   * image records it selects are treated as deleted: the plan is then what deleting them and collecting frees
   * (`c system df`'s RECLAIMABLE for `prune -a`).
   */
  async usage(options: UsageOptions = {}): Promise<GcUsage> {
    const { images } = this.#options;
    return images.withLock(async (all) => {
      const snapshot = options.without ? { ...all, images: all.images.filter((record) => !options.without!(record)) } : all;
      const survey = await this.#survey(snapshot);
      const resources: GcUsage['resources'] = [];
      for (const collector of this.#options.collectors ?? []) {
        if (collector.total) resources.push({ name: collector.name, ...(await collector.total()) });
      }
      const live = survey.blobs.filter((blob) => survey.mark.blobs.has(blob.digest));
      return {
        blobs: totals(survey.blobs.map((blob) => blob.size)),
        liveBlobs: totals(live.map((blob) => blob.size)),
        ingests: totals(survey.ingests.map((ingest) => ingest.offset)),
        resources,
        images: imageUsage(survey),
        reclaimable: survey.plan,
      };
    });
  }

  /** Removes what `usage().reclaimable` lists. */
  async collect(): Promise<GcResult> {
    const { images, content } = this.#options;
    return images.withLock(async (snapshot) => {
      const { plan } = await this.#survey(snapshot);
      const removed: GcPlan = { blobs: [], ingests: [], resources: [], bytes: 0, blockedBy: plan.blockedBy };
      const skipped: GcResult['skipped'] = [];
      for (const blob of plan.blobs) {
        await content.delete(blob.digest).catch((error: unknown) => {
          if (!isCError(error, 'NOT_FOUND')) throw error; // already gone is as good as removed
        });
        removed.blobs.push(blob);
      }
      for (const ingest of plan.ingests) {
        try {
          await content.abortIngest(ingest.ref, { waitMs: 0 });
          removed.ingests.push(ingest);
        } catch (error) {
          if (!isCError(error, 'CONFLICT')) throw error;
          skipped.push({ ref: ingest.ref, reason: 'a process resumed it' });
        }
      }
      for (const { name, items } of plan.resources) {
        const collector = (this.#options.collectors ?? []).find((candidate) => candidate.name === name);
        if (collector && items.length > 0) removed.resources.push({ name, items: await collector.remove(items) });
      }
      removed.bytes = planBytes(removed);
      return { removed, skipped, locksPruned: await content.pruneLocks() };
    });
  }

  async #survey(snapshot: ImageStoreSnapshot): Promise<Survey> {
    const { content } = this.#options;
    // Blobs are listed before marking: a blob committed after this point is not a sweep candidate.
    const blobs: StoredBlob[] = [];
    for await (const blob of content.list()) blobs.push(blob);
    const ingests = await content.listIngests();
    const mark = await this.#mark(snapshot);
    const plan: GcPlan = { blobs: [], ingests: [], resources: [], bytes: 0, blockedBy: mark.problems };
    if (mark.problems.length === 0) {
      plan.blobs = blobs.filter((blob) => !mark.blobs.has(blob.digest));
      const committed = new Set(blobs.map((blob) => blob.digest));
      // A live digest's unfinished ingest is kept (a pull will resume it) unless the blob is committed already.
      const wanted = (digest: string | undefined) => digest !== undefined && mark.blobs.has(digest) && !committed.has(digest);
      plan.ingests = ingests
        .filter((ingest) => this.#isStale(ingest) && !wanted(ingest.digest))
        .map((ingest) => ({ ref: ingest.ref, size: ingest.offset }));
      const live: GcLiveSet = { blobs: mark.blobs, chainIds: mark.chainIds, images: snapshot.images };
      for (const collector of this.#options.collectors ?? []) {
        plan.resources.push({ name: collector.name, items: await collector.plan(live) });
      }
      plan.bytes = planBytes(plan);
    }
    return { blobs, ingests, mark, snapshot, plan };
  }

  async #mark(snapshot: ImageStoreSnapshot): Promise<MarkResult> {
    const marker = new Marker(this.#options.content);
    for (const record of snapshot.images) await marker.markImage(record);
    for (const lease of snapshot.leases) {
      for (const digest of lease.digests) await marker.markRoot(digest, `lease ${lease.id}`);
    }
    for (const digest of (await this.#options.extraRoots?.()) ?? []) {
      if (!isDigest(digest)) {
        throw new CError('INVALID_ARGUMENT', `GC extra root "${String(digest)}" is not a digest`, {
          hint: 'extraRoots must yield blob digests such as sha256:<hex>',
          details: { digest },
        });
      }
      await marker.markRoot(digest, 'extra root');
    }
    return marker.result;
  }

  #isStale(ingest: IngestStatus): boolean {
    if (ingest.active) return false;
    const now = (this.#options.now ?? Date.now)();
    const age = now - Date.parse(ingest.updatedAt);
    return age >= (this.#options.staleIngestAfterMs ?? DEFAULT_STALE_INGEST_MS);
  }
}

function totals(sizes: number[]): GcTotals {
  return { count: sizes.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

function planBytes(plan: GcPlan): number {
  const sum = (items: Array<{ size: number }>) => items.reduce((total, item) => total + item.size, 0);
  return sum(plan.blobs) + sum(plan.ingests) + plan.resources.reduce((total, r) => total + sum(r.items as GcItem[]), 0);
}

/** Sizes per image ID; a blob reached by two image IDs counts as shared for both. */
function imageUsage(survey: Survey): GcImageUsage[] {
  const sizes = new Map(survey.blobs.map((blob) => [blob.digest, blob.size]));
  const byId = new Map<string, { names: string[]; digests: Set<string> }>();
  for (const record of survey.snapshot.images) {
    const id = imageIdOf(record);
    const entry = byId.get(id) ?? { names: [], digests: new Set<string>() };
    entry.names.push(record.name);
    for (const digest of survey.mark.reachedBy.get(record.name) ?? []) entry.digests.add(digest);
    byId.set(id, entry);
  }
  const owners = new Map<string, number>();
  for (const { digests } of byId.values()) for (const digest of digests) owners.set(digest, (owners.get(digest) ?? 0) + 1);
  return [...byId].map(([id, { names, digests }]) => {
    let size = 0;
    let sharedSize = 0;
    for (const digest of digests) {
      const bytes = sizes.get(digest) ?? 0;
      size += bytes;
      if ((owners.get(digest) ?? 0) > 1) sharedSize += bytes;
    }
    return { id, names, size, sharedSize, uniqueSize: size - sharedSize };
  });
}
