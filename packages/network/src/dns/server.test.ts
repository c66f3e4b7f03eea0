import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { isCError } from '@c/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAnswer, buildQuery, decodeMessage, RCODE, RR_TYPE, type DnsMessage } from './message';
import { DnsServer, type DnsServerOptions } from './server';

function udpAsk(port: number, packet: Buffer): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no answer'));
    }, 10_000); // generous: this process (the server) may be starved for a while on a loaded machine
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(decodeMessage(reply));
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

function tcpAsk(port: number, packet: Buffer): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.destroy();
        resolve(decodeMessage(data.subarray(2, 2 + data.readUInt16BE(0))));
      }
    });
    socket.on('error', reject);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(packet.length);
    // Split the frame across writes: the server must reassemble.
    socket.write(Buffer.concat([prefix, packet.subarray(0, 3)]));
    setTimeout(() => socket.write(packet.subarray(3)), 20);
  });
}

async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * A started server on a port free for UDP: retried on UNAVAILABLE, as the same TCP port may be another program's
 * (an ephemeral port of a connection on 127.0.0.1), or the port may be taken between the probe and the bind.
 */
async function startOnFreePort(options: Omit<DnsServerOptions, 'port'>): Promise<{ server: DnsServer; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const server = new DnsServer({ ...options, port });
    try {
      await server.start();
      return { server, port };
    } catch (error) {
      if (attempt >= 5 || !isCError(error, 'UNAVAILABLE')) throw error;
    }
  }
}

describe('DnsServer', () => {
  let upstream: UdpSocket;
  let upstreamPort: number;
  let upstreamQueries: string[];
  let server: DnsServer;
  let port: number;

  beforeEach(async () => {
    upstreamQueries = [];
    upstream = createSocket('udp4');
    upstream.on('message', (packet, remote) => {
      const query = decodeMessage(packet);
      upstreamQueries.push(query.questions[0]?.name ?? '');
      upstream.send(buildAnswer(query, query.questions[0]?.name === 'example.test' ? ['192.0.2.80'] : undefined, 30), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    upstreamPort = upstream.address().port;
    // The upstream is this process: a short timeout would turn any stall of it into SERVFAIL.
    ({ server, port } = await startOnFreePort({ address: '127.0.0.1', upstreams: [{ host: '127.0.0.1', port: upstreamPort }], upstreamTimeoutMs: 5_000 }));
  });

  afterEach(async () => {
    await server.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it('answers A records for registered names and aliases over UDP, case-insensitively, without asking upstream', async () => {
    server.add('ep1', ['web', 'www'], '172.18.0.2');
    const reply = await udpAsk(port, buildQuery(11, 'WEB.'));
    expect(reply).toMatchObject({ id: 11, rcode: RCODE.NOERROR, authoritative: true });
    expect(reply.answers.map((a) => a.data)).toEqual(['172.18.0.2']);
    expect((await udpAsk(port, buildQuery(12, 'www'))).answers[0]?.data).toBe('172.18.0.2');
    expect(upstreamQueries).toEqual([]);
  });

  it('answers reverse (PTR) lookups for container addresses and forwards the rest', async () => {
    server.add('ep1', ['web', 'www'], '172.18.0.2');
    const reply = await udpAsk(port, buildQuery(21, '2.0.18.172.in-addr.arpa', RR_TYPE.PTR));
    expect(reply.rcode).toBe(RCODE.NOERROR);
    expect(reply.answers[0]?.type).toBe(RR_TYPE.PTR);
    expect(Buffer.from(reply.answers[0]?.data as Uint8Array).toString('hex')).toBe('03776562' + '00');
    expect((await udpAsk(port, buildQuery(22, '9.0.18.172.in-addr.arpa', RR_TYPE.PTR))).rcode).toBe(RCODE.NXDOMAIN);
    expect(upstreamQueries).toEqual(['9.0.18.172.in-addr.arpa']);
  });

  it('answers over TCP with the length prefix', async () => {
    server.add('ep1', ['db'], '172.18.0.9');
    const reply = await tcpAsk(port, buildQuery(13, 'db'));
    expect(reply.answers[0]?.data).toBe('172.18.0.9');
  });

  it('gives AAAA for a known name an empty NOERROR, so resolvers do not fall through to upstream', async () => {
    server.add('ep1', ['web'], '172.18.0.2');
    const reply = await udpAsk(port, buildQuery(14, 'web', RR_TYPE.AAAA));
    expect(reply.rcode).toBe(RCODE.NOERROR);
    expect(reply.answers).toEqual([]);
    expect(upstreamQueries).toEqual([]);
  });

  it('forwards unknown names upstream and relays the answer (UDP and TCP)', async () => {
    expect((await udpAsk(port, buildQuery(15, 'example.test'))).answers[0]?.data).toBe('192.0.2.80');
    expect((await tcpAsk(port, buildQuery(16, 'example.test'))).answers[0]?.data).toBe('192.0.2.80');
    expect((await udpAsk(port, buildQuery(17, 'missing.test'))).rcode).toBe(RCODE.NXDOMAIN);
    expect(upstreamQueries).toEqual(['example.test', 'example.test', 'missing.test']);
  });

  it("forwards a container's queries to its own --dns servers, still answering the network's names itself", async () => {
    const own = createSocket('udp4');
    const ownQueries: string[] = [];
    own.on('message', (packet, remote) => {
      const query = decodeMessage(packet);
      ownQueries.push(query.questions[0]?.name ?? '');
      own.send(buildAnswer(query, ['198.51.100.7'], 30), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => own.bind(0, '127.0.0.1', resolve));
    try {
      server.add('peer', ['db'], '172.18.0.9');
      // The test's queries come from 127.0.0.1: that is the container holding --dns here.
      server.add('me', ['me'], '127.0.0.1', [{ host: '127.0.0.1', port: own.address().port }]);
      expect((await udpAsk(port, buildQuery(31, 'example.test'))).answers[0]?.data).toBe('198.51.100.7');
      expect((await tcpAsk(port, buildQuery(32, 'other.test'))).answers[0]?.data).toBe('198.51.100.7');
      expect((await udpAsk(port, buildQuery(33, 'db'))).answers[0]?.data).toBe('172.18.0.9');
      expect(ownQueries).toEqual(['example.test', 'other.test']);
      expect(upstreamQueries).toEqual([]);
      // Once its endpoint goes, the network's upstreams serve that address again.
      server.remove('me');
      expect((await udpAsk(port, buildQuery(34, 'example.test'))).answers[0]?.data).toBe('192.0.2.80');
      expect(upstreamQueries).toEqual(['example.test']);
    } finally {
      await new Promise<void>((resolve) => own.close(() => resolve()));
    }
  });

  it('returns SERVFAIL when no upstream answers', async () => {
    await server.stop();
    const silent = await freePort();
    ({ server, port } = await startOnFreePort({ address: '127.0.0.1', upstreams: [{ host: '127.0.0.1', port: silent }], upstreamTimeoutMs: 200 }));
    expect((await udpAsk(port, buildQuery(18, 'example.test'))).rcode).toBe(RCODE.SERVFAIL);
  });

  it('forgets names when their endpoint goes, keeping names other endpoints still hold', async () => {
    server.add('ep1', ['web', 'shared'], '172.18.0.2');
    server.add('ep2', ['shared'], '172.18.0.3');
    server.remove('ep1');
    expect(server.lookup('web')).toBeUndefined();
    expect(server.lookup('shared')).toEqual(['172.18.0.3']);
    server.remove('ep2');
    expect(server.entries()).toEqual([]);
  });

  it('answers garbage with FORMERR and ignores responses', async () => {
    expect((await udpAsk(port, Buffer.from('abcd0100', 'hex'))).rcode).toBe(RCODE.FORMERR);
    const response = buildAnswer(decodeMessage(buildQuery(19, 'x')), ['1.2.3.4']);
    expect(await server.answer(response)).toBeUndefined();
  });

  it('fails to start with UNAVAILABLE when the port is taken', async () => {
    const other = new DnsServer({ address: '127.0.0.1', port, upstreams: [] });
    await expect(other.start()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
