/**
 * Unpacks an image's layers into committed snapshots named by ChainID: a stack that is already there is
 * reused, so images sharing a base unpack it once. Blobs come through a callback (the content store's
 * `open`), which keeps this module independent of where blobs live.
 */
import { randomBytes } from 'node:crypto';
import { CError, isCError } from '@c/errors';
import { chainIds as computeChainIds, type Descriptor, type Digest } from '@c/image';
import { type ApplyLimits, type ApplyOptions, type ApplyResult, type ByteSource, applyLayer, closeUnread } from '../archive/apply';
import { applyLayerInWorker, applyWorkerScript, workerUnavailable } from '../archive/apply-in-worker';
import { needsLowerLayers } from '../archive/extractor';
import { inheritLowerAttributes } from '../archive/implicit-directories';
import { processStartTime, sameProcessAlive } from '../util/process-identity';
import { SNAPSHOT_SIZE_LABEL } from './labels';
import type { ApplyTarget, Snapshotter } from './types';

const EXTRACT_PREFIX = 'extract-';
const UNPACK_PID_LABEL = 'c.unpack.pid';
/** The unpacking process's start time, so a later process that reuses the pid does not keep it alive. */
const UNPACK_PID_START_LABEL = 'c.unpack.pid-start';

/** Opens a layer blob for reading. */
export type OpenBlob = (layer: Descriptor) => Promise<ByteSource> | ByteSource;

export interface UnpackImageInput {
  /** The manifest's layer descriptors, bottom first. */
  layers: readonly Descriptor[];
  /** The config's rootfs.diff_ids, one per layer. */
  diffIds: readonly Digest[];
}


/** One layer's step while unpacking: `extracting` before applying, `applied` after commit, `reused` when present. */
export interface UnpackLayerEvent {
  index: number;
  layer: Descriptor;
  chainId: string;
  state: 'extracting' | 'applied' | 'reused';
}

export interface UnpackOptions {
  limits?: Partial<ApplyLimits>;
  /**
   * `open` serves blobs already verified by digest (a content store checks each blob at commit): they are not
   * hashed again while applying, and the DiffID alone checks what gets unpacked, as containerd's unpacker does.
   * Saves hashing every compressed byte a second time. Default false: the blob digest is verified too.
   */
  blobsVerified?: boolean;
  signal?: AbortSignal;
  /** Called as each layer starts and ends (pull progress: docker's "Extracting" / "Pull complete"). */
  onLayer?: (event: UnpackLayerEvent) => void;
  /**
   * Layers extracted at once on worker threads (default DEFAULT_PARALLEL_LAYERS; 1 applies them one after the
   * other on this thread). Used only with a snapshotter that has `attachParent` (overlay), for layers of at least
   * WORKER_APPLY_FROM bytes, and where the worker script is installed (see applyWorkerScript).
   */
  parallelism?: number;
}

export interface UnpackResult {
  /** ChainID of the whole stack (the parent for a container's active snapshot); undefined with no layers. */
  chainId: string | undefined;
  chainIds: string[];
  /** Layers applied now, with their apply results. */
  applied: ApplyResult[];
  /** Layers whose snapshot existed already. */
  reused: number;
}

export async function unpackImage(
  image: UnpackImageInput,
  open: OpenBlob,
  snapshotter: Snapshotter,
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  if (image.layers.length !== image.diffIds.length) {
    throw new CError('INVALID_ARGUMENT', `image has ${image.layers.length} layers but ${image.diffIds.length} DiffIDs`, {
      hint: 'the manifest and the config disagree; the image is corrupt',
    });
  }
  const chainIds = computeChainIds(image.diffIds);
  const result: UnpackResult = { chainId: chainIds.at(-1), chainIds, applied: [], reused: 0 };
  const reuse = (index: number) => {
    result.reused++;
    options.onLayer?.({ index, layer: image.layers[index]!, chainId: chainIds[index]!, state: 'reused' });
  };
  // A committed snapshot's parents are committed and cannot be removed while it exists: when the top of the
  // stack is there (every container create of an unpacked image), all of it is, and one lookup says so.
  if (result.chainId !== undefined && (await isCommitted(snapshotter, result.chainId))) {
    for (let i = 0; i < chainIds.length; i++) reuse(i);
    return result;
  }
  let first = 0;
  while (first < chainIds.length && (await isCommitted(snapshotter, chainIds[first]!))) reuse(first++);
  const unpack = new LayerUnpack(image, chainIds, open, snapshotter, options);
  try {
    unpack.startWorkers(first);
    for (let i = first; i < chainIds.length; i++) {
      const applied = await unpack.applyAndCommit(i);
      if (applied) {
        result.applied.push(applied);
        options.onLayer?.({ index: i, layer: image.layers[i]!, chainId: chainIds[i]!, state: 'applied' });
      } else {
        reuse(i);
      }
    }
  } catch (error) {
    await unpack.abandon();
    throw error;
  }
  return result;
}

/**
 * Layers smaller than this (compressed) are applied on the calling thread, after their parent: a worker's start-up
 * (~20-40 ms) would cost them more than it saves.
 */
export const WORKER_APPLY_FROM = 4 * 1024 * 1024;
/**
 * Layers extracted at once on worker threads by default. More than the CPUs of a small machine on purpose: a
 * layer's time goes mostly to the kernel's file creation, and starting every layer at once keeps the largest
 * (the end of the unpack) from waiting for a free worker (3 layers on 2 CPUs: 6.5 s with 3 at once, 7.5 s with 2).
 */
export const DEFAULT_PARALLEL_LAYERS = 4;

/** A layer being extracted on a worker thread, into `key`. */
interface WorkerJob {
  key: string;
  /** Prepared without a parent: the layers below were not committed when it started. */
  detached: boolean;
  applied: Promise<ApplyResult>;
}

/**
 * One image's unpack. With a snapshotter that can attach a parent later (overlay) and at least two large layers
 * to apply, the large layers are extracted at once on worker threads, each into a snapshot prepared without its
 * parent and reading nothing of the layers below (they may be half-written). Commits still happen bottom-up: a
 * layer's parent is attached and its implicit directories take their lower attributes once the layers below are
 * committed. A layer that hard-links to a lower layer's file is applied again the usual way at that point.
 * Other layers are applied on this thread once their parent is committed.
 */
class LayerUnpack {
  private readonly jobs = new Map<number, WorkerJob>();
  /** Active snapshots created and not yet committed or removed. */
  private readonly uncommitted = new Set<string>();
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    private readonly image: UnpackImageInput,
    private readonly chainIds: readonly string[],
    private readonly open: OpenBlob,
    private readonly snapshotter: Snapshotter,
    private readonly options: UnpackOptions,
  ) {
    this.signal = options.signal ? AbortSignal.any([options.signal, this.stop.signal]) : this.stop.signal;
  }

  /** Starts the worker extractions of layers `first`… when the conditions above hold. */
  startWorkers(first: number): void {
    const parallelism = Math.floor(this.options.parallelism ?? DEFAULT_PARALLEL_LAYERS);
    const large = [];
    for (let i = first; i < this.image.layers.length; i++) if (this.image.layers[i]!.size >= WORKER_APPLY_FROM) large.push(i);
    if (parallelism < 2 || large.length < 2 || !this.snapshotter.attachParent) return;
    const script = applyWorkerScript();
    if (!script) return;
    const slots = new Slots(parallelism);
    for (const index of large) {
      const detached = index !== first;
      const key = this.newKey(index);
      const applied = this.extract(index, key, detached ? undefined : this.chainIds[index - 1], {
        slots,
        apply: (source, target) => applyLayerInWorker(source, target.root, this.applyOptions(index, target, detached), script),
      });
      // Awaited in commit order; a failure meanwhile must not count as unhandled.
      applied.catch(() => undefined);
      this.jobs.set(index, { key, detached, applied });
    }
  }

  /** Applies layer `index` (or takes its worker's result) and commits it; undefined when another unpack committed it first. */
  async applyAndCommit(index: number): Promise<ApplyResult | undefined> {
    const parent = index === 0 ? undefined : this.chainIds[index - 1];
    const job = this.jobs.get(index);
    let key: string;
    let applied: ApplyResult | undefined;
    if (job) {
      key = job.key;
      applied = await job.applied.catch((error: unknown) => {
        if (needsLowerLayers(error) || workerUnavailable(error)) return undefined;
        throw error;
      });
      if (applied === undefined) {
        // A hard link to a lower layer's file, or no worker could run: now that the layers below are committed,
        // apply it the usual way.
        await this.removeSnapshot(key);
        key = this.newKey(index);
        applied = await this.applyHere(index, key, parent);
      } else if (job.detached) {
        await this.snapshotter.attachParent!(key, parent!);
        const target = await this.snapshotter.applyTarget(key);
        inheritLowerAttributes(target.root, target.lowerRoots ?? [], applied.implicitDirectories ?? []);
        delete applied.implicitDirectories;
      }
    } else {
      key = this.newKey(index);
      applied = await this.applyHere(index, key, parent);
    }
    // Measured once here so image sizes and `df` need no tree walk later (a committed layer is immutable).
    const { size } = await this.snapshotter.usage(key);
    try {
      await this.snapshotter.commit(this.chainIds[index]!, key, { labels: { [SNAPSHOT_SIZE_LABEL]: String(size) } });
      this.uncommitted.delete(key);
    } catch (error) {
      // Someone else unpacked the same stack meanwhile: theirs is as good as ours.
      if (!isCError(error, 'CONFLICT')) throw error;
      await this.removeSnapshot(key);
      return undefined;
    }
    return applied;
  }

  /** After a failure: stops the workers, waits for them, and removes every snapshot not committed. */
  async abandon(): Promise<void> {
    this.stop.abort(new CError('CANCELLED', 'another layer of the image failed to unpack'));
    await Promise.allSettled([...this.jobs.values()].map((job) => job.applied));
    for (const key of this.uncommitted) await this.snapshotter.remove(key).catch(() => undefined);
  }

  /** Applies layer `index` on this thread into a new snapshot `key` on the committed `parent`. */
  private applyHere(index: number, key: string, parent: string | undefined): Promise<ApplyResult> {
    return this.extract(index, key, parent, { apply: (source, target) => applyLayer(source, target.root, this.applyOptions(index, target, false)) });
  }

  /**
   * Opens layer `index`'s blob (a pipelined pull's may still be downloading: "extracting" means it is not), takes a
   * worker slot when given (lowest layer first: the commits wait for it), prepares snapshot `key` on `parent`
   * (undefined: none yet) and applies the layer into it.
   */
  private async extract(
    index: number,
    key: string,
    parent: string | undefined,
    how: { slots?: Slots; apply: (source: ByteSource, target: ApplyTarget) => Promise<ApplyResult> },
  ): Promise<ApplyResult> {
    const source = await this.open(this.image.layers[index]!);
    let holdsSlot = false;
    let reading = false;
    try {
      if (how.slots) {
        await how.slots.acquire(index);
        holdsSlot = true;
      }
      this.signal.throwIfAborted();
      await this.prepare(key, parent, index);
      this.options.onLayer?.({ index, layer: this.image.layers[index]!, chainId: this.chainIds[index]!, state: 'extracting' });
      const target = await this.snapshotter.applyTarget(key);
      reading = true;
      return await how.apply(source, target);
    } catch (error) {
      if (!reading) await closeUnread(source);
      throw error;
    } finally {
      if (holdsSlot) how.slots!.release();
    }
  }

  private applyOptions(index: number, target: ApplyTarget, lowerLayersPending: boolean): ApplyOptions {
    const layer = this.image.layers[index]!;
    return {
      mediaType: layer.mediaType,
      whiteouts: target.whiteouts,
      ...(lowerLayersPending ? { lowerLayersPending: true } : target.lowerRoots ? { lowerRoots: target.lowerRoots } : {}),
      ...(this.options.blobsVerified ? { hashBlob: false } : { expectedDigest: layer.digest }),
      expectedDiffId: this.image.diffIds[index]!,
      ...(this.options.limits ? { limits: this.options.limits } : {}),
      signal: this.signal,
    };
  }

  private async prepare(key: string, parent: string | undefined, index: number): Promise<void> {
    const labels = { 'c.layer.digest': this.image.layers[index]!.digest, [UNPACK_PID_LABEL]: String(process.pid), ...pidStartLabel() };
    await this.snapshotter.prepare(key, parent, { labels });
    this.uncommitted.add(key);
  }

  private async removeSnapshot(key: string): Promise<void> {
    await this.snapshotter.remove(key);
    this.uncommitted.delete(key);
  }

  private newKey(index: number): string {
    return `${EXTRACT_PREFIX}${randomBytes(6).toString('hex')}-${this.chainIds[index]!}`;
  }
}

/** A counting semaphore: at most `free` holders at once; waiters are served lowest `order` first. */
class Slots {
  private readonly waiting: Array<{ order: number; wake: () => void }> = [];

  constructor(private free: number) {}

  async acquire(order: number): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((wake) => {
      this.waiting.push({ order, wake });
      this.waiting.sort((a, b) => a.order - b.order);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.wake();
    else this.free++;
  }
}

async function isCommitted(snapshotter: Snapshotter, name: string): Promise<boolean> {
  try {
    return (await snapshotter.stat(name)).kind === 'committed';
  } catch (error) {
    if (isCError(error, 'NOT_FOUND')) return false;
    throw error;
  }
}

/**
 * Removes the active snapshots of unpacks whose process is gone (a crash or kill -9 mid-layer): they hold
 * half-applied layers and would keep their parents from being collected. Returns their keys.
 */
export async function removeAbandonedUnpacks(snapshotter: Snapshotter): Promise<string[]> {
  const abandoned: string[] = [];
  await snapshotter.walk((info) => {
    if (info.kind !== 'active' || !info.name.startsWith(EXTRACT_PREFIX)) return;
    const pid = Number(info.labels[UNPACK_PID_LABEL]);
    if (!(pid > 0) || !sameProcessAlive(pid, info.labels[UNPACK_PID_START_LABEL])) abandoned.push(info.name);
  });
  for (const key of abandoned) await snapshotter.remove(key).catch(() => undefined);
  return abandoned;
}

function pidStartLabel(): Record<string, string> {
  const startTime = processStartTime(process.pid);
  return startTime === undefined ? {} : { [UNPACK_PID_START_LABEL]: startTime };
}
