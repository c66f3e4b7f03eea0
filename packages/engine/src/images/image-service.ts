/**
 * Image operations over a local store and registries: pull, push, list, tag, remove, inspect, import, login,
 * logout. No terminal output: progress is reported through callbacks, results are returned.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { saveArchive, type SaveItem } from './archive-save';
import { ExtractedArchive, loadArchive, type LoadResult } from './archive-load';
import { isUntaggedRepository, untaggedRecordName } from './untagged';
import { CError } from '@c/errors';
import { formatReference, hostPlatform, parseImageConfig, parsePlatform, type Descriptor, type Platform, type Reference } from '@c/image';
import { applyChanges } from './changes';
import { coalescingSink } from './coalescing-sink';
import { leasingSink } from './leasing-sink';
import { readConfig, readIndex, readManifest, writeDocument, type ManifestDocument } from './documents';
import { buildInspect, imageSize, type ImageInspect } from './inspect';
import { OCI_CONFIG, OCI_MANIFEST, storeTarballLayer } from './import-tarball';
import { familiarRepository, familiarTag, idPrefix, normalizeReference, recordName, repositoryAndTag } from './names';
import type { Snapshotter } from '@c/layers';
import { ImageMounts } from './image-mounts';
import { holdersOf, holds, layerChainIds, surveySnapshots, unpackedSize, type SnapshotSurvey } from './storage';
import { PipelinedUnpack } from './pipelined-unpack';
import { callCredentials } from './registry-auth';
import { unpackLayers } from './unpack';
import type {
  ByteSource,
  ContentPort,
  CredentialWriterPort,
  GarbagePort,
  MountPort,
  ImageRecord,
  ImageRecordPort,
  PulledImagePort,
  RegistryPort,
  TransferProgress,
} from './ports';
import type {
  DiskUsage,
  ImageDiskUsage,
  MountResult,
  PruneResult,
  ImageSummary,
  ImportOptions,
  ImportResult,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  RemoveResultItem,
  TransferEvent,
} from './types';

export interface ImageServiceParts {
  content: ContentPort;
  images: ImageRecordPort;
  registry: RegistryPort;
  /** Where `login` saves credentials and `logout` removes them; without it `login` only checks them (a daemon). */
  credentials?: CredentialWriterPort;
  /** Scratch space for imports (same filesystem as the store is best). */
  tmpDir: string;
  /** Frees blobs no image references any more; called after an image is deleted. */
  collectGarbage?: () => Promise<unknown>;
  /**
   * Where layers are unpacked (committed snapshots by ChainID). With it, `pull` leaves the image unpacked and
   * ready to run, sizes are unpacked sizes, and `mount`, `df` and `prune` work. A function is called once, lazily.
   */
  snapshotter?: Snapshotter | (() => Promise<Snapshotter>);
  /** GC over blobs and snapshots, for `df` and `prune`. */
  garbage?: GarbagePort;
  /** Image mounts: their directory (`<root>/mounts`) and what performs the mounts. */
  mounts?: { root: string; mounter: MountPort };
  now?: () => Date;
}

/** A local image resolved from a name or id, with its documents loaded. */
interface ResolvedImage {
  record: ImageRecord;
  manifest: ManifestDocument;
  configDigest: string;
}

function toTransferEvent(event: TransferProgress): TransferEvent {
  return {
    id: event.id,
    status: event.status,
    current: event.current ?? 0,
    total: event.total ?? 0,
    ...(event.digest ? { digest: event.digest } : {}),
    ...(event.kind ? { kind: event.kind } : {}),
  };
}

function noSuchImage(input: string): CError {
  return new CError('NOT_FOUND', `No such image: ${input}`, {
    hint: 'check the name with `c images`, or pull it with `c pull`',
  });
}

/** `docker.io`, `https://index.docker.io/v1/` and the like all name Docker Hub. */
export function normalizeRegistryHost(input: string | undefined): string {
  if (!input) return 'docker.io';
  const host = input.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io') return 'docker.io';
  return host;
}

export class ImageService {
  private readonly now: () => Date;
  private snapshots: Promise<Snapshotter> | undefined;

  constructor(private readonly parts: ImageServiceParts) {
    this.now = parts.now ?? (() => new Date());
  }

  async pull(input: string, options: PullOptions = {}): Promise<PullResult> {
    const ref = normalizeReference(input);
    const platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform;
    const name = recordName(ref);
    const previous = await this.parts.images.get(name);
    const lease = `pull-${randomUUID()}`;
    const images = this.parts.images;
    // Writes are gathered into ~1 MiB batches by the store; blobs are leased as the registry client first
    // touches them (GC keeps them until the name is recorded).
    const batched = coalescingSink(this.parts.content);
    const sink = images.acquireLease ? leasingSink(batched, (digests) => images.acquireLease!(lease, digests)) : batched;
    let leaseEnded = false;
    // Unpacking starts while layers still download (each layer once its verified blob is stored).
    const snapshotter = options.unpack === false ? undefined : await this.snapshotter();
    const pipeline = snapshotter
      ? new PipelinedUnpack(this.parts.content, snapshotter, {
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })
      : undefined;
    const forward = options.onProgress;
    const onProgress =
      pipeline || forward
        ? (event: TransferProgress) => {
            pipeline?.observe(event);
            forward?.(toTransferEvent(event));
          }
        : undefined;
    try {
      let pulled: PulledImagePort;
      try {
        const credentials = callCredentials(ref.registry, options.auth);
        pulled = await this.parts.registry.pull(ref, sink, {
          platform: platform ?? hostPlatform(),
          onProgress,
          signal: options.signal,
          ...(credentials ? { credentials } : {}),
        });
      } catch (error) {
        await pipeline?.abandon();
        throw error;
      }
      const target: Descriptor = {
        mediaType: pulled.manifest.mediaType ?? OCI_MANIFEST,
        digest: pulled.manifestDigest,
        size: await this.parts.content.size(pulled.manifestDigest),
      };
      const now = this.now().toISOString();
      // One durable update: the record, and the end of the lease it replaces. Snapshots committed before the
      // name was recorded were kept by the lease on their manifest (GC marks a leased manifest's ChainIDs);
      // from here the record keeps them, and the ones the unpack still commits.
      await this.parts.images.put(
        {
          name,
          target,
          ...(pulled.indexDigest ? { indexDigest: pulled.indexDigest } : {}),
          configDigest: pulled.configDigest,
          createdAt: previous?.createdAt ?? now,
          updatedAt: now,
        },
        images.acquireLease ? { releaseLease: lease } : {},
      );
      leaseEnded = true;
      await pipeline?.finish(pulled.manifestDigest);
      const upToDate = previous?.target.digest === pulled.manifestDigest;
      return {
        reference: this.familiar(ref),
        fullReference: formatReference(ref),
        digest: pulled.indexDigest ?? pulled.manifestDigest,
        manifestDigest: pulled.manifestDigest,
        id: pulled.configDigest,
        status: upToDate ? 'up-to-date' : 'downloaded',
      };
    } finally {
      if (!leaseEnded) await images.releaseLease?.(lease).catch(() => undefined);
    }
  }

  async push(input: string, options: PushOptions = {}): Promise<PushResult> {
    const ref = normalizeReference(input);
    const record = await this.parts.images.get(recordName(ref));
    if (!record) {
      throw new CError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarRepository(ref)}${ref.tag ? `:${ref.tag}` : ''}`, {
        hint: 'tag a local image with that name first: `c tag IMAGE NAME`',
      });
    }
    const root = await this.pushRoot(record);
    const credentials = callCredentials(ref.registry, options.auth);
    const pushed = await this.parts.registry.push(ref, this.parts.content, root, {
      onProgress: options.onProgress ? (event) => options.onProgress?.(toTransferEvent(event)) : undefined,
      signal: options.signal,
      ...(credentials ? { credentials } : {}),
    });
    const digest = typeof pushed === 'string' ? pushed : root.digest;
    return {
      reference: this.familiar(ref),
      repository: familiarRepository(ref),
      tag: ref.digest ? undefined : ref.tag,
      digest,
      size: root.size,
    };
  }

  /**
   * The index when every platform it lists is held locally (the image was imported or pulled whole), else the
   * platform manifest: pushing an index whose other platforms are missing would fail half-way.
   */
  private async pushRoot(record: ImageRecord): Promise<Descriptor> {
    const content = this.parts.content;
    if (!record.indexDigest || !(await content.has(record.indexDigest))) return record.target;
    const index = await readIndex(content, record.indexDigest);
    for (const child of index.manifests) {
      if (!(await content.has(child.digest))) return record.target;
      const manifest = await readManifest(content, child.digest);
      for (const blob of [manifest.config, ...manifest.layers]) if (!(await content.has(blob.digest))) return record.target;
    }
    const bytes = await content.size(record.indexDigest);
    return { mediaType: index.mediaType ?? 'application/vnd.oci.image.index.v1+json', digest: record.indexDigest, size: bytes };
  }

  async list(): Promise<ImageSummary[]> {
    const rows: ImageSummary[] = [];
    const snapshotter = await this.snapshotter();
    const survey = snapshotter ? await surveySnapshots(snapshotter) : undefined;
    for (const record of await this.parts.images.list()) {
      const manifest = await readManifest(this.parts.content, record.target.digest);
      const config = await readConfig(this.parts.content, manifest.config.digest);
      const { repository, tag } = repositoryAndTag(record.name);
      rows.push({
        repository,
        tag,
        digest: record.indexDigest ?? record.target.digest,
        id: manifest.config.digest,
        created: (config as { created?: string }).created,
        size: await this.sizeOf(manifest, config.rootfs?.diff_ids, survey),
        name: record.name,
      });
    }
    // Newest first, like docker; ties by name so the output is stable.
    return rows.sort(
      (a, b) => Date.parse(b.created ?? '0') - Date.parse(a.created ?? '0') || a.name.localeCompare(b.name),
    );
  }

  async tag(source: string, target: string): Promise<void> {
    const image = await this.resolve(source);
    const ref = normalizeReference(target);
    if (ref.digest) {
      throw new CError('INVALID_ARGUMENT', `refusing to create a tag with a digest reference: ${target}`, {
        hint: 'give the new name a tag (name:tag), not a digest',
      });
    }
    const now = this.now().toISOString();
    await this.parts.images.put({
      name: recordName(ref),
      target: image.record.target,
      ...(image.record.indexDigest ? { indexDigest: image.record.indexDigest } : {}),
      configDigest: image.configDigest,
      createdAt: now,
      updatedAt: now,
    });
  }

  async remove(input: string, options: { force?: boolean } = {}): Promise<RemoveResultItem[]> {
    const byName = await this.findByName(input);
    const results: RemoveResultItem[] = [];
    let configDigest: string;
    if (byName) {
      await this.parts.images.delete(byName.record.name);
      results.push({ Untagged: this.familiarRecordName(byName.record) });
      configDigest = byName.configDigest;
    } else {
      const matches = await this.findById(input);
      const first = matches[0];
      if (!first) throw noSuchImage(input);
      configDigest = first.configDigest;
      const repositories = new Set(matches.map((m) => repositoryAndTag(m.record.name).repository));
      if (repositories.size > 1 && !options.force) {
        throw new CError(
          'CONFLICT',
          `conflict: unable to delete ${configDigest.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
          { hint: 'remove the names one by one with `c rmi NAME`, or use `c rmi -f`' },
        );
      }
      for (const match of matches) {
        await this.parts.images.delete(match.record.name);
        results.push({ Untagged: this.familiarRecordName(match.record) });
      }
    }
    const remaining = await this.recordsWithConfig(configDigest);
    if (remaining.length === 0) {
      results.push({ Deleted: configDigest });
      await this.parts.collectGarbage?.();
    }
    return results;
  }

  async inspect(input: string): Promise<ImageInspect> {
    const image = await this.resolve(input);
    const config = await readConfig(this.parts.content, image.configDigest);
    const related = await this.recordsWithConfig(image.configDigest);
    const repoTags = related.flatMap((r) => familiarTag(r.record.name) ?? []);
    const repoDigests = [
      ...new Set(
        related.map((r) => `${repositoryAndTag(r.record.name).repository}@${r.record.indexDigest ?? r.record.target.digest}`),
      ),
    ];
    const lastTagTime = related.map((r) => r.record.updatedAt).sort().at(-1) ?? image.record.updatedAt;
    const document = buildInspect({ configDigest: image.configDigest, config, manifest: image.manifest, repoTags, repoDigests, lastTagTime });
    const snapshotter = await this.snapshotter();
    if (snapshotter) document.Size = await this.sizeOf(image.manifest, config.rootfs?.diff_ids, await surveySnapshots(snapshotter));
    return document;
  }

  /** Docker's SIZE: the unpacked layers' disk usage once unpacked, else the compressed layers' sum. */
  private async sizeOf(manifest: ManifestDocument, diffIds: readonly string[] | undefined, survey: SnapshotSurvey | undefined): Promise<number> {
    if (survey && diffIds) {
      const unpacked = await unpackedSize(survey, layerChainIds(diffIds));
      if (unpacked !== undefined) return unpacked;
    }
    return imageSize(manifest);
  }

  private snapshotter(): Promise<Snapshotter | undefined> {
    const source = this.parts.snapshotter;
    if (source === undefined) return Promise.resolve(undefined);
    this.snapshots ??= typeof source === 'function' ? source() : Promise.resolve(source);
    return this.snapshots;
  }

  private async requireSnapshotter(operation: string): Promise<Snapshotter> {
    const snapshotter = await this.snapshotter();
    if (!snapshotter) {
      throw new CError('UNSUPPORTED', `${operation} needs a snapshotter, and this image service has none`, {
        hint: 'create the service with createImageService (it wires the store\'s snapshotter)',
      });
    }
    return snapshotter;
  }

  /** Unpacks a local image (a no-op when it is) and returns its layers' ChainIDs, bottom first. */
  private async unpacked(image: ResolvedImage, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const snapshotter = await this.requireSnapshotter('unpacking an image');
    const config = await readConfig(this.parts.content, image.configDigest);
    const result = await unpackLayers({ layers: image.manifest.layers, diffIds: config.rootfs.diff_ids }, (layer) => this.parts.content.open(layer.digest), snapshotter, options);
    return result.chainIds;
  }

  // ------------------------------------------------------------------ image mounts

  private async imageMounts(): Promise<ImageMounts> {
    const snapshotter = await this.requireSnapshotter('image mount');
    const mounts = this.parts.mounts;
    if (!mounts) {
      throw new CError('UNSUPPORTED', 'image mount is not configured in this image service', { hint: 'create the service with createImageService' });
    }
    return new ImageMounts(mounts.root, snapshotter, mounts.mounter);
  }

  /**
   * `c image mount REF` (podman's): mounts a read-only view of the image's rootfs and returns its path. Mounting
   * an image again returns the same path and counts one more user; each `unmount` releases one.
   */
  async mount(input: string, options: { signal?: AbortSignal } = {}): Promise<MountResult> {
    const image = await this.resolve(input);
    const chain = await this.unpacked(image, options);
    const top = chain.at(-1);
    if (top === undefined) {
      throw new CError('UNSUPPORTED', `image ${input} has no layers: there is no rootfs to mount`, { hint: 'mount an image with at least one layer' });
    }
    const mounted = await (await this.imageMounts()).acquire(image.configDigest, top);
    return { id: mounted.id, path: mounted.path, count: mounted.count };
  }

  /** Releases one mount of the image (every mount with `all`); the last one unmounts and removes the view. */
  async unmount(input: string, options: { all?: boolean } = {}): Promise<MountResult> {
    const image = await this.resolve(input);
    const left = await (await this.imageMounts()).release(image.configDigest, options);
    return { id: left.id, path: left.path, count: left.count };
  }

  /** The mounted images, with their paths and counts. */
  async mounted(): Promise<Array<MountResult & { names: string[] }>> {
    if (!this.parts.mounts || !this.parts.snapshotter) return [];
    const records = await this.parts.images.list();
    const rows = [];
    for (const entry of await (await this.imageMounts()).list()) {
      const names = records.filter((record) => record.configDigest === entry.id).map((record) => this.familiarRecordName(record));
      rows.push({ id: entry.id, path: entry.path, count: entry.count, names });
    }
    return rows;
  }

  // ------------------------------------------------------------------ space

  /**
   * `c system df`: what images and containers hold. `totals.images.reclaimable` is exactly what
   * `prune({ all: true })` would free now (the same GC plan), `unreferenced` what `prune()` would.
   */
  async df(): Promise<DiskUsage> {
    const { garbage, survey, used, records } = await this.spaceState();
    const unusedNow = (record: ImageRecord) => !used.has(record.configDigest ?? record.target.digest);
    const now = await garbage.usage();
    const ifPruned = await garbage.usage({ without: unusedNow });
    const holders = holdersOf(survey);
    const chains = new Map<string, string[]>();
    for (const record of records) {
      const id = record.configDigest ?? record.target.digest;
      if (chains.has(id)) continue;
      const config = await readConfig(this.parts.content, (await readManifest(this.parts.content, record.target.digest)).config.digest);
      chains.set(id, layerChainIds(config.rootfs?.diff_ids));
    }
    const chainUsers = new Map<string, number>();
    for (const chain of chains.values()) for (const chainId of chain) chainUsers.set(chainId, (chainUsers.get(chainId) ?? 0) + 1);
    const images: ImageDiskUsage[] = [];
    for (const [id, chain] of chains) {
      const blobs = now.images.find((row) => row.id === id);
      let unpacked = 0;
      let sharedUnpacked = 0;
      for (const chainId of chain) {
        if (survey.byName.get(chainId)?.kind !== 'committed') continue;
        const bytes = await survey.size(chainId);
        unpacked += bytes;
        if ((chainUsers.get(chainId) ?? 0) > 1) sharedUnpacked += bytes;
      }
      const size = (blobs?.size ?? 0) + unpacked;
      const sharedSize = (blobs?.sharedSize ?? 0) + sharedUnpacked;
      images.push({
        id,
        names: records.filter((record) => (record.configDigest ?? record.target.digest) === id).map((record) => record.name),
        size,
        sharedSize,
        uniqueSize: size - sharedSize,
        unpackedSize: unpacked,
        containers: holders.filter((holder) => holds(holder, id, chain.at(-1))).length,
      });
    }
    let committed = 0;
    for (const info of survey.all) if (info.kind === 'committed') committed += await survey.size(info.name);
    const containers = [];
    for (const holder of holders) {
      if (holder.kind !== 'container' || holder.container === undefined) continue;
      containers.push({ id: holder.container, snapshot: holder.snapshot, size: await survey.size(holder.snapshot), ...(holder.imageId ? { imageId: holder.imageId } : {}) });
    }
    return {
      images,
      containers,
      buildCache: { count: 0, size: 0, reclaimable: 0 },
      totals: {
        images: { count: images.length, active: images.filter((image) => image.containers > 0).length, size: now.blobs.bytes + committed, reclaimable: ifPruned.reclaimable.bytes },
        containers: { count: containers.length, size: containers.reduce((sum, row) => sum + row.size, 0) },
      },
      unreferenced: now.reclaimable.bytes,
    };
  }

  /**
   * `c image prune`: frees blobs and snapshots nothing references (a re-tagged name's old image, an interrupted
   * pull's leftovers). With `all`, first removes every image no container (or image mount) uses, as
   * `docker image prune -a` does. Frees what `df()` reported as reclaimable.
   */
  async prune(options: { all?: boolean } = {}): Promise<PruneResult> {
    const { garbage, used, records } = await this.spaceState();
    const deleted: RemoveResultItem[] = [];
    const idOf = (record: ImageRecord) => record.configDigest ?? record.target.digest;
    const isUntagged = (record: ImageRecord) => isUntaggedRepository(repositoryAndTag(record.name).repository);
    // docker's dangling images: untagged ones (c-untagged records) that nothing else names; plain prune takes those.
    const named = new Set(records.filter((record) => !isUntagged(record)).map(idOf));
    const ids = new Set<string>();
    for (const record of records) {
      const id = idOf(record);
      const untagged = isUntagged(record);
      if (used.has(id) || (!options.all && !untagged)) continue;
      await this.parts.images.delete(record.name);
      if (!untagged) deleted.push({ Untagged: this.familiarRecordName(record) });
      if (options.all || !named.has(id)) ids.add(id);
    }
    for (const id of ids) deleted.push({ Deleted: id });
    const { removed } = await garbage.collect();
    return { ImagesDeleted: deleted, SpaceReclaimed: removed.bytes };
  }

  /** GC, the snapshot survey and which image ids a container or image mount holds. */
  private async spaceState(): Promise<{ garbage: GarbagePort; survey: SnapshotSurvey; used: Set<string>; records: ImageRecord[] }> {
    const garbage = this.parts.garbage;
    if (!garbage) throw new CError('UNSUPPORTED', 'this image service has no garbage collector', { hint: 'create the service with createImageService' });
    const survey = await surveySnapshots(await this.requireSnapshotter('disk usage'));
    const records = await this.parts.images.list();
    const holders = holdersOf(survey);
    const used = new Set<string>();
    for (const holder of holders) if (holder.imageId !== undefined) used.add(holder.imageId);
    const unlabelled = holders.filter((holder) => holder.imageId === undefined);
    if (unlabelled.length > 0) {
      for (const record of records) {
        const id = record.configDigest ?? record.target.digest;
        const config = await readConfig(this.parts.content, (await readManifest(this.parts.content, record.target.digest)).config.digest);
        const top = layerChainIds(config.rootfs?.diff_ids).at(-1);
        if (unlabelled.some((holder) => holds(holder, id, top))) used.add(id);
      }
    }
    return { garbage, survey, used, records };
  }

  async import(source: ByteSource, target: string, options: ImportOptions = {}): Promise<ImportResult> {
    const ref = normalizeReference(target);
    if (ref.digest) {
      throw new CError('INVALID_ARGUMENT', `cannot import to a digest reference: ${target}`, { hint: 'use name:tag' });
    }
    const sourceName = options.sourceName ?? '-';
    // Validate the changes and the platform before reading a possibly large tarball.
    const containerConfig = applyChanges({}, options.changes ?? []);
    const platform = (typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform) ?? hostPlatform();
    const created = this.now().toISOString();
    const comment = options.message ?? `Imported from ${sourceName}`;
    const config = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      comment,
      config: containerConfig,
      rootfs: { type: 'layers', diff_ids: [] as string[] },
      history: [{ created, created_by: `c import ${sourceName}`, comment }],
    };
    // Checked as a pulled config is (size, map bounds), before the tarball is read: every reader of the store, GC
    // included, parses it again. The layer's DiffID (a fixed-size digest) is all it lacks.
    parseImageConfig(Buffer.from(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } })));
    const layer = await storeTarballLayer(this.parts.content, source, { tmpDir: this.parts.tmpDir, sourceName });
    config.rootfs.diff_ids.push(layer.diffId);
    const configDescriptor = await writeDocument(this.parts.content, OCI_CONFIG, config);
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: [layer.descriptor] };
    const manifestDescriptor = await writeDocument(this.parts.content, OCI_MANIFEST, manifest);
    await this.parts.images.put({
      name: recordName(ref),
      target: manifestDescriptor,
      configDigest: configDescriptor.digest,
      createdAt: created,
      updatedAt: created,
    });
    return { id: configDescriptor.digest, manifestDigest: manifestDescriptor.digest, reference: this.familiar(ref) };
  }

  /**
   * `docker save`: the images (by name or id) as one docker-archive tar stream. An image named by a tag is saved
   * under that tag (all the tags given for it); one given by id only, untagged.
   */
  async saveImages(inputs: readonly string[]): Promise<Readable> {
    if (inputs.length === 0) throw new CError('INVALID_ARGUMENT', 'save needs at least one image', { hint: 'name the images to save' });
    const items = new Map<string, SaveItem & { repoTags: string[] }>();
    for (const input of inputs) {
      const named = await this.findByName(input).catch(() => undefined);
      const image = named ?? (await this.resolve(input));
      let item = items.get(image.configDigest);
      if (item === undefined) {
        const config = await readConfig(this.parts.content, image.configDigest);
        item = { configDigest: image.configDigest, layers: image.manifest.layers, diffIds: config.rootfs?.diff_ids ?? [], repoTags: [] };
        items.set(image.configDigest, item);
      }
      const tag = named ? familiarTag(named.record.name) : undefined;
      if (tag !== undefined && !item.repoTags.includes(tag)) item.repoTags.push(tag);
    }
    await mkdir(this.parts.tmpDir, { recursive: true });
    return saveArchive(this.parts.content, [...items.values()], this.parts.tmpDir);
  }

  /**
   * `docker load`: a docker-archive or OCI layout tar; each image gets the names the archive gives it, an image
   * without one is kept untagged (`names: []`).
   */
  async loadImages(source: ByteSource): Promise<LoadResult[]> {
    await mkdir(this.parts.tmpDir, { recursive: true });
    const scratch = await mkdtemp(join(this.parts.tmpDir, 'load-'));
    try {
      const archive = await ExtractedArchive.extract(source, join(scratch, 'archive'));
      const loaded = await loadArchive(archive, this.parts.content, scratch);
      const results: LoadResult[] = [];
      const now = this.now().toISOString();
      for (const image of loaded) {
        const names: string[] = [];
        for (const name of image.names) {
          const ref = normalizeReference(name);
          await this.parts.images.put({ name: recordName(ref), target: image.manifest, configDigest: image.configDigest, createdAt: now, updatedAt: now });
          names.push(this.familiar(ref));
        }
        if (names.length === 0) {
          const name = untaggedRecordName(image.configDigest, image.manifest.digest);
          await this.parts.images.put({ name, target: image.manifest, configDigest: image.configDigest, createdAt: now, updatedAt: now });
        }
        results.push({ id: image.configDigest, names });
      }
      return results;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Verifies the credentials with the registry, then saves them (docker's config.json) when the service has a credential writer. */
  async login(registry: string | undefined, credentials: { username: string; password: string }): Promise<{ registry: string }> {
    const host = normalizeRegistryHost(registry);
    await this.parts.registry.login(host, credentials);
    await this.parts.credentials?.save(host, credentials);
    return { registry: host };
  }

  /** Removes saved credentials; `removed` is false when none were stored (always, for a service that saves none). */
  async logout(registry: string | undefined): Promise<{ registry: string; removed: boolean }> {
    const host = normalizeRegistryHost(registry);
    return { registry: host, removed: (await this.parts.credentials?.remove(host)) ?? false };
  }

  /** Finds a local image by name (`busybox`, `busybox:1.36`, `name@sha256:…`) or by id / id prefix. */
  private async resolve(input: string): Promise<ResolvedImage> {
    const byName = await this.findByName(input);
    if (byName) return byName;
    const matches = await this.findById(input);
    if (matches[0]) return matches[0];
    throw noSuchImage(input);
  }

  private async findByName(input: string): Promise<ResolvedImage | undefined> {
    let ref: Reference;
    try {
      ref = normalizeReference(input);
    } catch (error) {
      // Not a valid name; the caller may still match it as an id.
      if (idPrefix(input)) return undefined;
      throw error;
    }
    const record = await this.parts.images.get(recordName(ref));
    return record ? this.load(record) : undefined;
  }

  /** All records whose image id starts with the given id prefix; CONFLICT when the prefix names two images. */
  private async findById(input: string): Promise<ResolvedImage[]> {
    const prefix = idPrefix(input);
    if (!prefix) return [];
    const all = await Promise.all((await this.parts.images.list()).map((record) => this.load(record)));
    const matches = all.filter((image) => image.configDigest.slice('sha256:'.length).startsWith(prefix));
    const ids = new Set(matches.map((m) => m.configDigest));
    if (ids.size > 1) {
      throw new CError('CONFLICT', `the id prefix ${input} matches ${ids.size} images`, {
        hint: 'give more digits of the image id',
      });
    }
    return matches;
  }

  private async recordsWithConfig(configDigest: string): Promise<ResolvedImage[]> {
    const all = await Promise.all((await this.parts.images.list()).map((record) => this.load(record)));
    return all.filter((image) => image.configDigest === configDigest).sort((a, b) => a.record.name.localeCompare(b.record.name));
  }

  private async load(record: ImageRecord): Promise<ResolvedImage> {
    const manifest = await readManifest(this.parts.content, record.target.digest);
    return { record, manifest, configDigest: manifest.config.digest };
  }

  private familiar(ref: Reference): string {
    const repository = familiarRepository(ref);
    if (ref.digest) return `${repository}@${ref.digest}`;
    return `${repository}:${ref.tag ?? 'latest'}`;
  }

  private familiarRecordName(record: ImageRecord): string {
    const { reference } = repositoryAndTag(record.name);
    return this.familiar(reference);
  }
}

export type { Platform };
