import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { CError } from '@c/errors';
import type { PortProtocol } from './ports';

/** Host ports handed to published container ports; an in-process registry plus a bind test against other programs. */
export class HostPortAllocator {
  private readonly taken = new Set<string>();
  readonly dynamicRange: [number, number];

  constructor(dynamicRange?: [number, number]) {
    this.dynamicRange = dynamicRange ?? readLocalPortRange();
  }

  /** Reserve a port: the single port of `range`, or a free one from `range` (default: the dynamic range). */
  async allocate(protocol: PortProtocol, hostIp: string, range?: { start: number; end: number }): Promise<number> {
    if (range !== undefined && range.start === range.end) {
      const bindable = this.isTaken(protocol, hostIp, range.start) ? 'EADDRINUSE' : await tryBind(protocol, hostIp, range.start);
      if (bindable === 'EADDRNOTAVAIL') throw notLocal(hostIp);
      if (bindable !== 'ok') {
        throw new CError('CONFLICT', `Bind for ${hostIp || '0.0.0.0'}:${range.start} failed: port is already allocated`, {
          hint: 'publish on another host port, or stop the container or program that uses it',
          details: { protocol, hostIp, hostPort: range.start },
        });
      }
      this.taken.add(key(protocol, hostIp, range.start));
      return range.start;
    }
    const [start, end] = range === undefined ? this.dynamicRange : [range.start, range.end];
    const span = end - start + 1;
    const offset = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = start + ((offset + i) % span);
      if (this.isTaken(protocol, hostIp, port)) continue;
      this.taken.add(key(protocol, hostIp, port));
      const bindable = await tryBind(protocol, hostIp, port);
      if (bindable === 'ok') return port;
      this.taken.delete(key(protocol, hostIp, port));
      if (bindable === 'EADDRNOTAVAIL') throw notLocal(hostIp);
    }
    throw new CError('LIMIT_EXCEEDED', `no free ${protocol} host port in ${start}-${end} on ${hostIp || '0.0.0.0'}`, {
      hint: 'free some published ports or widen the range',
    });
  }

  /** Mark a port as used without a bind test (re-registering endpoints after a daemon restart). */
  claim(protocol: PortProtocol, hostIp: string, port: number): void {
    this.taken.add(key(protocol, hostIp, port));
  }

  release(protocol: PortProtocol, hostIp: string, port: number): void {
    this.taken.delete(key(protocol, hostIp, port));
  }

  private isTaken(protocol: PortProtocol, hostIp: string, port: number): boolean {
    if (this.taken.has(key(protocol, hostIp, port))) return true;
    // A binding on all addresses conflicts with any specific address, and the other way round.
    if (hostIp !== '') return this.taken.has(key(protocol, '', port));
    for (const entry of this.taken) if (entry.startsWith(`${protocol}:`) && entry.endsWith(`:${port}`)) return true;
    return false;
  }
}

function key(protocol: PortProtocol, hostIp: string, port: number): string {
  return `${protocol}:${hostIp}:${port}`;
}

function readLocalPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux or no procfs: docker's fallback range.
  }
  return [49153, 65535];
}

function notLocal(hostIp: string): CError {
  return new CError('INVALID_ARGUMENT', `cannot publish on ${hostIp}: it is not an address of this host`, {
    hint: 'publish on 0.0.0.0 (all addresses), 127.0.0.1, or one of the addresses `ip addr` shows',
  });
}

/**
 * 'ok' when no other program holds the port (we do not keep the socket: the kernel DNAT rule serves the port),
 * else the bind error code (EADDRINUSE, EADDRNOTAVAIL, …).
 */
function tryBind(protocol: PortProtocol, hostIp: string, port: number): Promise<string> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', (error) => {
        socket.close();
        resolve(codeOf(error));
      });
      socket.bind(port, host, () => socket.close(() => resolve('ok')));
      return;
    }
    const server = createServer();
    server.once('error', (error) => resolve(codeOf(error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('ok')));
  });
}
