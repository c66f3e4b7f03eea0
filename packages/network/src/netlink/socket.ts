import { constants } from 'node:os';
import { AF, AT_FDCWD, CLONE, MSG, O, SOCK, isSyscallError, linuxSyscalls, preloadSyscalls, type Syscalls } from '@c/namespaces';
import { CError, type ErrorCode } from '@c/errors';
import { NLMSG, parseMessages, type ParsedMessage } from './codec';

const NETLINK_ROUTE = 0;
const RECV_BUFFER = 65536;

/** The system calls come from @c/namespaces (one set of koffi bindings per process). */
const sys: Syscalls = linuxSyscalls;

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

function codeFor(errno: number): ErrorCode {
  switch (ERRNO_NAMES.get(errno)) {
    case 'EEXIST':
    case 'EBUSY':
      return 'CONFLICT';
    case 'ENODEV':
    case 'ENOENT':
      return 'NOT_FOUND';
    case 'EPERM':
    case 'EACCES':
      return 'PERMISSION_DENIED';
    default:
      return 'SYSCALL';
  }
}

/** A kernel's negative reply to a netlink request (an errno in NLMSG_ERROR), as a CError whose code callers test. */
export function syscallError(what: string, errno: number, hint = 'networking needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for setns)'): CError {
  const name = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  return new CError(codeFor(errno), `${what}: ${name}`, { hint, details: { errno, errnoName: name } });
}

/** True when koffi and libc load (not on every platform c's unit tests run on). */
export function netlinkAvailable(): boolean {
  try {
    preloadSyscalls();
    return process.platform === 'linux';
  } catch {
    return false;
  }
}

function openReadOnly(path: string): number {
  return sys.openat2(AT_FDCWD, path, { flags: O.RDONLY | O.CLOEXEC });
}

let hostNetnsFd: number | undefined;

/** The daemon's own network namespace, held open so we can always come back to it after a setns. */
function hostNetns(): number {
  hostNetnsFd ??= openReadOnly('/proc/thread-self/ns/net');
  return hostNetnsFd;
}

/** Open a namespace file (/proc/<pid>/ns/net, /run/netns/<name>) for IFLA_NET_NS_FD or setns. The caller closes it. */
export function openNetns(path: string): number {
  try {
    return openReadOnly(path);
  } catch (error) {
    const code: ErrorCode = isSyscallError(error, 'ENOENT') ? 'NOT_FOUND' : 'SYSCALL';
    throw new CError(code, `open network namespace ${path}: ${(error as Error).message}`, { cause: error, hint: 'is the container still running?' });
  }
}

export function closeFd(fd: number): void {
  sys.close(fd);
}

/**
 * A netlink socket (NETLINK_ROUTE unless told otherwise). Requests are processed by the kernel inside send(), so
 * replies are queued by the time send returns and are read without blocking.
 */
export class NetlinkSocket {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly buffer = Buffer.alloc(RECV_BUFFER);

  private constructor(private fd: number) {}

  /** A socket in the caller's network namespace. */
  static open(protocol = NETLINK_ROUTE): NetlinkSocket {
    return new NetlinkSocket(NetlinkSocket.create(protocol));
  }

  /**
   * A socket in another network namespace: setns there, socket(), setns back, all synchronous on this
   * thread (a socket stays bound to the namespace it was created in).
   */
  static openIn(netnsFd: number): NetlinkSocket {
    // Open the way back before leaving: opened later, /proc/thread-self would name the container's namespace.
    const home = hostNetns();
    sys.setns(netnsFd, CLONE.NEWNET);
    let fd: number | undefined;
    let failure: unknown;
    try {
      fd = NetlinkSocket.create();
    } catch (error) {
      failure = error;
    } finally {
      try {
        sys.setns(home, CLONE.NEWNET);
      } catch (error) {
        // The main thread would stay in a container's namespace: nothing after this could be trusted.
        throw new CError('INTERNAL', `cannot return to the daemon network namespace: ${(error as Error).message}`, { cause: error, hint: 'restart the daemon' });
      }
    }
    if (failure !== undefined || fd === undefined) throw failure ?? new CError('INTERNAL', 'netlink socket not created');
    return new NetlinkSocket(fd);
  }

  private static create(protocol = NETLINK_ROUTE): number {
    const fd = sys.socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, protocol);
    // struct sockaddr_nl: family, pad, port id 0 (the kernel assigns one), no multicast groups.
    const address = Buffer.alloc(12);
    address.writeUInt16LE(AF.NETLINK, 0);
    try {
      sys.bind(fd, address);
    } catch (error) {
      sys.close(fd);
      throw error;
    }
    return fd;
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) & 0x7fffffff;
    return this.seq;
  }

  /**
   * Send requests (built with sequence numbers from nextSeq) in one datagram and collect one reply per sequence
   * number: a data message for GET requests, an ACK/error otherwise. A negative error becomes a CError naming `what`.
   */
  transact(what: string, requests: readonly Buffer[], framing?: { before: Buffer; after: Buffer }): ParsedMessage[] {
    // nf_tables takes requests inside a batch (begin … end); only the requests themselves are acknowledged.
    const packet = Buffer.concat(framing ? [framing.before, ...requests, framing.after] : (requests as Buffer[]));
    sys.send(this.fd, packet);
    return this.collect(what, requests);
  }

  /** Like transact, but send() runs on a worker thread: RTM_DELLINK of a veth waits for an RCU grace period (~10-40 ms). */
  async transactAsync(what: string, requests: readonly Buffer[]): Promise<ParsedMessage[]> {
    await sys.sendAsync(this.fd, Buffer.concat(requests as Buffer[]));
    return this.collect(what, requests);
  }

  close(): void {
    if (this.fd >= 0) sys.close(this.fd);
    this.fd = -1;
  }

  private collect(what: string, requests: readonly Buffer[]): ParsedMessage[] {
    const wanted = new Map<number, number>();
    requests.forEach((request, i) => wanted.set(request.readUInt32LE(8), i));
    const replies: (ParsedMessage | undefined)[] = new Array(requests.length).fill(undefined);
    let pending = requests.length;
    while (pending > 0) {
      let received: number;
      try {
        received = sys.recv(this.fd, this.buffer, MSG.DONTWAIT);
      } catch (error) {
        throw new CError('SYSCALL', `netlink receive (${what}): ${pending} of ${requests.length} replies missing: ${(error as Error).message}`, { cause: error });
      }
      for (const reply of parseMessages(this.buffer.subarray(0, received))) {
        const index = wanted.get(reply.seq);
        if (index === undefined || replies[index] !== undefined) continue;
        if (reply.type === NLMSG.ERROR && reply.error !== undefined && reply.error < 0) {
          throw syscallError(`${what} (request ${index + 1} of ${requests.length})`, -reply.error);
        }
        if (reply.type === NLMSG.DONE) continue;
        replies[index] = reply;
        pending--;
      }
    }
    return replies as ParsedMessage[];
  }
}
