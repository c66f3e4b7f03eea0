/**
 * Writes the data of large files on libuv's thread pool while the main thread goes on parsing and creating
 * files. On a slow disk the copy into the page cache is a third of the main thread's time during an unpack;
 * with it on the pool, the main thread (the bottleneck: tar parsing, file creation, DiffID hashing) does less
 * and the second core takes the copies. Small files stay synchronous: a thread-pool round trip costs more than
 * their write.
 *
 * Rules that keep this as safe as the synchronous path:
 * - only file descriptors are used (never a path), and an fd is closed only once every write on it settled, so
 *   a write can never land in a later file that reused the fd number;
 * - a file's metadata (owner, mode, times) is set by its `finalize` after its last write, because a write
 *   changes the mtime, and as a non-root writer would clear setuid/setgid;
 * - chunks are kept until written: the caller must hand over buffers that nobody rewrites (zlib's output is).
 */
import { closeSync, write } from 'node:fs';

export interface FileWriteQueueOptions {
  /** Writes on the thread pool at once: leaves pool threads for inflate and blob reads (default 2). */
  concurrency?: number;
  /** Bytes queued or being written past which `backpressure()` asks the producer to wait (default 16 MiB). */
  maxQueuedBytes?: number;
  /** Files owned (open, not finalized) past which `backpressure()` asks the producer to wait (default 64). */
  maxOpenFiles?: number;
}

interface PendingFile {
  fd: number;
  /** Writes queued or running. */
  writes: number;
  /** Set by `end`: runs once the writes are done. */
  finalize?: () => void;
}

interface Waiter {
  ready: () => boolean;
  /** Wait for `ready` even after a failure (closing fds must wait for the writes in flight). */
  throughFailure: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface WriteJob {
  file: PendingFile;
  chunk: Buffer;
  position: number;
}

export class FileWriteQueue {
  private readonly concurrency: number;
  private readonly maxQueuedBytes: number;
  private readonly maxOpenFiles: number;
  private readonly queue: WriteJob[] = [];
  private readonly files = new Map<number, PendingFile>();
  private running = 0;
  private queuedBytes = 0;
  private failure: unknown;
  private waiters: Waiter[] = [];

  constructor(options: FileWriteQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    // Every file waiting for its writes holds an fd: a bound keeps a daemon's concurrent unpacks far from
    // the fd limit (a producer may overshoot by the files of one chunk: 16 of 64 KiB in 1 MiB).
    this.maxOpenFiles = options.maxOpenFiles ?? 64;
  }

  /** The first write or finalize failure, if any. */
  get error(): unknown {
    return this.failure;
  }

  /** Takes ownership of `fd` (opened for writing): from now on only `end` or `closeAll` closes it. */
  open(fd: number): void {
    this.files.set(fd, { fd, writes: 0 });
  }

  /** Queues `chunk` at `position` of `fd`. */
  write(fd: number, chunk: Buffer, position: number): void {
    const file = this.fileOf(fd);
    if (chunk.length === 0) return;
    file.writes++;
    this.queuedBytes += chunk.length;
    this.queue.push({ file, chunk, position });
    this.pump();
  }

  /**
   * No more writes for `fd`: `finalize` runs once the queued ones are done. It sets the metadata and must close
   * the fd in every case (try/finally): the queue forgets the fd when it calls it.
   */
  end(fd: number, finalize: () => void): void {
    const file = this.fileOf(fd);
    file.finalize = finalize;
    if (file.writes === 0) this.complete(file);
  }

  /** A promise to wait on before producing more, or undefined when the queue has room. Rejects on a failure. */
  backpressure(): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure as Error);
    const room = () => this.queuedBytes <= this.maxQueuedBytes && this.files.size <= this.maxOpenFiles;
    return room() ? undefined : this.waitUntil(room);
  }

  /** Resolves once every queued write and finalize ran; rejects with the first failure. */
  async settle(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.running > 0 || this.queue.length > 0) await this.waitUntil(() => this.running === 0 && this.queue.length === 0);
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * After a failure: waits for the writes in flight, then closes every fd still owned (files whose `end` never
   * came, or whose finalize did not run). Never rejects.
   */
  async closeAll(): Promise<void> {
    this.queue.length = 0; // nothing new starts; the running writes finish on their own
    this.queuedBytes = 0;
    if (this.running > 0) await this.waitUntil(() => this.running === 0, true);
    for (const fd of this.files.keys()) {
      try {
        closeSync(fd);
      } catch {
        // already failed; the apply reports its own error
      }
    }
    this.files.clear();
  }

  private fileOf(fd: number): PendingFile {
    const file = this.files.get(fd);
    if (!file) throw new Error(`fd ${fd} is not owned by this write queue`);
    return file;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0 && this.failure === undefined) {
      this.start(this.queue.shift()!);
    }
  }

  private start(job: WriteJob): void {
    this.running++;
    write(job.file.fd, job.chunk, 0, job.chunk.length, job.position, (error, written) => {
      this.running--;
      if (error) {
        this.fail(error);
      } else if (written < job.chunk.length) {
        // A short write (rare on local disks): the rest goes next, before anything else queued.
        this.queuedBytes -= written;
        this.queue.unshift({ file: job.file, chunk: job.chunk.subarray(written), position: job.position + written });
        this.pump();
        return;
      } else {
        this.queuedBytes -= job.chunk.length;
        if (--job.file.writes === 0 && job.file.finalize) this.complete(job.file);
      }
      this.pump();
      this.wake();
    });
  }

  /** `finalize` owns the fd from here (it closes it, whatever happens), so it is no longer ours to close. */
  private complete(file: PendingFile): void {
    this.files.delete(file.fd);
    try {
      file.finalize!();
    } catch (error) {
      this.fail(error);
    }
    this.wake(); // one fd fewer: a producer waiting on maxOpenFiles may go on
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.queue.length = 0;
    this.wake();
  }

  private waitUntil(ready: () => boolean, throughFailure = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { ready, throughFailure, resolve, reject };
      if (!this.settleWaiter(waiter)) this.waiters.push(waiter);
    });
  }

  /** Resolves or rejects `waiter` when it can be; false while it must go on waiting. */
  private settleWaiter(waiter: Waiter): boolean {
    if (waiter.ready()) {
      waiter.resolve();
      return true;
    }
    if (this.failure === undefined || waiter.throughFailure) return false;
    waiter.reject(this.failure);
    return true;
  }

  private wake(): void {
    this.waiters = this.waiters.filter((waiter) => !this.settleWaiter(waiter));
  }
}
