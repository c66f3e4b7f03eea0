import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { CError } from '@c/errors';
import { buildAnswer, buildError, buildPtrAnswer, decodeMessage, RCODE, RR_TYPE, type DnsMessage } from './message';

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  /** Address to listen on (the network's gateway). */
  address: string;
  port?: number;
  /** Resolvers for names the network does not know, tried in order. */
  upstreams: readonly Upstream[];
  /** Per upstream attempt. */
  upstreamTimeoutMs?: number;
}

/** Largest TCP DNS message we accept (the 2-byte length prefix allows 65535). */
const MAX_TCP_MESSAGE = 65535;
/** Containers share one server per network: bound the TCP connections one of them can hold open. */
const MAX_TCP_CLIENTS = 128;

/**
 * The embedded resolver of one user network: answers A queries for the containers on it (names and aliases,
 * case-insensitive) and forwards everything else to the host's resolvers, or to a container's own `--dns` servers
 * for its queries. UDP and TCP on the gateway address.
 */
export class DnsServer {
  private readonly records = new Map<string, Map<string, string>>();
  /** Containers with their own resolvers (`--dns`): client address → owner and upstreams. */
  private readonly clients = new Map<string, { owner: string; upstreams: readonly Upstream[] }>();
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly tcpClients = new Set<Socket>();
  private readonly port: number;

  constructor(private readonly options: DnsServerOptions) {
    this.port = options.port ?? 53;
  }

  /**
   * Make `names` resolve to `address`; `owner` (endpoint id) is what `remove` takes. With `upstreams` (the
   * container's `--dns` servers), names the network does not know are forwarded there for queries from `address`
   * instead of to the network's upstreams, as docker's embedded DNS does.
   */
  add(owner: string, names: readonly string[], address: string, upstreams?: readonly Upstream[]): void {
    if (upstreams !== undefined && upstreams.length > 0) this.clients.set(address, { owner, upstreams });
    for (const name of names) {
      const key = normalise(name);
      const owners = this.records.get(key) ?? new Map<string, string>();
      owners.set(owner, address);
      this.records.set(key, owners);
    }
  }

  remove(owner: string): void {
    for (const [address, client] of this.clients) if (client.owner === owner) this.clients.delete(address);
    for (const [name, owners] of this.records) {
      owners.delete(owner);
      if (owners.size === 0) this.records.delete(name);
    }
  }

  /** name → addresses; undefined when the network does not know the name. */
  lookup(name: string): string[] | undefined {
    const owners = this.records.get(normalise(name));
    return owners === undefined ? undefined : [...new Set(owners.values())];
  }

  /** The first name registered for `address` (reverse lookups), undefined when none is. */
  reverse(address: string): string | undefined {
    for (const [name, owners] of this.records) for (const value of owners.values()) if (value === address) return name;
    return undefined;
  }

  /** Every record, for inspection and leak checks. */
  entries(): [string, string[]][] {
    return [...this.records.entries()].map(([name, owners]) => [name, [...owners.values()]]);
  }

  async start(): Promise<void> {
    const { address } = this.options;
    const udp = createSocket({ type: 'udp4' });
    udp.on('message', (packet, remote) => {
      void this.answer(packet, remote.address).then((reply) => {
        if (reply) udp.send(reply, remote.port, remote.address);
      });
    });
    const tcp = createServer((socket) => this.serveTcp(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.port, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      udp.close();
      tcp.close();
      throw new CError('UNAVAILABLE', `cannot start the network DNS server on ${address}:${this.port}: ${(cause as Error).message}`, {
        cause,
        hint: 'another program holds port 53 on that address (or on 0.0.0.0); stop it',
      });
    }
    udp.on('error', () => undefined);
    this.udp = udp;
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    for (const client of this.tcpClients) client.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  /**
   * The reply for one query packet from `client` (its address: picks the upstreams); undefined when the packet is
   * not worth answering (a response, garbage without a header).
   */
  async answer(packet: Uint8Array, client?: string): Promise<Buffer | undefined> {
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch {
      if (packet.length < 2) return undefined;
      return buildError(((packet[0] ?? 0) << 8) | (packet[1] ?? 0), RCODE.FORMERR);
    }
    if (query.response) return undefined;
    const question = query.questions[0];
    if (query.opcode !== 0 || question === undefined || query.questions.length !== 1) return buildError(query.id, RCODE.NOTIMP, query);
    if (question.type === RR_TYPE.PTR) {
      const address = reverseAddress(question.name);
      const name = address === undefined ? undefined : this.reverse(address);
      if (name !== undefined) return buildPtrAnswer(query, name);
    }
    const local = this.lookup(question.name);
    if (local !== undefined) {
      // Known container: A gets the addresses; any other type gets an empty NOERROR so resolvers stop asking.
      return buildAnswer(query, question.type === RR_TYPE.A || question.type === RR_TYPE.ANY ? local : [], 600);
    }
    return this.forward(packet, query, (client === undefined ? undefined : this.clients.get(client)?.upstreams) ?? this.options.upstreams);
  }

  private async forward(packet: Uint8Array, query: DnsMessage, upstreams: readonly Upstream[]): Promise<Buffer> {
    for (const upstream of upstreams) {
      const reply = await forwardUdp(packet, upstream, this.options.upstreamTimeoutMs ?? 2000);
      if (reply !== undefined) return reply;
    }
    return buildError(query.id, RCODE.SERVFAIL, query);
  }

  private serveTcp(socket: Socket): void {
    if (this.tcpClients.size >= MAX_TCP_CLIENTS) {
      socket.destroy();
      return;
    }
    this.tcpClients.add(socket);
    socket.on('close', () => this.tcpClients.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length > MAX_TCP_MESSAGE + 2) return socket.destroy();
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        void this.answer(message, clientAddress(socket)).then((reply) => {
          if (!reply || socket.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([prefix, reply]));
        });
      }
    });
  }
}

/** The peer's IPv4 address as a UDP socket reports it (without the ::ffff: prefix of a dual-stack socket). */
function clientAddress(socket: Socket): string | undefined {
  return socket.remoteAddress?.replace(/^::ffff:/, '');
}

/** "2.0.18.172.in-addr.arpa" → "172.18.0.2". */
function reverseAddress(name: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  return match ? [match[4], match[3], match[2], match[1]].join('.') : undefined;
}

function normalise(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/** Send the client's packet as-is to an upstream and return its reply if the id matches, within the timeout. */
function forwardUdp(packet: Uint8Array, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(upstream.host.includes(':') ? 'udp6' : 'udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('message', (reply, remote) => {
      const sameId = reply.length >= 2 && reply[0] === packet[0] && reply[1] === packet[1];
      if (sameId && remote.port === upstream.port) done(reply);
    });
    socket.send(packet, upstream.port, upstream.host);
  });
}
