import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HostPortAllocator } from './host-ports';

// Fixed ports below the kernel's ephemeral range (32768-60999): these are bind-tested, and any connection on this
// machine can be given a port of that range as its local one.
describe('HostPortAllocator', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  async function occupy(): Promise<number> {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  it('reserves a fixed port once; a second claim conflicts until it is released', async () => {
    const ports = new HostPortAllocator([31240, 31250]);
    const free = 31241;
    expect(await ports.allocate('tcp', '', { start: free, end: free })).toBe(free);
    await expect(ports.allocate('tcp', '127.0.0.1', { start: free, end: free })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await ports.allocate('udp', '', { start: free, end: free })).toBe(free);
    ports.release('tcp', '', free);
    expect(await ports.allocate('tcp', '127.0.0.1', { start: free, end: free })).toBe(free);
  });

  it('refuses a port another program listens on', async () => {
    const busy = await occupy();
    const ports = new HostPortAllocator();
    await expect(ports.allocate('tcp', '127.0.0.1', { start: busy, end: busy })).rejects.toThrow(`127.0.0.1:${busy} failed: port is already allocated`);
  });

  it('refuses a host address that is not local with its own error', async () => {
    const ports = new HostPortAllocator([31220, 31230]);
    await expect(ports.allocate('tcp', '192.0.2.254', { start: 31221, end: 31221 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'cannot publish on 192.0.2.254: it is not an address of this host',
    });
    await expect(ports.allocate('udp', '192.0.2.254')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('picks distinct random ports inside the range and reports exhaustion', async () => {
    const ports = new HostPortAllocator([31200, 31204]);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await ports.allocate('tcp', '127.0.0.1'));
    expect(new Set(got).size).toBe(5);
    expect(got.every((p) => p >= 31200 && p <= 31204)).toBe(true);
    await expect(ports.allocate('tcp', '127.0.0.1')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('chooses inside a host range given with -p 8000-8010:80', async () => {
    const ports = new HostPortAllocator();
    const port = await ports.allocate('tcp', '127.0.0.1', { start: 31210, end: 31212 });
    expect(port).toBeGreaterThanOrEqual(31210);
    expect(port).toBeLessThanOrEqual(31212);
  });
});
