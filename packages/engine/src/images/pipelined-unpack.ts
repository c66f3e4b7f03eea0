/**
 * Overlaps download and unpack: fed the registry client's progress events, it starts unpacking as soon as the
 * manifest and config are stored, and applies layer N once its blob is committed (digest verified by the content
 * store) and layers 0…N-1 are applied. Nothing is applied from unverified bytes. Without such events (a registry
 * port that does not send kinds and digests) it simply unpacks after the download, in `finish`.
 */
import { CError } from '@c/errors';
import type { Descriptor } from '@c/image';
import type { Snapshotter } from '@c/layers';
import { readConfig, readManifest } from './documents';
import type { ContentPort, TransferProgress } from './ports';
import type { TransferEvent } from './types';
import { unpackLayers } from './unpack';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A wait nobody reached yet must not count as an unhandled rejection when the pull fails.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class PipelinedUnpack {
  private manifestDigest: string | undefined;
  private unpacking: Promise<void> | undefined;
  private startedFor: string | undefined;
  private readonly ready = new Map<string, Deferred>();
  private failure: unknown;

  constructor(
    private readonly content: ContentPort,
    private readonly snapshotter: Snapshotter,
    private readonly options: { onProgress?: (event: TransferEvent) => void; signal?: AbortSignal } = {},
  ) {}

  /** Feeds one registry progress event. */
  observe(event: TransferProgress): void {
    const done = event.status === 'done' || event.status === 'exists';
    if (!done || event.digest === undefined) return;
    if (event.kind === 'manifest') this.manifestDigest = event.digest;
    else if (event.kind === 'config' && this.manifestDigest !== undefined) this.start(this.manifestDigest);
    else if (event.kind === 'layer') this.readiness(event.digest).resolve();
  }

  /** The download failed: stop waiting for blobs and let a started unpack clean up. */
  async abandon(): Promise<void> {
    const cancelled = new CError('CANCELLED', 'the download of the image failed, so its unpack stopped', { hint: 'see the pull error' });
    for (const waiting of this.ready.values()) waiting.reject(cancelled);
    await this.unpacking?.catch(() => undefined);
  }

  /** The download finished: every blob is stored. Unpacks whatever is left and rethrows an unpack failure. */
  async finish(manifestDigest: string): Promise<void> {
    if (this.startedFor !== manifestDigest) {
      // No usable events (or events for another manifest): unpack now, every blob being present.
      await this.unpacking?.catch(() => undefined);
      this.unpacking = undefined;
      this.failure = undefined;
      this.start(manifestDigest, { allPresent: true });
    } else {
      for (const waiting of this.ready.values()) waiting.resolve();
    }
    await this.unpacking;
    if (this.failure !== undefined) throw this.failure;
  }

  private start(manifestDigest: string, how: { allPresent?: boolean } = {}): void {
    if (this.unpacking) return;
    this.startedFor = manifestDigest;
    const open = async (layer: Descriptor) => {
      if (!how.allPresent && !(await this.content.has(layer.digest))) await this.readiness(layer.digest).promise;
      return this.content.open(layer.digest);
    };
    this.unpacking = (async () => {
      const manifest = await readManifest(this.content, manifestDigest);
      const config = await readConfig(this.content, manifest.config.digest);
      await unpackLayers({ layers: manifest.layers, diffIds: config.rootfs.diff_ids }, open, this.snapshotter, this.options);
    })().catch((error: unknown) => {
      this.failure = error;
    });
  }

  private readiness(digest: string): Deferred {
    let entry = this.ready.get(digest);
    if (!entry) {
      entry = deferred();
      this.ready.set(digest, entry);
    }
    return entry;
  }
}
