// runc's --console-socket protocol: connect to a unix socket and pass the pty master with SCM_RIGHTS, the payload
// being the pty's name. The socket calls themselves live in @c/namespaces.
import { closeSync } from 'node:fs';
import { CError } from '@c/errors';
import { AF, SOCK, linuxSyscalls } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';

/** Connect a new unix stream socket (close-on-exec) to `socketPath`; returns its fd. */
export function connectUnixSocket(socketPath: string, sys: Syscalls = linuxSyscalls): number {
  const sock = sys.socket(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
  try {
    sys.connectUnix(sock, socketPath);
  } catch (error) {
    closeSync(sock);
    throw error;
  }
  return sock;
}

/** Send `fd` on the connected socket `sock` with `name` as the payload, as runc does. */
export function sendFdOverSocket(sock: number, fd: number, name = '/dev/ptmx', sys: Syscalls = linuxSyscalls): void {
  sys.sendFds(sock, [fd], Buffer.from(name));
}

/** Connect to the unix socket at `socketPath` and send `fd` (runc's --console-socket protocol). */
export function sendFd(socketPath: string, fd: number, name = '/dev/ptmx', sys: Syscalls = linuxSyscalls): void {
  const sock = connectUnixSocket(socketPath, sys);
  try {
    sendFdOverSocket(sock, fd, name, sys);
  } finally {
    closeSync(sock);
  }
}

/** Receive one fd sent with SCM_RIGHTS on the connected socket `sock` (blocking). Returns the fd and the payload. */
export function receiveFd(sock: number, sys: Syscalls = linuxSyscalls): { fd: number; name: string } {
  const got = sys.recvFds(sock, { maxFds: 1 });
  const fd = got.fds[0];
  if (fd === undefined) {
    throw new CError('INVALID_ARGUMENT', `no file descriptor in the message on socket fd ${sock} (payload "${got.data.toString('utf8')}")`, {
      hint: 'the peer must send the fd with SCM_RIGHTS (runc --console-socket protocol)',
    });
  }
  return { fd, name: got.data.toString('utf8') };
}
