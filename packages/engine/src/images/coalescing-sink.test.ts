import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from '@c/layers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coalescingSink } from './coalescing-sink';
import type { ContentPort } from './ports';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c-coalescing-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('coalescingSink', () => {
  it('has the store gather network-sized chunks into batches and commit them whole', async () => {
    const content = new ContentStore(join(dir, 'content'));
    const payload = randomBytes(250);
    const digest = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    const ingest = await coalescingSink(content, 100).ingest(digest, payload.length);
    const data = join(dir, 'content/ingest', digest.slice(7), 'data');
    for (let at = 0; at < 96; at += 16) await ingest.write(payload.subarray(at, at + 16));
    expect((await stat(data)).size).toBe(0); // 96 bytes gathered, under the batch size
    await ingest.write(payload.subarray(96, 112));
    expect((await stat(data)).size).toBe(112); // one batch written
    await ingest.write(payload.subarray(112));
    await ingest.commit();
    expect(Buffer.from(await content.read(digest)).equals(payload)).toBe(true);
  });

  it('asks the store for its answer to has() and passes the batch size to every ingest', async () => {
    const asked: Array<{ writeBatchBytes?: number } | undefined> = [];
    const content = new ContentStore(join(dir, 'content'));
    const spy: ContentPort = {
      has: (digest) => content.has(digest),
      size: (digest) => content.size(digest),
      open: (digest) => content.open(digest),
      read: (digest) => content.read(digest),
      ingest: (digest, size, options) => {
        asked.push(options);
        return content.ingest(digest, size, options);
      },
    };
    const sink = coalescingSink(spy);
    expect(await sink.has(`sha256:${'0'.repeat(64)}`)).toBe(false);
    await (await sink.ingest(`sha256:${'1'.repeat(64)}`, 10)).abort();
    expect(asked).toEqual([{ writeBatchBytes: 1024 * 1024 }]);
  });
});
