/**
 * `docker load`: a docker-archive (`manifest.json`, as `docker save` and `skopeo … docker-archive:` write it) or an
 * OCI image layout (`oci-layout`, `index.json`, `blobs/`) tarball becomes images in the store. The tar is first
 * unpacked into a scratch directory (its documents may come last), every path checked to stay inside it.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { CError } from '@c/errors';
import { MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, parseImageConfig, parseManifest, type BlobStore, type Descriptor, type ImageConfig } from '@c/image';
import { TarReader, entryComponents } from '@c/layers';
import type { ByteSource } from './ports';
import { OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, storeTarballLayer } from './import-tarball';
import { storeBytes, writeDocument } from './documents';

/** What `load` reports per image: its id and the names it was stored under (docker's familiar form). */
export interface LoadResult {
  id: string;
  names: string[];
}

/** What one image of an archive became: its ids and the names (`repo:tag`) the archive gave it. */
export interface LoadedArchiveImage {
  configDigest: string;
  manifest: Descriptor;
  names: string[];
}

const MAX_DOCUMENT = 4 * 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function invalid(message: string): CError {
  return new CError('INVALID_ARGUMENT', `load: ${message}`, { hint: 'give a tar made by `c save`, `docker save` or an OCI image layout' });
}

/** An unpacked archive: regular files on disk, symlinks (docker's legacy format links shared layers) kept by name. */
export class ExtractedArchive {
  private readonly links = new Map<string, string>();

  private constructor(readonly dir: string) {}

  static async extract(source: ByteSource, dir: string): Promise<ExtractedArchive> {
    const archive = new ExtractedArchive(dir);
    const reader = new TarReader((entry) => {
      const parts = entryComponents(entry.name);
      if (parts.length === 0) return undefined;
      const name = parts.join('/');
      const path = join(dir, ...parts);
      if (entry.type === 'directory') {
        mkdirSync(path, { recursive: true });
        return undefined;
      }
      if (entry.type === 'symlink') {
        archive.links.set(name, posix.normalize(posix.join(posix.dirname(name), entry.linkname)));
        return undefined;
      }
      if (entry.type !== 'file') return undefined;
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, 'w', 0o600);
      return {
        write: (chunk) => {
          for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
        },
        end: () => closeSync(fd),
      };
    });
    for await (const chunk of source) reader.push(Buffer.from(chunk));
    reader.finish();
    return archive;
  }

  /** The file an archive path names (following the archive's own symlinks), or undefined. */
  path(name: string): string | undefined {
    let current = posix.normalize(name);
    for (let hops = 0; hops < 16 && this.links.has(current); hops++) current = this.links.get(current)!;
    if (current.startsWith('../') || current.startsWith('/')) return undefined;
    const path = join(this.dir, ...entryComponents(current));
    return existsSync(path) && statSync(path).isFile() ? path : undefined;
  }

  require(name: string, what: string): string {
    const path = this.path(name);
    if (path === undefined) throw invalid(`${what} ${name} is missing from the archive`);
    return path;
  }

  /** The bytes of a document of the archive, refused past `max` before they are read. */
  readBytes(name: string, what: string, max = MAX_DOCUMENT): Buffer {
    const path = this.require(name, what);
    if (statSync(path).size > max) throw invalid(`${what} ${name} is larger than ${max} bytes`);
    return readFileSync(path);
  }

  readJson(name: string, what: string): unknown {
    return this.parseJson(this.readBytes(name, what), name, what);
  }

  parseJson(bytes: Buffer, name: string, what: string): unknown {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw invalid(`${what} ${name} is not valid JSON (${(error as Error).message})`);
    }
  }
}

/**
 * An image config of the archive, checked as a pulled one is: the archive is untrusted, and its maps' keys (labels,
 * ports, volumes) reach the CLI, which bounds nothing itself (decision 0017).
 */
function readConfig(archive: ExtractedArchive, name: string): { bytes: Buffer; config: ImageConfig } {
  const bytes = archive.readBytes(name, 'the config', MAX_CONFIG_SIZE);
  return { bytes, config: parseImageConfig(bytes) };
}

/** Stores bytes whose digest must be `digest` (a config or manifest kept byte-exact). */
async function putBytes(store: BlobStore, bytes: Uint8Array, digest = sha256(bytes)): Promise<string> {
  if (sha256(bytes) !== digest) throw invalid(`blob ${digest} does not match its digest`);
  await storeBytes(store, digest, bytes);
  return digest;
}

/** Streams a blob file into the store, verified against `digest` by the ingest. */
async function putFile(store: BlobStore, path: string, digest: string): Promise<void> {
  if (await store.has(digest)) return;
  const ingest = await store.ingest(digest, statSync(path).size);
  try {
    for await (const chunk of createReadStream(path, { start: ingest.offset })) await ingest.write(chunk as Buffer);
    await ingest.commit();
  } catch (error) {
    await ingest.abort().catch(() => undefined);
    if (error instanceof CError && error.code === 'DIGEST_MISMATCH') throw invalid(`blob ${digest} does not match its digest`);
    throw error;
  }
}

interface ArchiveEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/** docker-archive: configs kept byte-exact (the image ID survives), layers stored gzipped, a new OCI manifest. */
async function loadDockerArchive(archive: ExtractedArchive, store: BlobStore, tmpDir: string): Promise<LoadedArchiveImage[]> {
  const entries = archive.readJson('manifest.json', 'the manifest');
  if (!Array.isArray(entries)) throw invalid('manifest.json is not a list');
  const loaded: LoadedArchiveImage[] = [];
  for (const raw of entries as ArchiveEntry[]) {
    if (typeof raw.Config !== 'string' || !Array.isArray(raw.Layers) || raw.Layers.some((l) => typeof l !== 'string')) {
      throw invalid('a manifest.json entry lacks Config or Layers');
    }
    const { bytes: configBytes, config } = readConfig(archive, raw.Config);
    const configDigest = await putBytes(store, configBytes);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== raw.Layers.length) throw invalid(`${raw.Config} names ${diffIds.length} layers but the archive has ${raw.Layers.length}`);
    const layers: Descriptor[] = [];
    for (const [index, name] of (raw.Layers as string[]).entries()) {
      const stored = await storeTarballLayer(store, createReadStream(archive.require(name, 'the layer')), { tmpDir, sourceName: name });
      if (stored.diffId !== diffIds[index]) throw invalid(`layer ${name} has DiffID ${stored.diffId}, the config says ${diffIds[index]}`);
      layers.push(stored.descriptor);
    }
    const configDescriptor = { mediaType: OCI_CONFIG, digest: configDigest, size: configBytes.length };
    const manifest = await writeDocument(store, OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers });
    const names = Array.isArray(raw.RepoTags) ? raw.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    loaded.push({ configDigest, manifest, names });
  }
  return loaded;
}

const blobPath = (digest: string): string => `blobs/${digest.replace(':', '/')}`;

interface LayoutDescriptor extends Descriptor {
  annotations?: Record<string, string>;
}

/** OCI layout: every blob stored as it is (digests verified); an index entry that is an index gives its first manifest. */
async function loadOciLayout(archive: ExtractedArchive, store: BlobStore): Promise<LoadedArchiveImage[]> {
  const index = archive.readJson('index.json', 'the OCI index') as { manifests?: LayoutDescriptor[] };
  if (!Array.isArray(index.manifests)) throw invalid('index.json has no manifests');
  const loaded: LoadedArchiveImage[] = [];
  for (const top of index.manifests) {
    let descriptor: LayoutDescriptor = top;
    if (descriptor.mediaType === OCI_INDEX || descriptor.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json') {
      const indexBytes = archive.readBytes(blobPath(descriptor.digest), 'the index');
      const nested = archive.parseJson(indexBytes, blobPath(descriptor.digest), 'the index') as { manifests?: LayoutDescriptor[] };
      await putBytes(store, indexBytes, descriptor.digest);
      const first = nested.manifests?.[0];
      if (first === undefined) throw invalid(`index ${descriptor.digest} lists no manifests`);
      descriptor = { ...first, ...(top.annotations ? { annotations: top.annotations } : {}) };
    }
    const manifestBytes = archive.readBytes(blobPath(descriptor.digest), 'the manifest', MAX_MANIFEST_SIZE);
    // Checked as a pulled manifest is: GC parses every recorded manifest, and one it refuses (e.g. past
    // MAX_MAP_ENTRIES annotations) would block every collection.
    const parsed = parseManifest(manifestBytes, descriptor.mediaType);
    if (parsed.kind !== 'manifest') throw invalid(`manifest ${descriptor.digest} has no config or layers`);
    const { manifest } = parsed;
    // Stored from the bytes just checked, as the docker-archive path does, rather than read from the file again.
    await putBytes(store, readConfig(archive, blobPath(manifest.config.digest)).bytes, manifest.config.digest);
    for (const layer of manifest.layers) await putFile(store, archive.require(blobPath(layer.digest), 'the blob'), layer.digest);
    await putBytes(store, manifestBytes, descriptor.digest);
    // containerd and docker name the image in full; the OCI ref.name may be only a tag, which names nothing here.
    const name = descriptor.annotations?.['io.containerd.image.name'] ?? descriptor.annotations?.['org.opencontainers.image.ref.name'];
    const names = name !== undefined && /[:/@]/.test(name) ? [name] : [];
    loaded.push({ configDigest: manifest.config.digest, manifest: { mediaType: descriptor.mediaType ?? OCI_MANIFEST, digest: descriptor.digest, size: manifestBytes.length }, names });
  }
  return loaded;
}

/** Stores the images of an unpacked archive (docker-archive first, as docker's own does for archives with both). */
export async function loadArchive(archive: ExtractedArchive, store: BlobStore, tmpDir: string): Promise<LoadedArchiveImage[]> {
  if (archive.path('manifest.json') !== undefined) return loadDockerArchive(archive, store, tmpDir);
  if (archive.path('index.json') !== undefined) return loadOciLayout(archive, store);
  throw invalid('the archive has neither manifest.json (docker save) nor index.json (OCI layout)');
}
