/**
 * Blob downloads: streamed into a sink's ingest, resumed with `Range` after an interruption, bounded by
 * the descriptor's size while streaming, verified by the ingest's commit.
 */
import { CError, isCError } from '@c/errors';
import { cancelledError, header, readBody, type HttpResponse } from './http';
import { isRetryableNetworkError, networkError } from './errors';
import { digestOf, parseDigest, type BlobIngest, type BlobSink, type Descriptor } from '@c/image';
import { retryDelay, sleep, type RetryPolicy } from './retry';
import { repositoryScope } from './scope';
import type { RegistryTransport } from './transport';

export interface BlobProgress {
  /** Bytes held so far (a resumed prefix included). */
  current: number;
  total: number;
  /** `verifying` once every byte arrived and the commit is checking the digest. */
  phase: 'downloading' | 'verifying';
}

export interface FetchBlobOptions {
  onProgress?: (progress: BlobProgress) => void;
  signal?: AbortSignal;
}

/** What fetchBlob did: downloaded it, or found it already complete in the sink. */
export type FetchBlobResult = 'downloaded' | 'exists';

function blobPath(repository: string, digest: string): string {
  return `/v2/${repository}/blobs/${digest}`;
}

/** `bytes 100-199/200` → 100. */
function contentRangeStart(value: string | undefined): number | undefined {
  const match = value?.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
  return match ? Number(match[1]) : undefined;
}

function truncated(got: number, size: number): Error {
  return Object.assign(new Error(`body ended after ${got} of ${size} bytes`), { code: 'TRUNCATED' });
}

export class BlobFetcher {
  constructor(
    private readonly transport: RegistryTransport,
    private readonly retry: RetryPolicy,
  ) {}

  async fetchBlob(registry: string, repository: string, descriptor: Descriptor, sink: BlobSink, options: FetchBlobOptions = {}): Promise<FetchBlobResult> {
    const { digest, size } = descriptor;
    if (await sink.has(digest)) return 'exists';
    let failures = 0;
    let restartedAfterMismatch = false;
    for (;;) {
      const ingest = await sink.ingest(digest, size);
      const resumedFrom = ingest.offset;
      try {
        if (ingest.offset > size) {
          await ingest.abort(); // more than the blob can hold: that partial data is garbage
          throw new RestartFromZero();
        }
        await this.download(registry, repository, descriptor, ingest, options);
        options.onProgress?.({ current: size, total: size, phase: 'verifying' });
        await ingest.commit();
        return 'downloaded';
      } catch (error) {
        if (options.signal?.aborted) {
          await ingest.close().catch(() => {});
          throw cancelledError(`download of ${digest}`);
        }
        if (isCError(error, 'DIGEST_MISMATCH') && resumedFrom > 0 && !restartedAfterMismatch) {
          // The kept prefix may be what was wrong (the commit discarded it): one clean attempt from 0.
          restartedAfterMismatch = true;
          continue;
        }
        if (error instanceof RestartFromZero && failures < this.retry.maxRetries) {
          failures++;
          await ingest.abort().catch(() => {});
          continue;
        }
        if (isRetryableNetworkError(error) && failures < this.retry.maxRetries) {
          await ingest.close(); // keep what arrived: the next attempt resumes from it
          await sleep(retryDelay(this.retry, failures++), options.signal);
          continue;
        }
        if (error instanceof RestartFromZero) {
          await ingest.abort().catch(() => {});
          throw new CError('UNAVAILABLE', `registry ${registry} keeps answering range requests for blob ${digest} wrongly`, { hint: 'try again later' });
        }
        if (error instanceof CError) {
          if (error.code !== 'DIGEST_MISMATCH' && error.code !== 'LIMIT_EXCEEDED') await ingest.close().catch(() => {});
          throw error;
        }
        await ingest.close().catch(() => {});
        throw networkError(error, registry, new URL(blobPath(repository, digest), this.transport.baseUrl(registry)));
      }
    }
  }

  /** A small blob (a config) read into memory, size-bounded and digest-checked. */
  async fetchBlobBytes(registry: string, repository: string, descriptor: Descriptor, limit: number, signal?: AbortSignal, attempt = 0): Promise<Uint8Array> {
    if (descriptor.size > limit) {
      throw new CError('LIMIT_EXCEEDED', `blob ${descriptor.digest} in ${repository} declares ${descriptor.size} bytes, over the ${limit}-byte limit for in-memory blobs`, {});
    }
    const { res } = await this.transport.request({
      registry,
      method: 'GET',
      path: blobPath(repository, descriptor.digest),
      scopes: [repositoryScope(repository, ['pull'])],
      followRedirects: true,
      signal,
    });
    if (res.statusCode !== 200) {
      await this.transport.fail(res, { registry, what: `fetching blob ${descriptor.digest} of ${repository}`, notFound: `blob ${descriptor.digest} of ${repository} not found` });
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBody(res, descriptor.size, `blob ${descriptor.digest} of ${repository}`);
    } catch (error) {
      if (error instanceof CError) throw error;
      // A body cut short: small enough to simply ask again.
      if (isRetryableNetworkError(error) && attempt < this.retry.maxRetries) {
        await sleep(retryDelay(this.retry, attempt), signal);
        return this.fetchBlobBytes(registry, repository, descriptor, limit, signal, attempt + 1);
      }
      throw networkError(error, registry, new URL(blobPath(repository, descriptor.digest), this.transport.baseUrl(registry)));
    }
    const actual = digestOf(bytes, parseDigest(descriptor.digest).algorithm);
    if (bytes.length !== descriptor.size || actual !== descriptor.digest) {
      throw new CError('DIGEST_MISMATCH', `blob ${descriptor.digest} of ${repository} arrived as ${actual} (${bytes.length} of ${descriptor.size} bytes)`, {
        hint: 'the registry served different content than the manifest names; do not trust it',
        details: { expected: descriptor.digest, actual, size: bytes.length },
      });
    }
    return bytes;
  }

  /** One GET, from the ingest's offset; throws on any interruption (the caller decides to resume). */
  private async download(registry: string, repository: string, descriptor: Descriptor, ingest: BlobIngest, options: FetchBlobOptions): Promise<void> {
    const { digest, size } = descriptor;
    const offset = ingest.offset;
    if (offset === size) return;
    const headers: Record<string, string> = {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const { res } = await this.transport.request({
      registry,
      method: 'GET',
      path: blobPath(repository, digest),
      scopes: [repositoryScope(repository, ['pull'])],
      headers,
      followRedirects: true,
      signal: options.signal,
    });
    const status = res.statusCode ?? 0;
    let skip = 0;
    if (status === 200) {
      skip = offset; // the server ignored Range: drop the bytes we already hold
    } else if (status === 206 && offset > 0) {
      if (contentRangeStart(header(res, 'content-range')) !== offset) {
        res.destroy();
        throw new RestartFromZero();
      }
    } else if (status === 416 && offset > 0) {
      res.destroy();
      throw new RestartFromZero();
    } else {
      await this.transport.fail(res, { registry, what: `fetching blob ${digest} of ${repository}`, notFound: `blob ${digest} of ${repository} not found` });
    }
    let held = offset;
    let stopped = false;
    await pumpBody(res, (raw) => {
      if (stopped) return undefined;
      let chunk = raw;
      if (skip > 0) {
        const dropped = Math.min(skip, chunk.length);
        skip -= dropped;
        chunk = chunk.subarray(dropped);
        if (chunk.length === 0) return undefined;
      }
      if (held + chunk.length > size) {
        stopped = true;
        return ingest.abort().then(() => {
          throw new CError('LIMIT_EXCEEDED', `blob ${digest} of ${repository} is larger than its declared ${size} bytes`, {
            hint: 'the registry served different content than the manifest names; do not trust it',
            details: { digest, size },
          });
        });
      }
      held += chunk.length;
      options.onProgress?.({ current: held, total: size, phase: 'downloading' });
      return ingest.write(chunk).catch((error: unknown) => {
        stopped = true;
        // The local store failed (disk full, say): not the registry's fault, and not worth a retry.
        throw isCError(error)
          ? error
          : new CError('INTERNAL', `writing blob ${digest} to the local store failed: ${(error as Error).message}`, { cause: error, details: { digest } });
      });
    });
    if (held < size) throw truncated(held, size);
  }
}

/** Bytes handed to the store and not yet written before the socket is paused (and resumed at half). */
const PUMP_HIGH_WATER = 8 * 1024 * 1024;

/**
 * Feeds a response body to `accept` through 'data' events. `accept` returns its write (queued in order by the
 * ingest) or nothing; the socket pauses only when too many bytes wait to be written, so a chunk costs no
 * promise round trip of its own (an async iterator plus an await per 64 KiB chunk did). Resolves once the body
 * ended and every write finished; rejects with the first failure, destroying the response.
 */
function pumpBody(res: HttpResponse, accept: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = 0;
    let failed = false;
    let last: Promise<void> = Promise.resolve();
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      res.destroy();
      reject(error);
    };
    res.on('data', (chunk: Buffer) => {
      if (failed) return;
      let step: Promise<void> | undefined;
      try {
        step = accept(chunk);
      } catch (error) {
        fail(error);
        return;
      }
      if (!step) return;
      waiting += chunk.length;
      if (waiting >= PUMP_HIGH_WATER) res.pause();
      last = step.then(() => {
        waiting -= chunk.length;
        if (!failed && res.isPaused() && waiting < PUMP_HIGH_WATER / 2) res.resume();
      }, fail);
    });
    res.once('end', () => void last.then(() => failed || resolve()));
    res.once('error', fail);
    // A body cut off without an error event: as retryable as a reset connection.
    res.once('close', () => {
      if (!res.complete) fail(Object.assign(new Error('the connection closed before the body ended'), { code: 'ECONNRESET' }));
    });
  });
}

/** The server answered a Range request with something unusable; start over without the kept prefix. */
class RestartFromZero extends Error {}
