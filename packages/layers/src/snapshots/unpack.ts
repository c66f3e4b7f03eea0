/**
 * Unpacks an image's layers into committed snapshots named by ChainID: a stack that is already there is
 * reused, so images sharing a base unpack it once. Blobs come through a callback (the content store's
 * `open`), which keeps this module independent of where blobs live.
 */
import { randomBytes } from 'node:crypto';
import { CError, isCError } from '@c/errors';
import { chainIds as computeChainIds, type Descriptor, type Digest } from '@c/image';
import { type ApplyLimits, type ApplyResult, type ByteSource, applyLayer } from '../archive/apply';
import { processStartTime, sameProcessAlive } from '../util/process-identity';
import { SNAPSHOT_SIZE_LABEL } from './labels';
import type { Snapshotter } from './types';

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
  // A committed snapshot's parents are committed and cannot be removed while it exists: when the top of the
  // stack is there (every container create of an unpacked image), all of it is, and one lookup says so.
  if (result.chainId !== undefined && (await isCommitted(snapshotter, result.chainId))) {
    for (let i = 0; i < chainIds.length; i++) {
      result.reused++;
      options.onLayer?.({ index: i, layer: image.layers[i]!, chainId: chainIds[i]!, state: 'reused' });
    }
    return result;
  }
  for (let i = 0; i < chainIds.length; i++) {
    const chainId = chainIds[i]!;
    const layer = image.layers[i]!;
    if (await isCommitted(snapshotter, chainId)) {
      result.reused++;
      options.onLayer?.({ index: i, layer, chainId, state: 'reused' });
      continue;
    }
    options.onLayer?.({ index: i, layer, chainId, state: 'extracting' });
    const parent = i === 0 ? undefined : chainIds[i - 1];
    const key = `${EXTRACT_PREFIX}${randomBytes(6).toString('hex')}-${chainId}`;
    await snapshotter.prepare(key, parent, { labels: { 'c.layer.digest': layer.digest, [UNPACK_PID_LABEL]: String(process.pid), ...pidStartLabel() } });
    try {
      const target = await snapshotter.applyTarget(key);
      const applied = await applyLayer(await open(layer), target.root, {
        mediaType: layer.mediaType,
        whiteouts: target.whiteouts,
        ...(target.lowerRoots ? { lowerRoots: target.lowerRoots } : {}),
        ...(options.blobsVerified ? { hashBlob: false } : { expectedDigest: layer.digest }),
        expectedDiffId: image.diffIds[i]!,
        ...(options.limits ? { limits: options.limits } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // Measured once here so image sizes and `df` need no tree walk later (a committed layer is immutable).
      const { size } = await snapshotter.usage(key);
      try {
        await snapshotter.commit(chainId, key, { labels: { [SNAPSHOT_SIZE_LABEL]: String(size) } });
      } catch (error) {
        // Someone else unpacked the same stack meanwhile: theirs is as good as ours.
        if (!isCError(error, 'CONFLICT')) throw error;
        await snapshotter.remove(key);
        result.reused++;
        options.onLayer?.({ index: i, layer, chainId, state: 'reused' });
        continue;
      }
      result.applied.push(applied);
      options.onLayer?.({ index: i, layer, chainId, state: 'applied' });
    } catch (error) {
      await snapshotter.remove(key).catch(() => undefined);
      throw error;
    }
  }
  return result;
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
