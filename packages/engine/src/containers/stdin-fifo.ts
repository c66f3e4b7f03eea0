/**
 * A container's stdin (OpenStdin without a tty) is a FIFO, not the socketpair Node's `stdio: 'pipe'` makes.
 *
 * Why: with a socket on fd 0 and a FIFO on fd 1, `cat` (busybox, coreutils) copies with sendfile(2), and the
 * kernel then holds the stdout FIFO's pipe mutex while it waits for data on the socket. Any read of that FIFO by
 * the engine, even with O_NONBLOCK, then sleeps uninterruptibly on the mutex: the event loop stops, so the stdin
 * that would wake `cat` is never written (a deadlock until the container exits). A FIFO cannot be spliced *from*
 * by sendfile, so the copy falls back to read/write and never waits while holding the output FIFO.
 */
import { closeSync, existsSync, openSync, constants as fs } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { S_IF, linuxSyscalls } from '@c/namespaces';

export function stdinFifoPath(dir: string): string {
  return join(dir, 'stdin.fifo');
}

export interface StdinFifo {
  /** Read-only, blocking fd to hand to the container as its fd 0; close it once the container has been spawned. */
  reader: number;
  /** The engine's write side (non-blocking). Ending or destroying it gives the container EOF. */
  writer: Writable;
  closeReader(): void;
}

/** Creates (if needed) and opens the stdin FIFO of a container about to start; no open ever blocks. */
export function openStdinFifo(dir: string): StdinFifo {
  const path = stdinFifoPath(dir);
  if (!existsSync(path)) linuxSyscalls.mknod(path, S_IF.FIFO | 0o600, 0n);
  // A read-write fd is both a reader and a writer, so neither open below waits for the other side. It is closed
  // right after: the container must see EOF once the engine's writer is the only one left and closes.
  const holder = openSync(path, fs.O_RDWR);
  let reader: number;
  let writerFd: number;
  try {
    // Blocking mode for the container: programs expect read(0) to wait, not fail with EAGAIN.
    reader = openSync(path, fs.O_RDONLY);
    try {
      writerFd = openSync(path, fs.O_WRONLY | fs.O_NONBLOCK);
    } catch (error) {
      closeSync(reader);
      throw error;
    }
  } finally {
    closeSync(holder);
  }
  const writer = new Socket({ fd: writerFd, readable: false, writable: true });
  let readerClosed = false;
  return {
    reader,
    writer,
    closeReader: () => {
      if (readerClosed) return;
      readerClosed = true;
      closeSync(reader);
    },
  };
}
