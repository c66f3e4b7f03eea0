import { afterEach, describe, expect, it, vi } from 'vitest';
import { InitPool, type WarmInit } from './init-pool';

/** A stand-in init whose boot the test completes or fails by hand. */
class FakeInit implements WarmInit {
  readonly booted: Promise<void>;
  boot!: () => void;
  fail!: (error: Error) => void;
  dead = false;
  closed = false;
  ref = true;
  constructor(readonly n: number) {
    this.booted = new Promise<void>((resolve, reject) => {
      this.boot = resolve;
      this.fail = reject;
    });
    this.booted.catch(() => undefined);
  }
  alive(): boolean {
    return !this.dead;
  }
  setRef(ref: boolean): void {
    this.ref = ref;
  }
  kill(): void {
    this.dead = true;
  }
  close(): void {
    this.closed = true;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function pool(size: number, spawn?: () => FakeInit, extra: { onError?: (e: unknown) => void; backoffMs?: number } = {}) {
  const spawned: FakeInit[] = [];
  const p = new InitPool<FakeInit>({
    size,
    spawn:
      spawn ??
      (() => {
        const init = new FakeInit(spawned.length);
        spawned.push(init);
        return init;
      }),
    ...extra,
  });
  return { p, spawned };
}

afterEach(() => vi.useRealTimers());

describe('InitPool', () => {
  it('boots one init at a time up to its size; idle inits do not hold the event loop', async () => {
    const { p, spawned } = pool(2);
    p.fill();
    expect(spawned).toHaveLength(1);
    expect(spawned[0]!.ref).toBe(false);
    p.fill(); // already booting one: nothing more
    expect(spawned).toHaveLength(1);
    spawned[0]!.boot();
    await tick();
    expect(p.idle).toBe(1);
    expect(spawned).toHaveLength(2);
    spawned[1]!.boot();
    await tick();
    expect(p.idle).toBe(2);
    expect(spawned).toHaveLength(2);
    p.close();
  });

  it('take hands out a booted init and does not refill by itself; refill() tops up later', async () => {
    const { p, spawned } = pool(1);
    p.fill();
    spawned[0]!.boot();
    await tick();
    const taken = p.take();
    expect(taken).toBe(spawned[0]);
    expect(p.take()).toBeUndefined();
    expect(spawned).toHaveLength(1); // nothing spawned on the taker's path
    p.refill();
    expect(spawned).toHaveLength(1); // not synchronously either
    await new Promise((r) => setTimeout(r, 5));
    expect(spawned).toHaveLength(2);
    p.close();
  });

  it('take skips (and disposes of) inits that died while idle', async () => {
    const { p, spawned } = pool(2);
    p.fill();
    spawned[0]!.boot();
    await tick();
    spawned[1]!.boot();
    await tick();
    spawned[0]!.dead = true;
    expect(p.take()).toBe(spawned[1]);
    expect(spawned[0]!.closed).toBe(true);
    p.close();
  });

  it('size 0 never spawns', async () => {
    const { p, spawned } = pool(0);
    p.fill();
    p.refill();
    await new Promise((r) => setTimeout(r, 5));
    expect(spawned).toHaveLength(0);
    expect(p.take()).toBeUndefined();
  });

  it('a spawn that throws or an init that dies before booting leaves the pool empty (starts go cold) and backs off', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const { p } = pool(
      1,
      () => {
        calls += 1;
        throw new Error('no node here');
      },
      { onError: (e) => errors.push(e), backoffMs: 100 },
    );
    p.fill();
    expect(p.take()).toBeUndefined();
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2); // retried after 100 ms
    await vi.advanceTimersByTimeAsync(199);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(3); // then after 200 ms
    p.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
  });

  it('an init failing its boot is killed and reported', async () => {
    const errors: unknown[] = [];
    const { p, spawned } = pool(1, undefined, { onError: (e) => errors.push(e), backoffMs: 60_000 });
    p.fill();
    spawned[0]!.fail(new Error('init exited before reporting'));
    await tick();
    expect(spawned[0]!.dead).toBe(true);
    expect(spawned[0]!.closed).toBe(true);
    expect(p.idle).toBe(0);
    expect(errors).toHaveLength(1);
    p.close();
  });

  it('close kills idle and booting inits, and an init that boots after close is killed too', async () => {
    const { p, spawned } = pool(2);
    p.fill();
    spawned[0]!.boot();
    await tick();
    expect(spawned).toHaveLength(2); // the second is booting
    p.close();
    expect(spawned.map((i) => i.dead)).toEqual([true, true]);
    spawned[1]!.boot();
    await tick();
    expect(p.idle).toBe(0);
    p.refill();
    p.fill();
    expect(spawned).toHaveLength(2);
  });
});
