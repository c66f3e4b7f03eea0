/**
 * `commit`: the container's changes (the diff of its active snapshot) become one more layer on top of its image,
 * with the container's config as the new image config (plus `--change` edits), stored as an OCI image and named.
 * Every digest is leased before it is written, so a concurrent GC cannot sweep the new blobs before the name
 * points at them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { appendLayerToConfig, parseImageConfig, type ContainerConfig as ImageContainerConfig, type Descriptor } from '@c/image';
import { storeLayout, writeDiff, type ContentStore, type ImageStore } from '@c/layers';
import { applyChanges } from '../images/changes';
import { writeDocument } from '../images/documents';
import { OCI_CONFIG, OCI_MANIFEST } from '../images/import-tarball';
import { normalizeReference, recordName } from '../images/names';
import { untaggedRecordName } from '../images/untagged';
import type { ImagePort } from './image-port';
import type { ContainerService } from './service';
import type { ContainerRecord } from './types';

export interface CommitOptions {
  /** `repo[:tag]` to name the new image; without it the image is untagged (docker's `<none>:<none>`). */
  reference?: string;
  comment?: string;
  /** Freeze a running container while its changes are read (docker's default); `false` reads them live. */
  pause?: boolean;
  author?: string;
  /** Dockerfile-like edits: `CMD ["sh"]`, `ENV A=b`, … */
  changes?: string[];
}

export interface CommitResult {
  /** The new image id (config digest). */
  id: string;
  manifestDigest: string;
  /** The name it was stored under; '' for an untagged image. */
  reference: string;
}

export interface CommitStores {
  content: ContentStore;
  images: ImageStore;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The parts of a container's Config that an image config keeps. */
function imageConfigFrom(record: ContainerRecord): ImageContainerConfig {
  const c = record.Config;
  const out: ImageContainerConfig = { Env: [...c.Env], WorkingDir: c.WorkingDir, Labels: { ...c.Labels } };
  if (c.User !== '') out.User = c.User;
  if (c.Cmd) out.Cmd = [...c.Cmd];
  if (c.Entrypoint) out.Entrypoint = [...c.Entrypoint];
  if (c.ExposedPorts) out.ExposedPorts = { ...c.ExposedPorts };
  if (c.Volumes) out.Volumes = { ...c.Volumes };
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Healthcheck) out.Healthcheck = structuredClone(c.Healthcheck);
  return out;
}

export async function commitContainer(service: ContainerService, images: ImagePort, stores: CommitStores, input: string, options: CommitOptions): Promise<CommitResult> {
  const record = service.get(input);
  const named = options.reference !== undefined && options.reference !== '' ? recordName(normalizeReference(options.reference)) : undefined;
  const base = await images.resolve(record.Image);
  const edited = applyChanges(imageConfigFrom(record) as never, options.changes ?? []) as ImageContainerConfig;
  // Bad edits are refused before the container is paused and its diff written: the config is checked as a pulled
  // one is (map bounds) with the base's layers; the final bytes are checked again below.
  parseImageConfig(Buffer.from(JSON.stringify({ ...base.config, config: edited })));
  // docker pauses a running container so its files are read in one consistent state.
  const freeze = options.pause !== false && record.State.Running && !record.State.Paused;
  if (freeze) await service.pause(record.Id);
  const tmp = storeLayout(service.root).tmp;
  await mkdir(tmp, { recursive: true });
  const layerFile = join(tmp, `commit-${record.Id}-${Date.now()}.tar.gz`);
  try {
    const source = await service.snapshotter.diffSource(record.C.snapshotKey);
    let diff: Awaited<ReturnType<typeof writeDiff>>;
    try {
      diff = await writeDiff(source, createWriteStream(layerFile));
    } finally {
      if (freeze) await service.unpause(record.Id).catch(() => undefined);
    }
    const created = new Date().toISOString();
    const config = appendLayerToConfig({ ...base.config, config: edited, created }, diff.diffId as never, {
      created,
      created_by: [record.Path, ...record.Args].join(' '),
      ...(options.comment ? { comment: options.comment } : {}),
      ...(options.author ? { author: options.author } : {}),
    });
    if (options.author) config.author = options.author;
    // docker: the new image's comment is the commit's own (or none), never the base image's.
    const withComment = config as typeof config & { comment?: string };
    if (options.comment) withComment.comment = options.comment;
    else delete withComment.comment;
    const configBytes = Buffer.from(JSON.stringify(config));
    // Checked as a pulled config is (size, map bounds): every reader of the store, GC included, parses it again.
    parseImageConfig(configBytes);
    const layer: Descriptor = { mediaType: diff.mediaType, digest: diff.digest as never, size: diff.size };
    const configDescriptor: Descriptor = { mediaType: OCI_CONFIG, digest: sha256(configBytes) as never, size: configBytes.length };
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: [...base.layers, layer] };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha256(manifestBytes);
    const name = named ?? untaggedRecordName(configDescriptor.digest, manifestDigest);
    return await stores.images.withLease('commit', [layer.digest, configDescriptor.digest, manifestDigest], async () => {
      await stores.content.importStream(createReadStream(layerFile), { expectedDigest: layer.digest, size: layer.size });
      await writeDocument(stores.content, OCI_CONFIG, config);
      const target = await writeDocument(stores.content, OCI_MANIFEST, manifest);
      await stores.images.put({ name, target, configDigest: configDescriptor.digest });
      service.emit(record, 'commit', { comment: options.comment ?? '' });
      return { id: configDescriptor.digest, manifestDigest: target.digest, reference: named ?? '' };
    });
  } finally {
    await rm(layerFile, { force: true });
  }
}

