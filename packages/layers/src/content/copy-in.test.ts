import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCError } from '@c/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from './content-store';
import { copyIn, type FetchFrom } from './copy-in';

const payload = randomBytes(256 * 1024 + 3);
const blob = { digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`, size: payload.length };

/** A source serving `data` in 10 KiB chunks; `failAfter` bytes into a response it breaks off. */
function source(data: Buffer, options: { honoursRange?: boolean; failAfter?: number } = {}) {
  const requests: number[] = [];
  const fetchFrom: FetchFrom = async (offset) => {
    requests.push(offset);
    const start = options.honoursRange === false ? 0 : offset;
    async function* body() {
      let sent = 0;
      for (let at = start; at < data.length; at += 10 * 1024) {
        const chunk = data.subarray(at, Math.min(at + 10 * 1024, data.length));
        if (options.failAfter !== undefined && sent + chunk.length > options.failAfter) throw new Error('connection reset');
        sent += chunk.length;
        yield chunk;
      }
    }
    return { start, body: body() };
  };
  return { fetchFrom, requests };
}

let root: string;
let store: ContentStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'c-copyin-'));
  store = new ContentStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('copyIn', () => {
  it('resumes from what a broken transfer left', async () => {
    const broken = source(payload, { failAfter: 100 * 1024 });
    await expect(copyIn(store, blob, broken.fetchFrom)).rejects.toThrow('connection reset');
    expect((await store.listIngests())[0]?.offset).toBe(100 * 1024);

    const healthy = source(payload);
    const result = await copyIn(store, blob, healthy.fetchFrom);
    expect(healthy.requests).toEqual([100 * 1024]);
    expect(result).toEqual({ ...blob, resumedFrom: 100 * 1024, alreadyPresent: false });
    expect(Buffer.from(await store.read(blob.digest)).equals(payload)).toBe(true);
  });

  it('copes with a source that ignores the range and resends from 0', async () => {
    await expect(copyIn(store, blob, source(payload, { failAfter: 55 * 1024 }).fetchFrom)).rejects.toThrow();
    const ignoring = source(payload, { honoursRange: false });
    const result = await copyIn(store, blob, ignoring.fetchFrom);
    expect(result.resumedFrom).toBe(50 * 1024);
    expect(await store.verify(blob.digest)).toBe(true);
  });

  it('fetches nothing when the blob is present', async () => {
    await store.writeBlob(payload);
    const spy = source(payload);
    expect(await copyIn(store, blob, spy.fetchFrom)).toMatchObject({ alreadyPresent: true });
    expect(spy.requests).toEqual([]);
  });

  it('keeps nothing from a source serving other bytes', async () => {
    const evil = source(randomBytes(payload.length));
    const error = await copyIn(store, blob, evil.fetchFrom).catch((caught: unknown) => caught);
    expect(isCError(error, 'DIGEST_MISMATCH')).toBe(true);
    expect(await store.has(blob.digest)).toBe(false);
    expect(await store.listIngests()).toEqual([]);
  });

  it('stops on abort and keeps the bytes for a later resume', async () => {
    const controller = new AbortController();
    const slow: FetchFrom = async (offset) => ({
      start: offset,
      body: (async function* () {
        yield payload.subarray(offset, offset + 4096);
        controller.abort();
        yield payload.subarray(offset + 4096, offset + 8192);
      })(),
    });
    const error = await copyIn(store, blob, slow, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(isCError(error, 'CANCELLED')).toBe(true);
    expect((await store.listIngests())[0]?.offset).toBe(4096);
  });
});
