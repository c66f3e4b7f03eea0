import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { CError } from '@c/errors';
import { O } from '@c/namespaces';

// The exec.fifo handshake between a created container's init and `start`. The init opens the fifo read-write while
// it is still root on the host (a read-write open of a fifo never blocks on Linux) and, once it is ready, blocks
// reading one byte; `start` writes that byte. So the init never opens the fifo after its uid switch: the fifo
// stays root's (0600) and the init needs neither CAP_DAC_OVERRIDE nor /proc/self/fd for the wait. (Opening it for
// writing after the switch, runc's way, needs a fifo the container's user may open: 0622, or chowned to it.)

/** The byte `start` writes (the old handshake had the init write the same). */
const START_BYTE = Buffer.from('0');

/** The init's side, before any privilege is dropped: hold the fifo open (CLOEXEC: the payload never sees it). */
export function holdExecFifo(path: string): number {
  return openSync(path, O.RDWR | O.CLOEXEC);
}

/** The init's side, once ready: block until `start` has written its byte, then close the fifo. */
export function awaitStart(fd: number): void {
  const byte = Buffer.alloc(1);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, byte, 0, 1, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EINTR') continue;
        throw error;
      }
      if (n === 1) return;
      // End of file cannot happen while this fd is a writer too; fail rather than exec without a start.
      throw new CError('INTERNAL', 'exec.fifo reported end of file while the init held it open read-write', { hint: 'delete the container and create it again' });
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * `start`'s side: write the byte the init waits for, without ever blocking. False when no process holds the fifo
 * open for reading: the init has died, or it is an init from before this handshake (blocked opening the fifo for
 * writing, see `startContainer`).
 */
export function releaseExecFifo(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, O.WRONLY | O.NONBLOCK | O.CLOEXEC);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') return false;
    throw error;
  }
  try {
    return writeSync(fd, START_BYTE) === 1;
  } catch (error) {
    // The reader went away between the open and the write (Node ignores SIGPIPE).
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return false;
    throw error;
  } finally {
    closeSync(fd);
  }
}
