// struct layouts for sendmsg/recvmsg with SCM_RIGHTS on 64-bit Linux (x86_64 and arm64 share them). The kernel
// reads pointers out of these buffers, so callers must keep every buffer referenced until the call returns.
import { CError } from '@c/errors';
import { SCM_MAX_FD } from '../constants';

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const CMSG_HEADER = 16;
const MSGHDR_BYTES = 56;
const SOCKADDR_UN_BYTES = 110;
/** MSG_CTRUNC in msg_flags: the control buffer was too small; the kernel closed the fds that did not fit. */
const MSG_CTRUNC = 0x8;

type AddressOf = (buffer: Buffer) => bigint;

/** CMSG_SPACE for `count` ints. */
export function controlSpace(count: number): number {
  return CMSG_HEADER + Math.ceil((count * 4) / 8) * 8;
}

/** A message with one iovec over `data` and a control buffer; `keep` holds every buffer the kernel will read. */
export interface Message {
  msghdr: Buffer;
  control: Buffer;
  keep: Buffer[];
}

function message(addressOf: AddressOf, data: Buffer, control: Buffer): Message {
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(addressOf(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const msghdr = Buffer.alloc(MSGHDR_BYTES);
  msghdr.writeBigUInt64LE(addressOf(iov), 16); // msg_iov
  msghdr.writeBigUInt64LE(1n, 24); // msg_iovlen
  msghdr.writeBigUInt64LE(control.length === 0 ? 0n : addressOf(control), 32); // msg_control
  msghdr.writeBigUInt64LE(BigInt(control.length), 40); // msg_controllen
  return { msghdr, control, keep: [data, iov, control] };
}

export function checkFdsToSend(fds: readonly number[], data: Uint8Array): void {
  if (fds.length < 1 || fds.length > SCM_MAX_FD) {
    throw new CError('INVALID_ARGUMENT', `sendFds: ${fds.length} fds; one message carries 1-${SCM_MAX_FD}`, { hint: 'split the fds over several messages' });
  }
  for (const fd of fds) {
    if (!Number.isInteger(fd) || fd < 0) throw new CError('INVALID_ARGUMENT', `sendFds: ${fd} is not a file descriptor`, { hint: 'pass open fds' });
  }
  if (data.length === 0) {
    throw new CError('INVALID_ARGUMENT', 'sendFds: the payload is empty', { hint: 'send at least one byte with the fds (an empty stream message carries no ancillary data)' });
  }
}

/** The message sendmsg needs to pass `fds` with `data`. */
export function sendMessage(addressOf: AddressOf, fds: readonly number[], data: Uint8Array): Message {
  const control = Buffer.alloc(controlSpace(fds.length));
  control.writeBigUInt64LE(BigInt(CMSG_HEADER + fds.length * 4), 0); // CMSG_LEN
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  fds.forEach((fd, i) => control.writeInt32LE(fd, CMSG_HEADER + i * 4));
  return message(addressOf, Buffer.from(data), control);
}

/** An empty message for recvmsg with room for `maxData` bytes and `maxFds` fds. */
export function receiveMessage(addressOf: AddressOf, maxData: number, maxFds: number): Message & { data: Buffer } {
  const data = Buffer.alloc(maxData);
  return { ...message(addressOf, data, Buffer.alloc(controlSpace(maxFds))), data };
}

/**
 * The fds of every SCM_RIGHTS header in a received control buffer (the kernel may split them) and whether the
 * kernel truncated it. `controlLength` is the msg_controllen recvmsg wrote back.
 */
export function parseReceived(received: Message): { fds: number[]; truncated: boolean } {
  const { msghdr, control } = received;
  const controlLength = Number(msghdr.readBigUInt64LE(40));
  const flags = msghdr.readInt32LE(48);
  const fds: number[] = [];
  let at = 0;
  while (at + CMSG_HEADER <= controlLength) {
    const length = Number(control.readBigUInt64LE(at));
    if (length < CMSG_HEADER || at + length > control.length) break;
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SCM_RIGHTS) {
      for (let p = at + CMSG_HEADER; p + 4 <= at + length; p += 4) fds.push(control.readInt32LE(p));
    }
    at += Math.ceil(length / 8) * 8;
  }
  return { fds, truncated: (flags & MSG_CTRUNC) !== 0 };
}

/** struct sockaddr_un for a filesystem path; null when the path is too long. */
export function sockaddrUn(path: string): Buffer | null {
  const bytes = Buffer.from(path);
  if (bytes.length === 0 || bytes.length > SOCKADDR_UN_BYTES - 3) return null;
  const addr = Buffer.alloc(SOCKADDR_UN_BYTES);
  addr.writeUInt16LE(1 /* AF_UNIX */, 0);
  bytes.copy(addr, 2);
  return addr;
}
