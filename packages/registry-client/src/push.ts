/**
 * Push: for an index, each child manifest first; for a manifest, its layers (skipping those the registry
 * has, mounting from sibling repositories where possible), then its config, then the manifest itself,
 * byte-exact with its own media type.
 */
import type { Readable } from 'node:stream';
import { CError, isCError } from '@c/errors';
import { isRetryableStatus, retryDelay, sleep, type RetryPolicy } from './retry';
import { discard, header, type HttpResponse } from './http';
import {
  digestOf,
  familiarName,
  isManifestMediaType,
  MANIFEST_ACCEPT_HEADER,
  parseDigest,
  parseManifest,
  type BlobSource,
  type Descriptor,
  type Digest,
  type Reference,
} from '@c/image';
import { mapLimit } from './limit';
import { shortDigest } from './names';
import { repositoryScope } from './scope';
import type { RegistryTransport } from './transport';

export type PushStatus = 'waiting' | 'pushing' | 'exists' | 'mounted' | 'pushed';

export interface PushProgress {
  id: string;
  digest: Digest;
  kind: 'layer' | 'config' | 'manifest' | 'index';
  status: PushStatus;
  current: number;
  total: number;
}

export type UploadMethod = 'auto' | 'monolithic' | 'chunked' | 'post';

export interface PushOptions {
  onProgress?: (event: PushProgress) => void;
  /** Repositories of the same registry to try cross-repo mounts from. */
  mountFrom?: string[];
  /** `auto` (default): chunked for blobs of at least `chunkedThreshold` bytes, else POST + PUT. */
  uploadMethod?: UploadMethod;
  /** Size of one PATCH in chunked uploads (default 16 MiB). */
  chunkSize?: number;
  /** Blobs this large or larger go up in chunks under `auto` (default 64 MiB). */
  chunkedThreshold?: number;
  signal?: AbortSignal;
}

const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
const DEFAULT_CHUNKED_THRESHOLD = 64 * 1024 * 1024;

/** Appends `digest=` to an upload location without re-encoding the registry's own query parameters. */
function withDigest(location: URL, digest: Digest): URL {
  const url = new URL(location.href);
  url.search = `${url.search ? `${url.search}&` : '?'}digest=${encodeURIComponent(digest)}`;
  return url;
}

/** Reads a stream in pieces of exactly `size` bytes (the last one shorter). */
async function* fixedChunks(stream: Readable, size: number): AsyncGenerator<Uint8Array> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const raw of stream) {
    let chunk = raw as Buffer;
    while (chunk.length > 0) {
      const take = Math.min(size - pendingBytes, chunk.length);
      pending.push(chunk.subarray(0, take));
      pendingBytes += take;
      chunk = chunk.subarray(take);
      if (pendingBytes === size) {
        yield Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

export class Pusher {
  constructor(
    private readonly transport: RegistryTransport,
    private readonly concurrency: number,
    private readonly retry: RetryPolicy,
  ) {}

  async push(ref: Reference, source: BlobSource, root: Descriptor, options: PushOptions = {}): Promise<Digest> {
    const bytes = await this.readVerified(source, root);
    const target = ref.tag ?? ref.digest ?? root.digest;
    const parsed = parseManifest(bytes, root.mediaType);
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        if (!isManifestMediaType(child.mediaType)) {
          throw new CError('UNSUPPORTED', `index ${root.digest} names ${child.mediaType} ${child.digest}, which c cannot push`, {});
        }
        if (!(await this.sourceHas(source, child.digest))) {
          // A partial pull keeps only some platforms: fine if the registry has the others already.
          if (await this.registryHasManifest(ref, child.digest, options.signal)) continue;
          const platform = child.platform ? `${child.platform.os}/${child.platform.architecture}${child.platform.variant ? `/${child.platform.variant}` : ''}` : 'no platform';
          throw new CError('NOT_FOUND', `index ${root.digest} names manifest ${child.digest} (${platform}), which is neither in the local store nor in ${ref.registry}/${ref.repository}`, {
            hint: 'pull every platform of the image first, or push a single platform (its manifest) instead of the index',
            details: { index: root.digest, manifest: child.digest },
          });
        }
        await this.pushManifest(ref, source, child, child.digest, options);
      }
      await this.putManifest(ref, target, root, bytes, 'index', options);
    } else {
      await this.pushManifest(ref, source, root, target, options, bytes);
    }
    return root.digest;
  }

  private async pushManifest(ref: Reference, source: BlobSource, descriptor: Descriptor, target: string, options: PushOptions, known?: Uint8Array): Promise<void> {
    const bytes = known ?? (await this.readVerified(source, descriptor));
    const parsed = parseManifest(bytes, descriptor.mediaType);
    if (parsed.kind !== 'manifest') throw new CError('UNSUPPORTED', `manifest ${descriptor.digest} is a nested index, which c does not push`);
    const { manifest } = parsed;
    const layers = [...new Map(manifest.layers.map((l) => [l.digest, l])).values()];
    for (const layer of layers) this.emit(options, 'layer', layer, 'waiting', 0);
    // One failed upload cancels the others.
    const uploadsAbort = new AbortController();
    const forwardAbort = () => uploadsAbort.abort();
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const layerOptions = { ...options, signal: uploadsAbort.signal };
      await mapLimit(layers, this.concurrency, (layer) => this.pushBlob(ref, source, layer, 'layer', layerOptions), () => uploadsAbort.abort());
    } finally {
      options.signal?.removeEventListener('abort', forwardAbort);
    }
    await this.pushBlob(ref, source, manifest.config, 'config', options);
    await this.putManifest(ref, target, descriptor, bytes, 'manifest', options);
  }

  private async sourceHas(source: BlobSource, digest: Digest): Promise<boolean> {
    try {
      await source.size(digest);
      return true;
    } catch (error) {
      if (isCError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  private async registryHasManifest(ref: Reference, digest: Digest, signal?: AbortSignal): Promise<boolean> {
    const { res } = await this.transport.request({
      registry: ref.registry,
      method: 'HEAD',
      path: `/v2/${ref.repository}/manifests/${digest}`,
      scopes: [repositoryScope(ref.repository, ['pull', 'push'])],
      headers: { accept: MANIFEST_ACCEPT_HEADER },
      signal,
    });
    discard(res);
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    return this.transport.fail(res, { registry: ref.registry, what: `checking manifest ${digest} in ${ref.registry}/${ref.repository}` });
  }

  private emit(options: PushOptions, kind: PushProgress['kind'], d: Descriptor, status: PushStatus, current: number): void {
    options.onProgress?.({ id: shortDigest(d.digest), digest: d.digest, kind, status, current, total: d.size });
  }

  private async readVerified(source: BlobSource, descriptor: Descriptor): Promise<Uint8Array> {
    const bytes = await source.read(descriptor.digest);
    const actual = digestOf(bytes, parseDigest(descriptor.digest).algorithm);
    if (actual !== descriptor.digest) {
      throw new CError('DIGEST_MISMATCH', `local content ${descriptor.digest} has digest ${actual}`, { hint: 'the local store is corrupt; pull or build the image again' });
    }
    return bytes;
  }

  private async putManifest(ref: Reference, target: string, d: Descriptor, bytes: Uint8Array, kind: 'manifest' | 'index', options: PushOptions): Promise<void> {
    this.emit(options, kind, d, 'pushing', 0);
    const { res } = await this.transport.request({
      registry: ref.registry,
      method: 'PUT',
      path: `/v2/${ref.repository}/manifests/${target}`,
      scopes: [repositoryScope(ref.repository, ['pull', 'push'])],
      headers: { 'content-type': d.mediaType, 'content-length': String(bytes.length) },
      body: () => bytes,
      signal: options.signal,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) {
      await this.transport.fail(res, { registry: ref.registry, what: `pushing ${kind} ${d.digest} to ${familiarName({ registry: ref.registry, repository: ref.repository })}` });
    }
    discard(res);
    this.emit(options, kind, d, 'pushed', d.size);
  }

  private async pushBlob(ref: Reference, source: BlobSource, d: Descriptor, kind: 'layer' | 'config', options: PushOptions): Promise<void> {
    const { registry, repository } = ref;
    const pushScope = repositoryScope(repository, ['pull', 'push']);
    const what = `pushing blob ${d.digest} to ${registry}/${repository}`;
    const head = await this.transport.request({
      registry,
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${d.digest}`,
      scopes: [pushScope],
      followRedirects: true,
      signal: options.signal,
    });
    discard(head.res);
    if (head.res.statusCode === 200) {
      this.emit(options, kind, d, 'exists', d.size);
      return;
    }
    if (head.res.statusCode !== 404) await this.transport.fail(head.res, { registry, what });

    let session: URL | undefined;
    for (const from of options.mountFrom ?? []) {
      if (from === repository) continue;
      const mount = await this.transport.request({
        registry,
        method: 'POST',
        path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`,
        scopes: [pushScope, repositoryScope(from, ['pull'])],
        headers: { 'content-length': '0' },
        signal: options.signal,
      });
      discard(mount.res);
      if (mount.res.statusCode === 201) {
        this.emit(options, kind, d, 'mounted', d.size);
        return;
      }
      if (mount.res.statusCode === 202) {
        // Not mounted, but the registry opened an upload session for us: use it.
        session = this.location(mount.res, mount.url, what);
        break;
      }
      // Anything else (no access to the source, say): try the next source, then a plain upload.
    }
    const method = this.uploadMethod(d.size, options);
    this.emit(options, kind, d, 'pushing', 0);
    if (method === 'post' && !session) {
      await this.postMonolithic(ref, source, d, pushScope, what, options);
    } else {
      session ??= await this.startUpload(ref, pushScope, what, options.signal);
      if (method === 'chunked') await this.uploadChunked(ref, source, d, session, pushScope, what, kind, options);
      else await this.putMonolithic(ref, source, d, session, pushScope, what, options);
    }
    this.emit(options, kind, d, 'pushed', d.size);
  }

  private uploadMethod(size: number, options: PushOptions): Exclude<UploadMethod, 'auto'> {
    const method = options.uploadMethod ?? 'auto';
    if (method !== 'auto') return method;
    return size >= (options.chunkedThreshold ?? DEFAULT_CHUNKED_THRESHOLD) ? 'chunked' : 'monolithic';
  }

  private location(res: HttpResponse, base: URL, what: string): URL {
    const value = header(res, 'location');
    if (!value) throw new CError('UNAVAILABLE', `${what} failed: the registry opened an upload without a Location`, { hint: 'the registry is misconfigured' });
    const url = new URL(value, base);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new CError('UNSAFE_CONTENT', `${what} failed: upload location ${url.href} is not HTTP`, {});
    }
    return url;
  }

  private async startUpload(ref: Reference, scope: string, what: string, signal?: AbortSignal): Promise<URL> {
    const { res, url } = await this.transport.request({
      registry: ref.registry,
      method: 'POST',
      path: `/v2/${ref.repository}/blobs/uploads/`,
      scopes: [scope],
      headers: { 'content-length': '0' },
      signal,
    });
    if (res.statusCode !== 202) await this.transport.fail(res, { registry: ref.registry, what });
    discard(res);
    return this.location(res, url, what);
  }

  private async putMonolithic(ref: Reference, source: BlobSource, d: Descriptor, session: URL, scope: string, what: string, options: PushOptions): Promise<void> {
    const { res } = await this.transport.request({
      registry: ref.registry,
      method: 'PUT',
      path: withDigest(session, d.digest),
      scopes: [scope],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
      body: () => source.open(d.digest),
      signal: options.signal,
    });
    if (res.statusCode !== 201) await this.transport.fail(res, { registry: ref.registry, what });
    discard(res);
  }

  private async postMonolithic(ref: Reference, source: BlobSource, d: Descriptor, scope: string, what: string, options: PushOptions): Promise<void> {
    const { res, url } = await this.transport.request({
      registry: ref.registry,
      method: 'POST',
      path: `/v2/${ref.repository}/blobs/uploads/?digest=${encodeURIComponent(d.digest)}`,
      scopes: [scope],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
      body: () => source.open(d.digest),
      signal: options.signal,
    });
    if (res.statusCode === 201) {
      discard(res);
      return;
    }
    if (res.statusCode === 202) {
      // The registry does not take single-POST uploads: it opened a session instead, so PUT the body there.
      discard(res);
      await this.putMonolithic(ref, source, d, this.location(res, url, what), scope, what, options);
      return;
    }
    await this.transport.fail(res, { registry: ref.registry, what });
  }

  /**
   * PATCHes one chunk starting at `offset`; returns the next upload location. A PATCH that fails midway may
   * have left part of the chunk on the server, so instead of re-sending it blindly, ask the upload's status
   * (its `Range`) and send only what the server lacks.
   */
  private async patchChunk(ref: Reference, start: URL, chunk: Uint8Array, offset: number, scope: string, what: string, signal?: AbortSignal): Promise<URL> {
    let location = start;
    let sent = 0; // bytes of this chunk the server holds
    for (let attempt = 0; ; attempt++) {
      const piece = chunk.subarray(sent);
      let failure: unknown;
      try {
        const { res, url } = await this.transport.request({
          registry: ref.registry,
          method: 'PATCH',
          path: location,
          scopes: [scope],
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset + sent}-${offset + chunk.length - 1}`,
            'content-length': String(piece.length),
          },
          body: () => piece,
          retry: false,
          signal,
        });
        if (res.statusCode === 202) {
          discard(res);
          return this.location(res, url, what);
        }
        const status = res.statusCode ?? 0;
        if (!(status === 416 || isRetryableStatus(status)) || attempt >= this.retry.maxRetries) {
          await this.transport.fail(res, { registry: ref.registry, what });
        }
        discard(res);
      } catch (error) {
        if (isCError(error) && error.code !== 'UNAVAILABLE') throw error;
        failure = error;
        if (attempt >= this.retry.maxRetries) throw error;
      }
      await sleep(retryDelay(this.retry, attempt), signal);
      const status = await this.uploadStatus(ref, location, scope, what, signal);
      location = status.location;
      const held = status.received - offset;
      if (held < 0 || held > chunk.length) {
        throw new CError('UNAVAILABLE', `${what} failed: after an interrupted chunk the registry holds ${status.received} bytes, expected ${offset}..${offset + chunk.length}`, {
          cause: failure,
          hint: 'push again',
        });
      }
      if (held === chunk.length) return location;
      sent = held;
    }
  }

  /** GET on an upload session: how many bytes it holds (from `Range: 0-<last>`) and its current location. */
  private async uploadStatus(ref: Reference, location: URL, scope: string, what: string, signal?: AbortSignal): Promise<{ received: number; location: URL }> {
    const { res, url } = await this.transport.request({ registry: ref.registry, method: 'GET', path: location, scopes: [scope], signal });
    if (res.statusCode !== 204 && res.statusCode !== 200) await this.transport.fail(res, { registry: ref.registry, what: `${what} (upload status)` });
    discard(res);
    const match = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
    // distribution reports an empty upload as `0-0` too; a 1-byte upload is rare enough to read it as empty.
    const last = match ? Number(match[1]) : -1;
    return { received: last > 0 ? last + 1 : 0, location: header(res, 'location') ? this.location(res, url, what) : location };
  }

  private async uploadChunked(ref: Reference, source: BlobSource, d: Descriptor, session: URL, scope: string, what: string, kind: 'layer' | 'config', options: PushOptions): Promise<void> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    let location = session;
    let offset = 0;
    const stream = await source.open(d.digest);
    try {
      for await (const chunk of fixedChunks(stream, chunkSize)) {
        location = await this.patchChunk(ref, location, chunk, offset, scope, what, options.signal);
        offset += chunk.length;
        this.emit(options, kind, d, 'pushing', offset);
      }
    } finally {
      stream.destroy();
    }
    if (offset !== d.size) {
      throw new CError('DIGEST_MISMATCH', `local blob ${d.digest} has ${offset} bytes, its descriptor says ${d.size}`, { hint: 'the local store is corrupt' });
    }
    const { res } = await this.transport.request({
      registry: ref.registry,
      method: 'PUT',
      path: withDigest(location, d.digest),
      scopes: [scope],
      headers: { 'content-length': '0' },
      signal: options.signal,
    });
    if (res.statusCode !== 201) await this.transport.fail(res, { registry: ref.registry, what });
    discard(res);
  }
}
