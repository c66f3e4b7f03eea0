/**
 * The one unpack path of the engine: `pull` calls it so a pulled image is ready to run, and container create
 * calls it again (a no-op when every ChainID snapshot is committed already; it repairs an image whose unpack
 * was interrupted). Layers become committed snapshots named by ChainID, shared between images.
 */
import type { Descriptor, Digest } from '@c/image';
import { unpackImage, type ByteSource, type Snapshotter, type UnpackResult } from '@c/layers';
import type { TransferEvent } from './types';

export interface UnpackableImage {
  /** The manifest's layers, bottom first. */
  layers: readonly Descriptor[];
  /** The config's rootfs.diff_ids. */
  diffIds: readonly Digest[];
}

export interface UnpackStepOptions {
  onProgress?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

/** Docker's short layer id in progress lines: 12 hex digits of the blob digest. */
function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/**
 * Unpacks `image` into `snapshotter`, reporting docker's "Extracting" / "Pull complete" per applied layer.
 * `open` serves the content store's blobs, verified by digest when they were committed.
 */
export function unpackLayers(
  image: UnpackableImage,
  open: (layer: Descriptor) => Promise<ByteSource> | ByteSource,
  snapshotter: Snapshotter,
  options: UnpackStepOptions = {},
): Promise<UnpackResult> {
  const report = options.onProgress;
  return unpackImage({ layers: image.layers, diffIds: image.diffIds }, open, snapshotter, {
    // Blobs come from the content store, which verified each digest at commit; the DiffID checks the rest.
    blobsVerified: true,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(report
      ? {
          onLayer: ({ layer, state }) => {
            // A layer already unpacked shows nothing more, as docker shows only "Already exists" for it.
            if (state === 'reused') return;
            const base = { id: shortId(layer.digest), digest: layer.digest, kind: 'layer', total: layer.size };
            if (state === 'extracting') report({ ...base, status: 'Extracting', current: 0 });
            else report({ ...base, status: 'Pull complete', current: layer.size });
          },
        }
      : {}),
  });
}
