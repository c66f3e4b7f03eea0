import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { createDigester, sha256Digest } from './digest';
import { DigestingTransform, createDigestingStream, readBounded, readVerified } from './verify-stream';

const encoder = new TextEncoder();
const chunks = (...parts: string[]): Uint8Array[] => parts.map((part) => encoder.encode(part));
const CONTENT = 'hello, layer';
const DIGEST = sha256Digest(CONTENT);

/** Pipes `parts` through a DigestingTransform into memory; resolves to what came out. */
async function throughNode(parts: Uint8Array[], transform: DigestingTransform): Promise<string> {
  const received: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    transform,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        received.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(received).toString();
}

async function rejection(promise: Promise<unknown>): Promise<CError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a rejection');
}

describe('DigestingTransform', () => {
  it('passes bytes through unchanged when digest and size match', async () => {
    const transform = new DigestingTransform({ digest: DIGEST, size: CONTENT.length });
    expect(await throughNode(chunks('hello', ', ', 'layer'), transform)).toBe(CONTENT);
    expect(transform.bytesVerified).toBe(CONTENT.length);
  });

  it('works without a size', async () => {
    expect(await throughNode(chunks(CONTENT), new DigestingTransform({ digest: DIGEST }))).toBe(CONTENT);
  });

  it('fails with DIGEST_MISMATCH at the end when the content differs', async () => {
    const error = await rejection(
      throughNode(chunks('hello, lAyer'), new DigestingTransform({ digest: DIGEST, size: CONTENT.length }, { where: 'layer 0' })),
    );
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('layer 0');
    expect(error.details['actual']).toBe(sha256Digest('hello, lAyer'));
  });

  it('fails with DIGEST_MISMATCH when the stream is short', async () => {
    const error = await rejection(throughNode(chunks('hello'), new DigestingTransform({ digest: DIGEST, size: CONTENT.length })));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.details).toMatchObject({ expectedSize: CONTENT.length, actualSize: 5 });
  });

  it('fails with LIMIT_EXCEEDED as soon as more bytes than expected arrive, before passing them on', async () => {
    const received: string[] = [];
    const error = await rejection(
      pipeline(
        Readable.from(chunks(CONTENT, '!', 'never')),
        new DigestingTransform({ digest: DIGEST, size: CONTENT.length }),
        new Writable({
          write(chunk: Buffer, _enc, done) {
            received.push(chunk.toString());
            done();
          },
        }),
      ),
    );
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(received.join('')).toBe(CONTENT);
  });

  it('continues a resumed transfer from a digester fed the earlier bytes', async () => {
    const digester = createDigester('sha256').update('hello, ');
    const transform = new DigestingTransform({ digest: DIGEST, size: CONTENT.length }, { digester });
    expect(await throughNode(chunks('layer'), transform)).toBe('layer');
    expect(transform.bytesVerified).toBe(CONTENT.length);
  });

  it('refuses a malformed expected digest or size up front', () => {
    expect(() => new DigestingTransform({ digest: 'sha256:nope' })).toThrow(CError);
    expect(() => new DigestingTransform({ digest: DIGEST, size: -1 })).toThrow(CError);
    expect(() => new DigestingTransform({ digest: DIGEST }, { digester: createDigester('sha512') })).toThrow(CError);
  });
});

describe('createDigestingStream (web streams)', () => {
  async function throughWeb(parts: Uint8Array[], size?: number): Promise<string> {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    const verified = body.pipeThrough(createDigestingStream(size === undefined ? { digest: DIGEST } : { digest: DIGEST, size }));
    return new Response(verified).text();
  }

  it('passes matching content', async () => {
    expect(await throughWeb(chunks('hello, ', 'layer'), CONTENT.length)).toBe(CONTENT);
  });
  it('errors on mismatch and on overrun', async () => {
    expect((await rejection(throughWeb(chunks('hello, world')))).code).toBe('DIGEST_MISMATCH');
    expect((await rejection(throughWeb(chunks(CONTENT, 'x'), CONTENT.length))).code).toBe('LIMIT_EXCEEDED');
  });
});

describe('readBounded / readVerified', () => {
  it('readBounded collects a stream within its bound', async () => {
    const bytes = await readBounded(Readable.from(chunks('ab', 'cd')), 4);
    expect(new TextDecoder().decode(bytes)).toBe('abcd');
  });

  it('readBounded stops and destroys the source past the bound', async () => {
    const source = Readable.from(chunks('ab', 'cd', 'ef'));
    const error = await rejection(readBounded(source, 3, 'manifest'));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toContain('manifest');
    expect(source.destroyed).toBe(true);
  });

  it('readVerified returns verified bytes and rejects altered, long or oversized content', async () => {
    const ok = await readVerified(Readable.from(chunks('hello, ', 'layer')), { digest: DIGEST, size: CONTENT.length });
    expect(new TextDecoder().decode(ok)).toBe(CONTENT);
    expect((await rejection(readVerified(Readable.from(chunks('x')), { digest: DIGEST }))).code).toBe('DIGEST_MISMATCH');
    expect((await rejection(readVerified(Readable.from(chunks(CONTENT, 'x')), { digest: DIGEST, size: CONTENT.length }))).code).toBe(
      'LIMIT_EXCEEDED',
    );
    expect((await rejection(readVerified(Readable.from(chunks(CONTENT)), { digest: DIGEST }, { maxSize: 4 }))).code).toBe(
      'LIMIT_EXCEEDED',
    );
    expect(
      (await rejection(readVerified(Readable.from(chunks(CONTENT)), { digest: DIGEST, size: 1 << 30 }, { maxSize: 1024 }))).code,
    ).toBe('LIMIT_EXCEEDED');
  });
});
