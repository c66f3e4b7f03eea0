/**
 * One-shot writes whose bytes arrive in a single pass (writeBlob, importStream): staged in a fresh
 * ingest/import-<id>/ under its lock (so GC leaves it alone), hashed while written, verified, published.
 * Whatever fails, the staging directory is removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { CError } from '@c/errors';
import { createDigester, digestMismatch, sizeMismatch, type BlobDigestAlgorithm } from './digest';
import { holdFileLock } from './hold-lock';
import { writeIngestMeta, type IngestMeta } from './ingest-meta';
import type { ContentLayout } from './layout';
import { publishBlob } from './publish';

export interface StageOptions {
  algorithm: BlobDigestAlgorithm;
  expectedDigest?: string;
  size?: number;
  maxSize?: number;
  /** Write ingest.json so listIngests() can say what this is; a tiny in-memory write skips it (fsyncs). */
  describe: boolean;
}

export type FillStage = (write: (chunk: Uint8Array) => Promise<void>) => Promise<void>;

export async function stageBlob(
  layout: ContentLayout,
  options: StageOptions,
  fill: FillStage,
): Promise<{ digest: string; size: number }> {
  const ref = `import-${randomBytes(8).toString('hex')}`;
  const release = await holdFileLock(layout.ingestLock(ref), `the import ${ref}`, 1000);
  const dir = layout.ingestDir(ref);
  try {
    await mkdir(dir, { recursive: true });
    if (options.describe) await writeIngestMeta(layout.ingestMeta(ref), describe(options));
    const digester = createDigester(options.algorithm);
    const handle = await open(layout.ingestData(ref), 'w', 0o600);
    try {
      await fill(async (chunk) => {
        checkBounds(options, ref, digester.bytes + chunk.byteLength);
        let done = 0;
        while (done < chunk.byteLength) done += (await handle.write(chunk, done, chunk.byteLength - done)).bytesWritten;
        digester.update(chunk);
      });
      await handle.sync();
    } finally {
      await handle.close();
    }
    const size = digester.bytes;
    if (options.size !== undefined && size !== options.size) {
      throw sizeMismatch(options.expectedDigest ?? `import ${ref}`, options.size, size, 'import');
    }
    const digest = digester.digest();
    if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
      throw digestMismatch(options.expectedDigest, digest, 'import');
    }
    await publishBlob(layout, layout.ingestData(ref), digest);
    return { digest, size };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await release();
  }
}

function describe(options: StageOptions): IngestMeta {
  const meta: IngestMeta = { startedAt: new Date().toISOString() };
  if (options.expectedDigest) meta.digest = options.expectedDigest;
  if (options.size !== undefined) meta.expectedSize = options.size;
  return meta;
}

/** Fails as soon as the bytes so far exceed the declared size or the limit. */
function checkBounds(options: StageOptions, ref: string, total: number): void {
  if (options.size !== undefined && total > options.size) {
    throw sizeMismatch(options.expectedDigest ?? `import ${ref}`, options.size, total, 'import');
  }
  if (options.maxSize !== undefined && total > options.maxSize) {
    throw new CError('LIMIT_EXCEEDED', `import ${ref} exceeds the limit of ${options.maxSize} bytes`, {
      hint: 'the input is larger than allowed; check the source',
      details: { ref, limit: options.maxSize },
    });
  }
}
