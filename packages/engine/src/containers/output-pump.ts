/**
 * Reads containers' output FIFOs and writes their json-file logs on a worker thread, not on the engine's event loop.
 *
 * Why a thread: a container process that splices or sendfiles into its stdout FIFO from a source that blocks
 * holds the FIFO's pipe mutex while it waits, and a read of that FIFO then sleeps in the kernel even with
 * O_NONBLOCK; on the event loop that stops the whole daemon. And a container writing fast kept the loop busy
 * reading (libuv reads up to 32 chunks per wake-up) and encoding log lines: `GET /_ping` waited tens of ms.
 * Here a stuck read stops only the worker, and the engine's loop sees a container's output only while a client is
 * attached to it (a "tap"), one chunk per message with at most WINDOW chunks in flight per stream (the worker
 * pauses the FIFO until the engine has handled them).
 *
 * One worker serves every container (started on first use, unref'd). Its script is eval'd, with only Node
 * built-ins plus the source text of JsonFileLogWriter, rfc3339Nano and logClock (written to refer to nothing outside
 * themselves but their default arguments, which are for the engine's thread: the worker passes each of them), so the
 * same logging code runs from sources under vitest and from the daemon's bundle.
 */
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { JsonFileLogWriter, logClock, NODE_LOG_DEPS, rfc3339Nano, type LogStream } from './json-log';

/** Chunks of one tapped stream handed to the engine and not yet handled: the worker pauses the FIFO beyond this. */
export const WINDOW = 4;

/** Where and how a container's output is logged (json-file). */
export interface LogTarget {
  path: string;
  maxSize: number;
  maxFile: number;
}

interface StreamSpec {
  key: number;
  name: LogStream;
  fd: number;
  /** A pty master's second fd (same file description), read dry once the stream has ended: see drainAfterHangUp. */
  drainFd?: number;
}

type ToWorker =
  | { op: 'open'; log: LogTarget | undefined; streams: StreamSpec[] }
  | { op: 'tap'; key: number; on: boolean }
  | { op: 'ack'; key: number }
  | { op: 'close'; key: number };
type FromWorker = { key: number; data: Uint8Array } | { key: number; end: true } | { key: number; error: string };

const workerSource = (): string => `
const { parentPort } = require('node:worker_threads');
const { Socket } = require('node:net');
const tty = require('node:tty');
const fs = require('node:fs');
const { StringDecoder } = require('node:string_decoder');
const JsonFileLogWriter = (${JsonFileLogWriter.toString()});
const rfc3339Nano = (${rfc3339Nano.toString()});
const clock = (${logClock.toString()})();
const now = () => rfc3339Nano(clock());
const deps = { fs, StringDecoder, maxLine: ${NODE_LOG_DEPS.maxLine} };
const WINDOW = ${WINDOW};
const streams = new Map();
const report = (key, error) => parentPort.postMessage({ key, error: String(error && error.message ? error.message : error) });

// libuv ends a stream at a hang-up (EPOLLHUP) as soon as a read comes back short, taking that for "drained". A pty
// master's read returns at most what its line discipline holds (4 KiB) while the flip buffer may hold several KiB
// more, so after the container's last close of the slave the tail of its output would be dropped. The rest is read
// here through a duplicate fd (non-blocking: it shares the tty handle's file description) until the kernel's EIO,
// which n_tty gives only once the slave is closed and nothing is left. Bounded, should a writer still be there.
function drainAfterHangUp(fd, onData) {
  const buffer = Buffer.allocUnsafe(65536);
  for (let reads = 0; reads < 256; reads += 1) {
    let n;
    try {
      n = fs.readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      return; // EIO: all read (EAGAIN: a writer that is still there; its output ends here anyway)
    }
    if (n === 0) return;
    onData(Buffer.from(buffer.subarray(0, n)));
  }
}

function open(message) {
  let writer;
  if (message.log) {
    try {
      writer = new JsonFileLogWriter(message.log.path, { maxSize: message.log.maxSize, maxFile: message.log.maxFile, now }, deps);
    } catch (error) {
      report(message.streams[0].key, error);
    }
  }
  const group = { writer, open: message.streams.length };
  for (const spec of message.streams) {
    // A Pipe handle over the FIFO (a TTY handle over a pty master): reads go through this thread's epoll, never the
    // thread pool. A pty master reports EIO once the container side is closed: that is its end of output.
    const socket = tty.isatty(spec.fd) ? new tty.ReadStream(spec.fd) : new Socket({ fd: spec.fd, readable: true, writable: false });
    const entry = { socket, tapped: false, inflight: 0 };
    streams.set(spec.key, entry);
    const onData = (chunk) => {
      if (group.writer) {
        try {
          group.writer.write(spec.name, chunk);
        } catch (error) {
          report(spec.key, error);
        }
      }
      if (!entry.tapped) return;
      const copy = new Uint8Array(chunk.length);
      copy.set(chunk);
      parentPort.postMessage({ key: spec.key, data: copy }, [copy.buffer]);
      if (++entry.inflight >= WINDOW) socket.pause();
    };
    socket.on('data', onData);
    let ended = false;
    // hungUp: the container side is gone (EOF at EPOLLHUP, or EIO), not a close asked for by the engine.
    const end = (hungUp) => {
      if (ended) return;
      ended = true;
      if (spec.drainFd !== undefined) {
        if (hungUp) drainAfterHangUp(spec.drainFd, onData);
        try {
          fs.closeSync(spec.drainFd);
        } catch (error) {
          report(spec.key, error);
        }
      }
      streams.delete(spec.key);
      // The last stream of a container closes its log (partial lines flushed) before the engine hears of the end.
      if (--group.open === 0 && group.writer) {
        try {
          group.writer.close();
        } catch (error) {
          report(spec.key, error);
        }
      }
      parentPort.postMessage({ key: spec.key, end: true });
    };
    let failedWithEio = false;
    socket.on('end', () => end(true));
    socket.on('close', () => end(failedWithEio));
    socket.on('error', (error) => {
      failedWithEio = error.code === 'EIO';
      socket.destroy();
    });
  }
}

parentPort.on('message', (message) => {
  if (message.op === 'open') return open(message);
  const entry = streams.get(message.key);
  if (entry === undefined) return;
  if (message.op === 'tap') {
    entry.tapped = message.on;
    if (!entry.tapped) entry.inflight = 0;
    if (entry.inflight < WINDOW && entry.socket.isPaused()) entry.socket.resume();
  } else if (message.op === 'ack') {
    if (entry.inflight > 0) entry.inflight -= 1;
    if (entry.inflight < WINDOW && entry.socket.isPaused()) entry.socket.resume();
  } else if (message.op === 'close') {
    entry.socket.destroy();
  }
});
`;

/**
 * The engine's side of one pumped FIFO: it emits the container's output only while tapped (`setTap(true)`),
 * acking each chunk once its 'data' listeners have run, and ends when the FIFO does (after the log is closed).
 */
export class PumpedReadable extends Readable {
  private unacked = 0;
  private tapped = false;
  private markReleased!: () => void;
  /** Resolves once the worker has let go of the FIFO (after its end, or after `destroy()`): it reads no more. */
  readonly released = new Promise<void>((resolve) => (this.markReleased = resolve));

  constructor(
    private readonly key: number,
    private readonly pump: OutputPump,
  ) {
    super();
  }

  /** Whether the output should reach this process (someone is attached). Logging goes on either way. */
  setTap(on: boolean): void {
    if (on === this.tapped || this.destroyed) return;
    this.tapped = on;
    this.pump.send({ op: 'tap', key: this.key, on });
  }

  /** @internal */
  deliver(chunk: Buffer): void {
    // In flowing mode the 'data' listeners (attachments) have run when push returns true.
    if (this.push(chunk)) this.pump.send({ op: 'ack', key: this.key });
    else this.unacked += 1;
  }

  override _read(): void {
    for (; this.unacked > 0; this.unacked -= 1) this.pump.send({ op: 'ack', key: this.key });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pump.send({ op: 'close', key: this.key });
    callback(error);
  }

  /** @internal The worker's end of this stream: no more data, the FIFO is closed. */
  finish(): void {
    this.pump.forget(this.key);
    if (!this.destroyed) this.push(null);
    this.markReleased();
  }
}

class OutputPump {
  private worker: Worker | undefined;
  private readonly readers = new Map<number, PumpedReadable>();
  private nextKey = 1;
  /** Where log write failures go (they must not stop the output). */
  onError: (message: string) => void = () => undefined;

  /** Pumps a container's FIFO read sides (opened O_NONBLOCK; the worker owns and closes them), logging to `log`. */
  open(fds: Partial<Record<LogStream, number>>, log: LogTarget | undefined): Partial<Record<LogStream, PumpedReadable>> {
    const readers: Partial<Record<LogStream, PumpedReadable>> = {};
    const streams: StreamSpec[] = [];
    for (const name of ['stdout', 'stderr'] as const) {
      const fd = fds[name];
      if (fd === undefined) continue;
      const { reader, spec } = this.register(name, fd);
      readers[name] = reader;
      streams.push(spec);
    }
    this.start().postMessage({ op: 'open', log, streams } satisfies ToWorker);
    return readers;
  }

  /**
   * Pumps a pty master as stdout: `fd` is read as a tty, `drainFd` (a duplicate of it) for what is left in the pty
   * when the container side hangs up. The worker owns and closes both.
   */
  openPty(fd: number, drainFd: number, log: LogTarget | undefined): PumpedReadable {
    const { reader, spec } = this.register('stdout', fd);
    this.start().postMessage({ op: 'open', log, streams: [{ ...spec, drainFd }] } satisfies ToWorker);
    return reader;
  }

  private register(name: LogStream, fd: number): { reader: PumpedReadable; spec: StreamSpec } {
    const key = this.nextKey++;
    const reader = new PumpedReadable(key, this);
    this.readers.set(key, reader);
    return { reader, spec: { key, name, fd } };
  }

  send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  forget(key: number): void {
    this.readers.delete(key);
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // execArgv: [] keeps the script CommonJS whatever flags (--input-type, loaders) the engine's process runs with.
    // Not tracking fds: the worker reads and closes fds this thread opened, which Node would warn about on each close
    // ("closed but not opened in unmanaged mode"), and it never ends, so there is nothing for Node to close after it.
    const worker = new Worker(workerSource(), { eval: true, execArgv: [], name: 'c-output-pump', trackUnmanagedFds: false });
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      if ('error' in message) return this.onError(message.error);
      const reader = this.readers.get(message.key);
      if (reader === undefined) return;
      if (!('data' in message)) reader.finish();
      else if (!reader.destroyed) reader.deliver(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
    });
    const fail = (): void => {
      // The FIFOs' fds went with the thread: end every reader so exits are still recorded.
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const reader of [...this.readers.values()]) reader.finish();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }
}

export const outputPump = new OutputPump();

/** Turns the tap of pumped outputs on or off (other streams, e.g. a pty master, are left alone). */
export function setTaps(outputs: readonly Readable[], on: boolean): void {
  for (const output of outputs) if (output instanceof PumpedReadable) output.setTap(on);
}
