import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { streamHash } from './stream-hash';

const sha256 = (parts: Buffer[]) => `sha256:${createHash('sha256').update(Buffer.concat(parts)).digest('hex')}`;

describe('streamHash', () => {
  const parts = () => Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000 + i, i));

  it('hashes a short stream on the calling thread and a long one on the worker, with the same digest', async () => {
    for (const from of [1 << 30, 5000]) {
      const hash = streamHash(from);
      const input = parts();
      const seen: Buffer[] = [];
      for (const part of input) {
        hash.update(part);
        seen.push(Buffer.from(part));
        part.fill(0xff); // the caller may reuse its chunk at once
      }
      expect(await hash.digest()).toBe(sha256(seen));
    }
  });

  it('hashes exactly the view it is given, across slot boundaries', async () => {
    const backing = Buffer.alloc(64 * 1024, 7);
    const hash = streamHash(10);
    const big = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 253;
    const views = [backing.subarray(5, 20), backing.subarray(100, 50_000), big, backing.subarray(60_000), big.subarray(3)];
    for (const view of views) hash.update(view);
    expect(await hash.digest()).toBe(sha256(views));
  });

  it('keeps jobs apart on the shared worker and drops an aborted one', async () => {
    const a = streamHash(1);
    const b = streamHash(1);
    const dropped = streamHash(1);
    a.update(Buffer.from('first'));
    dropped.update(Buffer.from('gone'));
    b.update(Buffer.from('second'));
    dropped.abort();
    a.update(Buffer.from(' stream'));
    expect(await Promise.all([a.digest(), b.digest()])).toEqual([sha256([Buffer.from('first stream')]), sha256([Buffer.from('second')])]);
  });

  it('asks the producer to wait once the 16 slots of its ring are with the worker, then lets it go on', async () => {
    const hash = streamHash(1);
    const chunk = Buffer.alloc(4 * 1024 * 1024, 3);
    expect(hash.backpressure()).toBeUndefined();
    const posted: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      hash.update(chunk);
      posted.push(chunk);
    }
    // 48 MiB in one go: the ring is full (the worker's replies need the event loop), the rest went as copies.
    const wait = hash.backpressure();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(await hash.digest()).toBe(sha256(posted));
  });
});
