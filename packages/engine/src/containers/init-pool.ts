/**
 * A warm pool of pre-started container inits (ARCHITECTURE §3, decision 0013). Each one is already PID 1 of a
 * fresh pid namespace, has loaded Node and koffi, has reported `booted`, and blocks reading its plan; it is in no
 * container's cgroup yet. A start takes one (or, with none ready, spawns cold as before) and hands it to
 * createContainer, which does exactly what it does after a cold init's `booted`. Each init serves one container
 * and then becomes its PID 1: no state carries over from one container to the next.
 *
 * Refilling never runs on a start's critical path: the caller asks for it once the start has returned, and the
 * pool boots one init at a time, so at most one Node start-up competes with containers for the CPU.
 */

/** What the pool needs from an init (InitProcess from @c/runtime satisfies it; tests hand in fakes). */
export interface WarmInit {
  /** Resolves when the init has booted and waits for its plan; rejects if it died first. */
  readonly booted: Promise<void>;
  alive(): boolean;
  /** An idle init must not keep the process alive; the taker refs it again. */
  setRef(ref: boolean): void;
  kill(): void;
  close(): void;
}

export interface InitPoolOptions<T extends WarmInit> {
  /** Booted inits to keep ready; 0 disables the pool. */
  size: number;
  /** Start one init (may throw). */
  spawn: () => T;
  /** A spawn or a boot failed (the pool then backs off; starts go on cold). */
  onError?: (error: unknown) => void;
  /** Delay before a refill after a take (default 0: the next turn of the event loop). */
  refillDelayMs?: number;
  /** First wait after a failure; doubles per consecutive failure up to 30 s. Default 200 ms. */
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 30_000;

export class InitPool<T extends WarmInit> {
  private readonly ready: T[] = [];
  private booting: T | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: InitPoolOptions<T>) {}

  get size(): number {
    return this.options.size;
  }

  /** Booted inits ready to be taken. */
  get idle(): number {
    return this.ready.length;
  }

  /** A booted, living init, or undefined (the caller spawns cold). Never blocks and never spawns. */
  take(): T | undefined {
    for (let init = this.ready.shift(); init !== undefined; init = this.ready.shift()) {
      if (init.alive()) return init;
      init.kill();
      init.close();
    }
    return undefined;
  }

  /** Top the pool up soon (after `refillDelayMs`), outside the caller's current work. */
  refill(): void {
    if (this.closed || this.timer !== undefined || this.options.size <= 0) return;
    this.schedule(this.options.refillDelayMs ?? 0);
  }

  /** Start booting inits now, one at a time, until `size` are ready. */
  fill(): void {
    if (this.closed || this.booting !== undefined || this.ready.length >= this.options.size) return;
    let init: T;
    try {
      init = this.options.spawn();
    } catch (error) {
      this.failed(error);
      return;
    }
    init.setRef(false);
    this.booting = init;
    init.booted.then(
      () => {
        this.booting = undefined;
        if (this.closed) {
          init.kill();
          init.close();
          return;
        }
        this.failures = 0;
        this.ready.push(init);
        this.fill();
      },
      (error: unknown) => {
        this.booting = undefined;
        init.kill();
        init.close();
        if (!this.closed) this.failed(error);
      },
    );
  }

  /** Kills every idle and booting init (at shutdown: none may outlive the engine). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const init of [...this.ready, ...(this.booting ? [this.booting] : [])]) {
      init.kill();
      init.close();
    }
    this.ready.length = 0;
  }

  private failed(error: unknown): void {
    this.failures += 1;
    this.options.onError?.(error);
    const delay = Math.min((this.options.backoffMs ?? 200) * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fill();
    }, ms);
    this.timer.unref();
  }
}
