/**
 * In-memory stand-ins for the store and a registry, for unit tests only (not exported from the package).
 * They keep the contracts that matter: blobs are verified against their digest on commit, a registry serves
 * what was pushed to it and selects a platform from an index.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CError } from '@c/errors';
import type { BlobIngest, BlobSink, BlobStore, Descriptor, Platform, Reference } from '@c/image';
import type { CallCredentialStore, ImageRecord, ImageRecordPort, PulledImagePort, RegistryPort, TransferProgress } from './ports';

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  private readonly partial = new Map<string, Buffer>();

  async has(digest: string): Promise<boolean> {
    return this.blobs.has(digest);
  }

  async ingest(digest: string, expectedSize: number): Promise<BlobIngest> {
    const chunks: Buffer[] = [this.partial.get(digest) ?? Buffer.alloc(0)];
    const offset = chunks[0]?.length ?? 0;
    return {
      offset,
      write: async (chunk) => void chunks.push(Buffer.from(chunk)),
      commit: async () => {
        const bytes = Buffer.concat(chunks);
        this.partial.delete(digest);
        if (bytes.length !== expectedSize || sha256(bytes) !== digest) {
          throw new CError('DIGEST_MISMATCH', `blob ${digest} does not match what was written`);
        }
        this.blobs.set(digest, bytes);
      },
      close: async () => void this.partial.set(digest, Buffer.concat(chunks)),
      abort: async () => void this.partial.delete(digest),
    };
  }

  async size(digest: string): Promise<number> {
    return this.get(digest).length;
  }

  async open(digest: string): Promise<Readable> {
    return Readable.from([this.get(digest)]);
  }

  async read(digest: string): Promise<Uint8Array> {
    return this.get(digest);
  }

  async delete(digest: string): Promise<void> {
    this.blobs.delete(digest);
  }

  /** Stores a JSON document and returns its descriptor. */
  putJson(mediaType: string, value: unknown): Descriptor {
    return this.putBytes(mediaType, Buffer.from(JSON.stringify(value)));
  }

  putBytes(mediaType: string, bytes: Buffer): Descriptor {
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  }

  private get(digest: string): Buffer {
    const blob = this.blobs.get(digest);
    if (!blob) throw new CError('NOT_FOUND', `blob ${digest} not found`);
    return blob;
  }
}

export class MemoryImageStore implements ImageRecordPort {
  readonly records = new Map<string, ImageRecord>();
  readonly leases = new Map<string, string[]>();
  readonly leaseHistory: string[] = [];

  async get(name: string): Promise<ImageRecord | undefined> {
    return this.records.get(name);
  }
  async list(): Promise<ImageRecord[]> {
    return [...this.records.values()];
  }
  async put(record: ImageRecord, options: { releaseLease?: string } = {}): Promise<void> {
    this.records.set(record.name, record);
    if (options.releaseLease !== undefined) await this.releaseLease(options.releaseLease);
  }
  async delete(name: string): Promise<void> {
    this.records.delete(name);
  }
  async acquireLease(id: string, digests: string[]): Promise<void> {
    this.leases.set(id, digests);
    this.leaseHistory.push(`acquire ${id} ${digests.length}`);
  }
  async releaseLease(id: string): Promise<void> {
    this.leases.delete(id);
    this.leaseHistory.push(`release ${id}`);
  }
}

const key = (ref: Reference) => `${ref.registry}/${ref.repository}`;

/** A registry in memory: repositories of tags → root digests over one blob store. */
export class FakeRegistry implements RegistryPort {
  readonly store = new MemoryBlobStore();
  readonly tags = new Map<string, string>();
  readonly users = new Map<string, string>();
  readonly pushed: Descriptor[] = [];
  /** Per pull/push: the username its call credentials give for the image's registry and for another host. */
  readonly credentialsSeen: Array<{ own: string | undefined; other: string | undefined }> = [];

  private async see(ref: Reference, credentials: CallCredentialStore | undefined): Promise<void> {
    this.credentialsSeen.push({
      own: (await credentials?.get(ref.registry))?.username,
      other: (await credentials?.get('elsewhere.example.com'))?.username,
    });
  }

  tag(ref: Reference, digest: string): void {
    this.tags.set(`${key(ref)}:${ref.tag ?? 'latest'}`, digest);
  }

  async pull(
    ref: Reference,
    sink: BlobSink,
    options: { platform?: Platform; onProgress?: (event: TransferProgress) => void; credentials?: CallCredentialStore },
  ): Promise<PulledImagePort> {
    await this.see(ref, options.credentials);
    const rootDigest = ref.digest ?? this.tags.get(`${key(ref)}:${ref.tag ?? 'latest'}`);
    if (!rootDigest || !this.store.blobs.has(rootDigest)) {
      throw new CError('NOT_FOUND', `manifest for ${key(ref)} not found: manifest unknown`);
    }
    const root = JSON.parse(this.store.blobs.get(rootDigest)!.toString()) as {
      manifests?: Descriptor[];
      mediaType?: string;
    };
    let manifestDigest = rootDigest;
    let indexDigest: string | undefined;
    if (root.manifests) {
      indexDigest = rootDigest;
      const wanted = options.platform;
      const chosen = root.manifests.find(
        (m) => !wanted || (m.platform?.os === wanted.os && m.platform?.architecture === wanted.architecture),
      );
      if (!chosen) throw new CError('NOT_FOUND', `no matching manifest for ${wanted?.os}/${wanted?.architecture}`);
      manifestDigest = chosen.digest;
      await copyBlob(this.store, sink, indexDigest);
    }
    const manifest = JSON.parse(this.store.blobs.get(manifestDigest)!.toString()) as PulledImagePort['manifest'];
    await copyBlob(this.store, sink, manifestDigest);
    for (const blob of [manifest.config, ...manifest.layers]) {
      const exists = await sink.has(blob.digest);
      if (!exists) await copyBlob(this.store, sink, blob.digest);
      options.onProgress?.({ id: blob.digest.slice(7, 19), status: exists ? 'exists' : 'done', current: blob.size, total: blob.size });
    }
    return { manifestDigest, ...(indexDigest ? { indexDigest } : {}), configDigest: manifest.config.digest, manifest };
  }

  async push(ref: Reference, source: BlobStore, root: Descriptor, options: { credentials?: CallCredentialStore } = {}): Promise<string> {
    await this.see(ref, options.credentials);
    const bytes = Buffer.from(await source.read(root.digest));
    const doc = JSON.parse(bytes.toString()) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    for (const child of doc.manifests ?? []) await this.push({ ...ref, tag: undefined }, source, child);
    for (const blob of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
      this.store.blobs.set(blob.digest, Buffer.from(await source.read(blob.digest)));
    }
    this.store.blobs.set(root.digest, bytes);
    this.pushed.push(root);
    if (ref.tag) this.tag(ref, root.digest);
    return root.digest;
  }

  async login(registry: string, credentials: { username: string; password: string }): Promise<void> {
    if (this.users.get(credentials.username) !== credentials.password) {
      throw new CError('UNAUTHORIZED', `login to ${registry} refused: incorrect username or password`);
    }
  }
}

async function copyBlob(from: MemoryBlobStore, to: BlobSink, digest: string): Promise<void> {
  if (await to.has(digest)) return;
  const bytes = Buffer.from(await from.read(digest));
  const ingest = await to.ingest(digest, bytes.length);
  await ingest.write(bytes.subarray(ingest.offset));
  await ingest.commit();
}
