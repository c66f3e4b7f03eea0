// TEMPORARY (until @c/namespaces offers socket/connect/sendmsg/recvmsg): SCM_RIGHTS over a unix socket through
// koffi directly. Node cannot pass arbitrary fds on its own, and runc's --console-socket protocol needs exactly that.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { SyscallError } from '@c/namespaces';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** CMSG_SPACE(sizeof(int)) and CMSG_LEN(sizeof(int)) on 64-bit Linux. */
const CMSG_SPACE_INT = 24;
const CMSG_LEN_INT = 20;

interface SocketLib {
  koffi: typeof Koffi;
  socket: (domain: number, type: number, protocol: number) => number;
  connect: (fd: number, addr: Buffer, len: number) => number;
  sendmsg: (fd: number, msg: Buffer, flags: number) => number;
  recvmsg: (fd: number, msg: Buffer, flags: number) => number;
  close: (fd: number) => number;
}

let lib: SocketLib | undefined;
function socketLib(): SocketLib {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const libc = koffi.load('libc.so.6');
  lib = {
    koffi,
    socket: libc.func('int socket(int, int, int)') as SocketLib['socket'],
    connect: libc.func('int connect(int, const void *, uint32_t)') as SocketLib['connect'],
    sendmsg: libc.func('intptr_t sendmsg(int, const void *, int)') as SocketLib['sendmsg'],
    recvmsg: libc.func('intptr_t recvmsg(int, void *, int)') as SocketLib['recvmsg'],
    close: libc.func('int close(int)') as SocketLib['close'],
  };
  return lib;
}

function address(l: SocketLib, buf: Buffer): bigint {
  return BigInt(l.koffi.address(buf) as unknown as bigint);
}

/** struct msghdr (56 bytes on 64-bit) pointing at one iovec and a control buffer. */
function msghdr(l: SocketLib, iov: Buffer, control: Buffer): Buffer {
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(0n, 0); // msg_name
  msg.writeUInt32LE(0, 8); // msg_namelen
  msg.writeBigUInt64LE(address(l, iov), 16); // msg_iov
  msg.writeBigUInt64LE(1n, 24); // msg_iovlen
  msg.writeBigUInt64LE(address(l, control), 32); // msg_control
  msg.writeBigUInt64LE(BigInt(control.length), 40); // msg_controllen
  return msg;
}

function iovec(l: SocketLib, data: Buffer): Buffer {
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(address(l, data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  return iov;
}

function sockaddrUn(path: string): Buffer {
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  const bytes = Buffer.from(path);
  if (bytes.length > 107) throw new SyscallError('connect', `connect(${path})`, 36 /* ENAMETOOLONG */);
  bytes.copy(addr, 2);
  return addr;
}

/** Connect a new unix stream socket to `socketPath`; returns its fd (close-on-exec). */
export function connectUnixSocket(socketPath: string): number {
  const l = socketLib();
  const sock = l.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw new SyscallError('socket', 'socket(AF_UNIX)', l.koffi.errno());
  if (l.connect(sock, sockaddrUn(socketPath), 110) < 0) {
    const errno = l.koffi.errno();
    l.close(sock);
    throw new SyscallError('connect', `connect(${socketPath})`, errno, { details: { path: socketPath }, hint: 'check --console-socket: nothing listens there' });
  }
  return sock;
}

/** Send `fd` with SCM_RIGHTS on the connected socket `sock`; the payload is `name`, as runc sends. */
export function sendFdOverSocket(sock: number, fd: number, name = '/dev/ptmx'): void {
  const l = socketLib();
  const data = Buffer.from(name);
  const iov = iovec(l, data);
  const control = Buffer.alloc(CMSG_SPACE_INT);
  control.writeBigUInt64LE(BigInt(CMSG_LEN_INT), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, 16);
  const msg = msghdr(l, iov, control);
  const sent = l.sendmsg(sock, msg, 0);
  // The buffers must stay alive until here: their addresses were written into msg by hand.
  keepAlive(data, iov, control);
  if (sent < 0) throw new SyscallError('sendmsg', 'sendmsg(SCM_RIGHTS)', l.koffi.errno());
}

function keepAlive(...buffers: Buffer[]): number {
  return buffers.length;
}

/** Connect to the unix socket at `socketPath` and send `fd` (runc's --console-socket protocol). */
export function sendFd(socketPath: string, fd: number, name = '/dev/ptmx'): void {
  const sock = connectUnixSocket(socketPath);
  try {
    sendFdOverSocket(sock, fd, name);
  } finally {
    socketLib().close(sock);
  }
}

/** close(2) for fds made here. */
export function closeSocket(sock: number): void {
  socketLib().close(sock);
}

/** Receive one fd sent with SCM_RIGHTS on the connected socket `sock` (blocking). Returns the fd and the payload. */
export function receiveFd(sock: number): { fd: number; name: string } {
  const l = socketLib();
  const data = Buffer.alloc(4096);
  const iov = iovec(l, data);
  const control = Buffer.alloc(CMSG_SPACE_INT);
  const msg = msghdr(l, iov, control);
  const n = l.recvmsg(sock, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
  if (n < 0) throw new SyscallError('recvmsg', 'recvmsg(SCM_RIGHTS)', l.koffi.errno());
  const level = control.readInt32LE(8);
  const type = control.readInt32LE(12);
  if (level !== SOL_SOCKET || type !== SCM_RIGHTS) throw new SyscallError('recvmsg', 'recvmsg: no SCM_RIGHTS message', 22);
  return { fd: control.readInt32LE(16), name: data.subarray(0, Number(n)).toString('utf8') };
}
