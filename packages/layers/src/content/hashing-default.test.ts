/**
 * Where an ingest hashes by default: on the calling thread, whatever the blob's size. The worker thread costs
 * more than it saves for a pull (see ContentStoreOptions.hashOffThreadFrom) and starts only when asked for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContentStore } from './content-store';

const started = vi.hoisted(() => ({ jobs: 0 }));
vi.mock('./file-hasher', async (importOriginal) => {
  const real = await importOriginal<typeof import('./file-hasher')>();
  return {
    ...real,
    hashFileOffThread: (...args: Parameters<typeof real.hashFileOffThread>) => {
      started.jobs++;
      return real.hashFileOffThread(...args);
    },
  };
});

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'c-content-hashing-'));
  started.jobs = 0;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function ingestWhole(store: ContentStore, bytes: Buffer): Promise<void> {
  const ingest = await store.ingest(sha256(bytes), bytes.length, { writeBatchBytes: 1 << 20 });
  for (let at = 0; at < bytes.length; at += 1 << 20) await ingest.write(bytes.subarray(at, at + (1 << 20)));
  await ingest.commit();
}

describe('ingest hashing', () => {
  it('hashes even a large blob on the calling thread by default (no worker job)', async () => {
    const store = new ContentStore(join(root, 'content'));
    const bytes = randomBytes(9 * 1024 * 1024);
    await ingestWhole(store, bytes);
    expect(started.jobs).toBe(0);
    expect(await store.verify(sha256(bytes))).toBe(true);
  });

  it('uses the worker from hashOffThreadFrom bytes when asked to', async () => {
    const store = new ContentStore(join(root, 'content'), { hashOffThreadFrom: 4 * 1024 * 1024 });
    await ingestWhole(store, randomBytes(1024 * 1024));
    expect(started.jobs).toBe(0);
    const large = randomBytes(5 * 1024 * 1024);
    await ingestWhole(store, large);
    expect(started.jobs).toBe(1);
    expect(await store.verify(sha256(large))).toBe(true);
  });
});
