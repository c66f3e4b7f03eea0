/** The public face of the package: one object per set of options, sharing connections, pings and tokens. */
import { CError } from '@c/errors';
import { basicAuthorization } from './auth';
import { BlobFetcher, type FetchBlobOptions, type FetchBlobResult } from './blobs';
import type { CredentialStore } from './credentials';
import { discard } from './http';
import type { BlobSink, BlobSource, Descriptor, Digest, Reference } from '@c/image';
import { ManifestFetcher, type FetchedManifest, type ManifestLocation, type ResolvedManifest } from './manifests';
import { pullImage, type PulledImage, type PullOptions } from './pull';
import { Pusher, type PushOptions } from './push';
import type { RetryPolicy } from './retry';
import { RegistryTransport } from './transport';

export interface RegistryClientOptions {
  /** Where credentials come from; anonymous when absent. */
  credentials?: CredentialStore;
  /** Registries (name or host:port) spoken to over plain HTTP; loopback always is. */
  insecureRegistries?: string[];
  userAgent?: string;
  /** Retries after the first attempt for 408/429/5xx and dropped connections (default 4). */
  maxRetries?: number;
  /** First backoff delay; doubles per retry (default 500 ms). */
  retryBaseDelayMs?: number;
  /** Cap on any single wait, `Retry-After` included (default 30 s). */
  maxRetryDelayMs?: number;
  /** Blobs transferred at once by pull and push (default 3). */
  concurrency?: number;
  /** Largest manifest accepted (default 4 MiB). */
  maxManifestBytes?: number;
  /** No bytes for this long on a connection → it is dropped and retried (default 60 s). */
  idleTimeoutMs?: number;
  /** Clock used for token expiry (tests). */
  now?: () => number;
}

export class RegistryClient {
  private readonly transport: RegistryTransport;
  private readonly manifests: ManifestFetcher;
  private readonly blobs: BlobFetcher;
  private readonly pusher: Pusher;
  private readonly concurrency: number;

  constructor(options: RegistryClientOptions = {}) {
    const retry: RetryPolicy = {
      maxRetries: options.maxRetries ?? 4,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.maxRetryDelayMs ?? 30_000,
    };
    this.concurrency = Math.max(1, options.concurrency ?? 3);
    this.transport = new RegistryTransport({
      credentials: options.credentials,
      insecureRegistries: options.insecureRegistries,
      userAgent: options.userAgent ?? 'c/0.1 (+registry-client)',
      retry,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      now: options.now ?? Date.now,
    });
    this.manifests = new ManifestFetcher(this.transport, options.maxManifestBytes ?? 4 * 1024 * 1024);
    this.blobs = new BlobFetcher(this.transport, retry);
    this.pusher = new Pusher(this.transport, this.concurrency, retry);
  }

  /** The base URL the client uses for a registry (`https://registry-1.docker.io`, `http://localhost:5000`). */
  baseUrl(registry: string): URL {
    return this.transport.baseUrl(registry);
  }

  /** Checks credentials against a registry; throws UNAUTHORIZED when it refuses them. */
  async login(registry: string, credentials: { username: string; password: string }, signal?: AbortSignal): Promise<void> {
    const res = await this.transport.doPing(registry, undefined, signal);
    discard(res);
    const status = res.statusCode ?? 0;
    this.transport.auth.recordPing(registry, status, res.headers['www-authenticate']);
    if (status === 200) return; // an open registry accepts anyone
    if (status !== 401) {
      throw new CError('UNAVAILABLE', `registry ${registry} answered HTTP ${status} to GET /v2/`, { hint: 'check the registry address' });
    }
    const challenge = res.headers['www-authenticate'];
    const isBasic = typeof challenge === 'string' ? /^\s*basic/i.test(challenge) : false;
    if (isBasic) {
      const again = await this.transport.doPing(registry, basicAuthorization(credentials.username, credentials.password), signal);
      discard(again);
      if (again.statusCode === 200) return;
      throw new CError('UNAUTHORIZED', `registry ${registry} refused the credentials of ${credentials.username} (HTTP ${again.statusCode})`, {
        hint: 'check the username and password',
      });
    }
    await this.transport.auth.verify(registry, credentials);
  }

  resolve(ref: Reference, options: { signal?: AbortSignal } = {}): Promise<ResolvedManifest> {
    return this.manifests.resolve(ref, options.signal);
  }

  fetchManifest(ref: Reference | ManifestLocation, options: { signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    return this.manifests.fetchManifest(ref, options.signal);
  }

  fetchBlob(registry: string, repository: string, descriptor: Descriptor, sink: BlobSink, options: FetchBlobOptions = {}): Promise<FetchBlobResult> {
    return this.blobs.fetchBlob(registry, repository, descriptor, sink, options);
  }

  pull(ref: Reference, sink: BlobSink, options: PullOptions = {}): Promise<PulledImage> {
    return pullImage(this.manifests, this.blobs, this.concurrency, ref, sink, options);
  }

  push(ref: Reference, source: BlobSource, root: Descriptor, options: PushOptions = {}): Promise<Digest> {
    return this.pusher.push(ref, source, root, options);
  }

  /** Closes pooled connections. The client stays usable (new connections are opened as needed). */
  close(): void {
    this.transport.close();
  }
}
