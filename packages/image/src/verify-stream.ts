/**
 * Verifying content while it streams: bytes pass through unchanged while they are hashed and counted; more
 * bytes than expected fail at once (`LIMIT_EXCEEDED`), a short or altered stream fails at its end
 * (`DIGEST_MISMATCH`), before a consumer can treat the content as complete.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { CError } from '@c/errors';
import type { Digest } from './content';
import { type Digester, createDigester, digestMismatch, parseDigest, sizeMismatch } from './digest';

export interface ExpectedContent {
  digest: Digest;
  /** The exact size in bytes; when given, extra bytes fail immediately and missing bytes fail at the end. */
  size?: number;
}

export interface VerifyOptions {
  /**
   * A digester already fed the bytes of an earlier, interrupted transfer (resume); the stream continues
   * after them and the size counts them.
   */
  digester?: Digester;
  /** Names the content in errors, e.g. `layer 2 of docker.io/library/busybox:latest`. */
  where?: string;
}

/** The state machine shared by the Node and web stream variants. */
class ContentVerifier {
  readonly #expected: ExpectedContent;
  readonly #digester: Digester;
  readonly #where: string | undefined;

  constructor(expected: ExpectedContent, options: VerifyOptions) {
    const { algorithm } = parseDigest(expected.digest);
    if (expected.size !== undefined && (!Number.isSafeInteger(expected.size) || expected.size < 0)) {
      throw new CError('INVALID_ARGUMENT', `expected size ${expected.size} for ${expected.digest} is not a non-negative integer`, {
        hint: 'pass the size from the descriptor',
        details: { digest: expected.digest, size: expected.size },
      });
    }
    if (options.digester !== undefined && options.digester.algorithm !== algorithm) {
      throw new CError('INVALID_ARGUMENT', `resumed digester uses ${options.digester.algorithm} but ${expected.digest} needs ${algorithm}`, {
        hint: 'resume with a digester of the expected algorithm',
      });
    }
    this.#expected = expected;
    this.#digester = options.digester ?? createDigester(algorithm);
    this.#where = options.where;
  }

  get bytes(): number {
    return this.#digester.bytes;
  }

  /** Hashes a chunk; returns the error to fail with when it goes past the expected size. */
  accept(chunk: Uint8Array): CError | undefined {
    const { size, digest } = this.#expected;
    if (size !== undefined && this.#digester.bytes + chunk.byteLength > size) {
      return new CError(
        'LIMIT_EXCEEDED',
        `content${this.#where ? ` of ${this.#where}` : ''} for ${digest} is longer than the expected ${size} bytes`,
        {
          hint: 'the source sent more than its descriptor declares; it is corrupt or malicious',
          details: { digest, expectedSize: size, receivedAtLeast: this.#digester.bytes + chunk.byteLength },
        },
      );
    }
    this.#digester.update(chunk);
    return undefined;
  }

  /** Checks size and digest at the end; returns the error to fail with, if any. */
  finish(): CError | undefined {
    const { size, digest } = this.#expected;
    if (size !== undefined && this.#digester.bytes !== size) {
      return sizeMismatch(digest, size, this.#digester.bytes, this.#where);
    }
    const actual = this.#digester.digest();
    return actual === digest ? undefined : digestMismatch(digest, actual, this.#where);
  }
}

/**
 * A Node `Transform` that passes bytes through while verifying them against `expected`. Use it in a
 * `pipeline(source, new DigestingTransform(expected), sink)`: the pipeline rejects on a mismatch.
 */
export class DigestingTransform extends Transform {
  readonly #verifier: ContentVerifier;

  constructor(expected: ExpectedContent, options: VerifyOptions = {}) {
    super();
    this.#verifier = new ContentVerifier(expected, options);
  }

  /** Bytes verified so far (including a resumed prefix). */
  get bytesVerified(): number {
    return this.#verifier.bytes;
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    const error = this.#verifier.accept(bytes);
    if (error !== undefined) callback(error);
    else callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.#verifier.finish() ?? null);
  }
}

/** The same check as a web `TransformStream` (for `fetch` response bodies). */
export function createDigestingStream(
  expected: ExpectedContent,
  options: VerifyOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const verifier = new ContentVerifier(expected, options);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const error = verifier.accept(chunk);
      if (error !== undefined) controller.error(error);
      else controller.enqueue(chunk);
    },
    flush(controller) {
      const error = verifier.finish();
      if (error !== undefined) controller.error(error);
    },
  });
}

/**
 * Reads a whole stream into memory, failing with `LIMIT_EXCEEDED` as soon as it passes `maxSize` (and
 * destroying the source). For manifests and configs fetched by tag, whose digest is not known in advance.
 */
export async function readBounded(
  source: AsyncIterable<Uint8Array | string>,
  maxSize: number,
  what = 'content',
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.byteLength;
    if (total > maxSize) {
      // Leaving the loop early makes for-await call return(), which destroys a Node stream.
      throw new CError('LIMIT_EXCEEDED', `${what} is larger than the ${maxSize}-byte limit`, {
        hint: `this is not a valid ${what}, or an unusually large one; check the source`,
        details: { limit: maxSize, receivedAtLeast: total },
      });
    }
    chunks.push(bytes);
  }
  return concat(chunks, total);
}

/**
 * Reads a whole stream into memory and verifies it against `expected` (size bound first, then digest).
 * `maxSize` bounds memory when `expected.size` is absent.
 */
export async function readVerified(
  source: AsyncIterable<Uint8Array | string>,
  expected: ExpectedContent,
  options: { where?: string; maxSize?: number } = {},
): Promise<Uint8Array> {
  const verifier = new ContentVerifier(expected, options.where === undefined ? {} : { where: options.where });
  const limit = expected.size ?? options.maxSize ?? Number.POSITIVE_INFINITY;
  if (options.maxSize !== undefined && expected.size !== undefined && expected.size > options.maxSize) {
    throw new CError('LIMIT_EXCEEDED', `${options.where ?? expected.digest} declares ${expected.size} bytes, more than the ${options.maxSize}-byte limit`, {
      hint: 'refusing to read it into memory',
      details: { digest: expected.digest, size: expected.size, limit: options.maxSize },
    });
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const error =
      expected.size === undefined && total + bytes.byteLength > limit
        ? new CError('LIMIT_EXCEEDED', `${options.where ?? expected.digest} is larger than the ${limit}-byte limit`, {
            details: { digest: expected.digest, limit },
          })
        : verifier.accept(bytes);
    if (error !== undefined) throw error;
    total += bytes.byteLength;
    chunks.push(bytes);
  }
  const error = verifier.finish();
  if (error !== undefined) throw error;
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
