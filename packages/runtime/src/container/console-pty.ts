/** The container's console as `create` and the one-process `run` set it up (runc's protocol). */
import { openSync } from 'node:fs';
import { CError } from '@c/errors';
import { O } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';

/** A terminal needs somewhere to go: the caller's console socket, or a caller that keeps the master itself. */
export function requireConsoleTarget(terminal: boolean, consoleSocket: string | undefined, keepPtyMaster: boolean | undefined): void {
  if (terminal && consoleSocket === undefined && !keepPtyMaster) {
    throw new CError('INVALID_ARGUMENT', 'cannot allocate a tty without --console-socket when the container is detached', {
      hint: 'pass --console-socket PATH or set process.terminal to false',
    });
  }
}

/** A new pty: the master stays ours, the slave (opened O_NOCTTY: never our controlling terminal) becomes 0-2. */
export function openConsolePty(sys: Syscalls): { master: number; slave: number; slavePath: string } {
  const pty = sys.openpty();
  return { master: pty.master, slave: openSync(pty.slavePath, O.RDWR | O.NOCTTY), slavePath: pty.slavePath };
}
