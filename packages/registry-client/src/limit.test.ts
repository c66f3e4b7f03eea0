import { describe, expect, it } from 'vitest';
import { mapLimit } from './limit';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimit', () => {
  it('keeps at most N calls in flight and returns results in order', async () => {
    let inFlight = 0;
    let max = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await tick(n * 3);
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(max).toBe(2);
  });

  it('starts nothing after a failure, signals it once, and settles only after in-flight calls finish', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const signalled: unknown[] = [];
    const error = await mapLimit(
      [1, 2, 3, 4],
      2,
      async (n) => {
        started.push(n);
        if (n === 1) throw new Error('boom');
        await tick(30);
        finished.push(n);
      },
      (e) => signalled.push(e),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom');
    expect(signalled).toHaveLength(1);
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]); // the in-flight call completed before mapLimit settled
  });
});
