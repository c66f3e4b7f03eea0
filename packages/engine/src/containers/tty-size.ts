/**
 * Terminal sizes (docker's resize): TIOCSWINSZ on the pty master the engine holds, or on the pty slave a process
 * has as its stdin when the master lives in another process (a tty exec's master is in its `c-runtime exec`).
 * The kernel sends SIGWINCH to the terminal's foreground process group either way.
 */
import { closeSync, openSync, constants as fs } from 'node:fs';
import { isatty } from 'node:tty';
import { CError } from '@c/errors';
import { linuxSyscalls, type Syscalls } from '@c/namespaces';

export interface TtySize {
  height: number;
  width: number;
}

/** docker's bounds: both dimensions are unsigned 16-bit (0 is accepted, as dockerd does). */
export function checkTtySize(size: TtySize): void {
  for (const [name, value] of [
    ['h', size.height],
    ['w', size.width],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new CError('INVALID_ARGUMENT', `invalid terminal ${name === 'h' ? 'height' : 'width'} ${value}`, { hint: 'give h and w as whole numbers between 0 and 65535' });
    }
  }
}

/** Sets the size of the terminal open on `fd` (a pty master or slave). */
export function setTtySize(fd: number, size: TtySize, sys: Pick<Syscalls, 'setWinsize'> = linuxSyscalls): void {
  checkTtySize(size);
  sys.setWinsize(fd, { rows: size.height, cols: size.width });
}

/** Sets the size of the terminal that process `pid` has on its fd 0; false when that is not a terminal. */
export function setProcessTtySize(pid: number, size: TtySize, sys: Pick<Syscalls, 'setWinsize'> = linuxSyscalls): boolean {
  checkTtySize(size);
  // O_NOCTTY: opening a tty must never make it the engine's controlling terminal.
  const fd = openSync(`/proc/${pid}/fd/0`, fs.O_RDWR | fs.O_NOCTTY | fs.O_NONBLOCK);
  try {
    if (!isatty(fd)) return false;
    sys.setWinsize(fd, { rows: size.height, cols: size.width });
    return true;
  } finally {
    closeSync(fd);
  }
}
