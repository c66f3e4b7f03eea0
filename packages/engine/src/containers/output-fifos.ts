/**
 * A container's stdout and stderr are FIFOs in its directory instead of pipes, so its output outlives the engine:
 * the container holds them open read-write, so it is a reader itself and never gets SIGPIPE when the engine goes
 * away (a full FIFO just blocks it), and a new engine reopens them and goes on logging. The engine sees EOF once
 * every container process holding them has exited, as with pipes.
 */
import { closeSync, existsSync, openSync, constants as fs } from 'node:fs';
import { join } from 'node:path';
import { S_IF, linuxSyscalls } from '@c/namespaces';
import type { LogStream } from './json-log';
import { outputPump, type LogTarget, type PumpedReadable } from './output-pump';

const STREAMS: readonly LogStream[] = ['stdout', 'stderr'];

export function fifoPath(dir: string, stream: LogStream): string {
  return join(dir, `${stream}.fifo`);
}

function ensureFifo(path: string): void {
  if (!existsSync(path)) linuxSyscalls.mknod(path, S_IF.FIFO | 0o600, 0n);
}

/** Opens a read side without blocking (a FIFO open for reading waits for a writer otherwise). */
// libuv opens every fd with O_CLOEXEC; spawn dup2s the writers onto the child's fds 1 and 2.
function openReaderFd(path: string): number {
  return openSync(path, fs.O_RDONLY | fs.O_NONBLOCK);
}

export interface OutputFifos {
  /** Read-write fds to hand to the container as its fds 1 and 2; close them once it has been spawned. */
  writers: Record<LogStream, number>;
  /** Read on the output worker (output-pump.ts), which logs to `log`; they carry data only while tapped. */
  readers: Record<LogStream, PumpedReadable>;
  closeWriters(): void;
}

/** Creates (if needed) and opens both FIFOs for a container about to start; its output is logged to `log`. */
export function openOutputFifos(dir: string, log?: LogTarget): OutputFifos {
  const writers = {} as Record<LogStream, number>;
  const readerFds = {} as Record<LogStream, number>;
  for (const stream of STREAMS) {
    const path = fifoPath(dir, stream);
    ensureFifo(path);
    // Writer first: with a writer present the reader does not see an immediate EOF.
    writers[stream] = openSync(path, fs.O_RDWR);
    readerFds[stream] = openReaderFd(path);
  }
  const readers = outputPump.open(readerFds, log) as Record<LogStream, PumpedReadable>;
  let closed = false;
  return {
    writers,
    readers,
    closeWriters: () => {
      if (closed) return;
      closed = true;
      for (const stream of STREAMS) closeSync(writers[stream]);
    },
  };
}

/** Reopens the read sides for a container started by an earlier engine; undefined if it has no FIFOs. */
export function reopenOutputFifos(dir: string, log?: LogTarget): Record<LogStream, PumpedReadable> | undefined {
  if (!STREAMS.every((s) => existsSync(fifoPath(dir, s)))) return undefined;
  const fds = {} as Record<LogStream, number>;
  for (const stream of STREAMS) fds[stream] = openReaderFd(fifoPath(dir, stream));
  return outputPump.open(fds, log) as Record<LogStream, PumpedReadable>;
}
