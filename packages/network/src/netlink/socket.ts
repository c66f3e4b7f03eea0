import { constants } from 'node:os';
import { createRequire } from 'node:module';
import type Koffi from 'koffi';
import { CError, type ErrorCode } from '@c/errors';
import { NLMSG, parseMessages, type ParsedMessage } from './codec';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const NETLINK_ROUTE = 0;
const O_RDONLY = 0;
const O_CLOEXEC = 0x80000;
const CLONE_NEWNET = 0x40000000;
const MSG_DONTWAIT = 0x40;
const RECV_BUFFER = 65536;

type IntFn = (...args: unknown[]) => number;
interface AsyncFn {
  async: (...args: unknown[]) => void;
}

interface Libc {
  errno: () => number;
  socket: IntFn;
  bind: IntFn;
  send: IntFn & AsyncFn;
  recv: IntFn;
  close: IntFn;
  open: IntFn;
  setns: IntFn;
}

let cached: Libc | undefined;

function libc(): Libc {
  if (cached) return cached;
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const lib = koffi.load('libc.so.6');
  const f = (decl: string) => lib.func(decl) as unknown as IntFn & AsyncFn;
  cached = {
    errno: () => koffi.errno(),
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, uint32_t len)'),
    send: f('long send(int fd, const void *buf, size_t len, int flags)'),
    recv: f('long recv(int fd, void *buf, size_t len, int flags)'),
    close: f('int close(int fd)'),
    open: f('int open(const char *path, int flags)'),
    setns: f('int setns(int fd, int nstype)'),
  };
  return cached;
}

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

export function syscallError(what: string, errno: number, hint = 'networking needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for setns)'): CError {
  const name = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  return new CError(codeFor(errno), `${what}: ${name}`, { hint, details: { errno, errnoName: name } });
}

/** True when koffi and libc load (not on every platform c's unit tests run on). */
export function netlinkAvailable(): boolean {
  try {
    libc();
    return process.platform === 'linux';
  } catch {
    return false;
  }
}

let hostNetnsFd: number | undefined;

/** The daemon's own network namespace, held open so we can always come back to it after a setns. */
function hostNetns(): number {
  if (hostNetnsFd !== undefined) return hostNetnsFd;
  const fd = libc().open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw syscallError('open /proc/thread-self/ns/net', libc().errno());
  hostNetnsFd = fd;
  return fd;
}

/** Open a namespace file (/proc/<pid>/ns/net, /run/netns/<name>) for IFLA_NET_NS_FD or setns. The caller closes it. */
export function openNetns(path: string): number {
  const fd = libc().open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw syscallError(`open network namespace ${path}`, libc().errno(), 'is the container still running?');
  return fd;
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

/**
 * A NETLINK_ROUTE socket. Requests are processed by the kernel inside send(), so replies are queued by the
 * time send returns and are read without blocking.
 */
export class NetlinkSocket {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly buffer = Buffer.alloc(RECV_BUFFER);

  private constructor(private fd: number) {}

  /** A socket in the caller's network namespace (NETLINK_ROUTE unless told otherwise). */
  static open(protocol = NETLINK_ROUTE): NetlinkSocket {
    return new NetlinkSocket(NetlinkSocket.create(protocol));
  }

  /**
   * A socket in another network namespace: setns there, socket(), setns back, all synchronous on this
   * thread (a socket stays bound to the namespace it was created in).
   */
  static openIn(netnsFd: number): NetlinkSocket {
    const c = libc();
    // Open the way back before leaving: opened later, /proc/thread-self would name the container's namespace.
    const home = hostNetns();
    if (c.setns(netnsFd, CLONE_NEWNET) !== 0) throw syscallError('setns into the container network namespace', c.errno());
    let fd: number | undefined;
    let failure: CError | undefined;
    try {
      fd = NetlinkSocket.create();
    } catch (error) {
      failure = error as CError;
    } finally {
      if (c.setns(home, CLONE_NEWNET) !== 0) {
        // The main thread would stay in a container's namespace: nothing after this could be trusted.
        throw new CError('INTERNAL', `cannot return to the daemon network namespace: errno ${c.errno()}`, { hint: 'restart the daemon' });
      }
    }
    if (failure !== undefined || fd === undefined) throw failure ?? new CError('INTERNAL', 'netlink socket not created');
    return new NetlinkSocket(fd);
  }

  private static create(protocol = NETLINK_ROUTE): number {
    const c = libc();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw syscallError(`socket(AF_NETLINK, ${protocol})`, c.errno());
    const address = Buffer.alloc(12);
    address.writeUInt16LE(AF_NETLINK, 0);
    if (c.bind(fd, address, address.length) !== 0) {
      const errno = c.errno();
      c.close(fd);
      throw syscallError('bind netlink socket', errno);
    }
    return fd;
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) & 0x7fffffff;
    return this.seq;
  }

  /**
   * Send requests (built with sequence numbers from nextSeq) and collect one reply per sequence number:
   * a data message for GET requests, an ACK/error otherwise. A negative error becomes a CError naming `what`.
   */
  transact(what: string, requests: readonly Buffer[], framing?: { before: Buffer; after: Buffer }): ParsedMessage[] {
    const c = libc();
    // nf_tables takes requests inside a batch (begin … end); only the requests themselves are acknowledged.
    const packet = Buffer.concat(framing ? [framing.before, ...requests, framing.after] : (requests as Buffer[]));
    const sent = c.send(this.fd, packet, packet.length, 0);
    if (sent < 0) throw syscallError(`netlink send (${what})`, c.errno());
    return this.collect(what, requests);
  }

  /** Like transact, but send() runs on a worker thread: RTM_DELLINK of a veth waits for an RCU grace period (~10-40 ms). */
  transactAsync(what: string, requests: readonly Buffer[]): Promise<ParsedMessage[]> {
    const packet = Buffer.concat(requests as Buffer[]);
    return new Promise((resolve, reject) => {
      libc().send.async(this.fd, packet, packet.length, 0, (error: unknown, sent: number) => {
        if (error) return reject(error);
        // errno of a worker thread is not readable here; the kernel's reply carries the error instead.
        if (sent < 0) return reject(new CError('SYSCALL', `netlink send (${what}) failed`));
        try {
          resolve(this.collect(what, requests));
        } catch (failure) {
          reject(failure);
        }
      });
    });
  }

  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }

  private collect(what: string, requests: readonly Buffer[]): ParsedMessage[] {
    const c = libc();
    const wanted = new Map<number, number>();
    requests.forEach((request, i) => wanted.set(request.readUInt32LE(8), i));
    const replies: (ParsedMessage | undefined)[] = new Array(requests.length).fill(undefined);
    let pending = requests.length;
    while (pending > 0) {
      const received = c.recv(this.fd, this.buffer, this.buffer.length, MSG_DONTWAIT);
      if (received < 0) throw syscallError(`netlink receive (${what}): ${pending} of ${requests.length} replies missing`, c.errno());
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
