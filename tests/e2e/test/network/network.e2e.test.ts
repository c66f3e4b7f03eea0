import { createSocket, type Socket } from 'node:dgram';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NetworkManager, buildAnswer, decodeMessage, parsePublishSpec, type NetworkManagerOptions } from '@c/network';
import { Cleanup, addNetns, hostGet, hostServer, httpRoot, links, must, run, sh, startHttpd, wgetIn } from './support';

const isRoot = process.getuid?.() === 0;
const haveTools = ['ip', 'nft', 'nsenter', 'busybox'].every((tool) => sh(['sh', '-c', `command -v ${tool}`]).status === 0);

/** Names unique to this suite so a real c daemon (table `c`, bridge `c0`) is never touched. */
const TABLE = 'c_e2e';
const BRIDGE = 'ce2e0';
const POOLS = [{ base: '10.231.0.0/16', size: 24 }];
const INTERNET_NS = 'ce2e-inet';

/** The links enslaved to `bridge` (its containers' host-side veths). */
function portsOf(bridge: string): string[] {
  return sh(['ip', '-o', 'link', 'show', 'master', bridge])
    .stdout.split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((name) => name !== '');
}

describe.skipIf(!isRoot || !haveTools)('network (privileged, netns stand-ins for containers)', () => {
  let cleanup: Cleanup;
  let stateDir: string;
  let upstream: Socket;
  let upstreamPort: number;
  let manager: NetworkManager | undefined;

  const open = async (extra: Partial<NetworkManagerOptions> = {}): Promise<NetworkManager> => {
    manager = await NetworkManager.open({
      stateDir,
      defaultBridge: BRIDGE,
      subnetPools: POOLS,
      bridgePrefix: 'ce2eb-',
      nftTable: TABLE,
      dnsUpstreams: [{ host: '127.0.0.1', port: upstreamPort }],
      ...extra,
    });
    return manager;
  };

  // The manager turns on IPv4 forwarding (host-wide, as docker does); give the host back the value it had.
  const FORWARDING = '/proc/sys/net/ipv4/ip_forward';
  let forwardingBefore: string | undefined;
  beforeAll(() => {
    forwardingBefore = readFileSync(FORWARDING, 'utf8');
  });
  afterAll(() => {
    if (forwardingBefore !== undefined) writeFileSync(FORWARDING, forwardingBefore);
  });

  beforeEach(async () => {
    cleanup = new Cleanup();
    stateDir = mkdtempSync(join(tmpdir(), 'c-net-state-'));
    cleanup.add(() => rmSync(stateDir, { recursive: true, force: true }));
    // A fake upstream resolver on loopback: knows outside.test, NXDOMAIN for everything else. No query leaves the host.
    upstream = createSocket('udp4');
    upstream.on('message', (packet, remote) => {
      const query = decodeMessage(packet);
      const known = query.questions[0]?.name === 'outside.test' ? ['198.18.0.2'] : undefined;
      upstream.send(buildAnswer(query, known, 30), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    upstreamPort = upstream.address().port;
    cleanup.add(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
    cleanup.add(async () => {
      await manager?.destroy();
      manager = undefined;
      // Belt and braces: whatever destroy missed after a failure.
      sh(['nft', 'delete', 'table', 'ip', TABLE]);
      // Only this suite's bridges and the veths on them: every `vc…` link would include other tests' containers.
      for (const bridge of links().filter((name) => name === BRIDGE || name.startsWith('ce2eb-'))) {
        for (const port of portsOf(bridge)) sh(['ip', 'link', 'del', port]);
        sh(['ip', 'link', 'del', bridge]);
      }
    });
  });

  afterEach(async () => {
    await cleanup.run();
  });

  /** An "internet" namespace behind a veth from the host: 198.18.0.1 (host) ↔ 198.18.0.2 (server), no route back to containers. */
  async function internet(): Promise<void> {
    addNetns(cleanup, INTERNET_NS);
    sh(['ip', 'link', 'del', 'ce2e-inet0']);
    must(['ip', 'link', 'add', 'ce2e-inet0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', INTERNET_NS]);
    cleanup.add(() => void sh(['ip', 'link', 'del', 'ce2e-inet0']));
    must(['ip', 'addr', 'add', '198.18.0.1/30', 'dev', 'ce2e-inet0']);
    must(['ip', 'link', 'set', 'ce2e-inet0', 'up']);
    must(['ip', '-n', INTERNET_NS, 'addr', 'add', '198.18.0.2/30', 'dev', 'eth0']);
    must(['ip', '-n', INTERNET_NS, 'link', 'set', 'eth0', 'up']);
    must(['ip', '-n', INTERNET_NS, 'link', 'set', 'lo', 'up']);
    await startHttpd(cleanup, INTERNET_NS, httpRoot(cleanup, 'internet'), 80);
  }

  /** Write the container's resolv.conf/hosts and let `ip netns exec` bind-mount them (it does so from /etc/netns/<name>). */
  async function installFiles(m: NetworkManager, ns: string, containerId: string, name: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'c-net-ctr-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const mounts = await m.writeContainerFiles({ containerId, containerDir: dir, hostname: containerId.slice(0, 12), containerName: name });
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    for (const mount of mounts) if (mount.destination !== '/etc/hostname') copyFileSync(mount.source, `/etc/netns/${ns}/${mount.destination.slice(5)}`);
    return readFileSync(join(dir, 'resolv.conf'), 'utf8');
  }

  it('a container on the default bridge reaches the host and, through masquerade, a server behind the host', async () => {
    const m = await open();
    await internet();
    const bridge = m.inspectNetwork('bridge');
    const gateway = bridge.IPAM.Config[0]?.Gateway as string;
    expect(bridge.IPAM.Config[0]?.Subnet).toMatch(/^10\.231\.\d+\.0\/24$/);
    const port = await hostServer(cleanup, gateway, 'host');

    const path = addNetns(cleanup, 'ce2e-a');
    const result = await m.connect({ containerId: 'a'.repeat(64), containerName: 'alpha', netnsPath: path });
    expect(result.endpoint.Gateway).toBe(gateway);
    expect(result.ifname).toBe('eth0');

    expect(await wgetIn('ce2e-a', `http://${gateway}:${port}/`)).toBe(`host ${result.endpoint.IPAddress}`);
    // The internet namespace has no route to the container subnet: only the masquerade makes the reply come back.
    // busybox httpd listens on IPv6 and shows v4 peers as [::ffff:a.b.c.d].
    expect((await wgetIn('ce2e-a', 'http://198.18.0.2/cgi-bin/peer'))?.trim().replace(/^\[::ffff:|\]$/g, '')).toBe('198.18.0.1');

    const defaultDev = JSON.parse(must(['ip', '-j', '-4', 'route', 'show', 'default']))[0]?.dev as string | undefined;
    const hostMtu = defaultDev ? readFileSync(`/sys/class/net/${defaultDev}/mtu`, 'utf8').trim() : '1500';
    expect(readFileSync(`/sys/class/net/${result.hostVeth}/mtu`, 'utf8').trim()).toBe(hostMtu);
    expect(must(['ip', '-n', 'ce2e-a', 'route', 'show', 'default'])).toContain(`via ${gateway} dev eth0`);

    // The default bridge has no embedded DNS: resolv.conf names no gateway and no loopback resolver.
    const resolv = await installFiles(m, 'ce2e-a', 'a'.repeat(64), 'alpha');
    expect(resolv).not.toContain(gateway);
    expect(resolv).not.toMatch(/nameserver 127\./);
  });

  it('published ports answer on 127.0.0.1, on the bridge address, on a random port, and from another container (hairpin)', async () => {
    const m = await open();
    const gateway = m.inspectNetwork('bridge').IPAM.Config[0]?.Gateway as string;
    const pathA = addNetns(cleanup, 'ce2e-a');
    const pathB = addNetns(cleanup, 'ce2e-b');
    const fixed = 20000 + Math.floor(Math.random() * 10000);
    const ports = [...parsePublishSpec(`${fixed}:80`), ...parsePublishSpec('80'), ...parsePublishSpec('127.0.0.1::80/tcp')];
    const a = await m.connect({ containerId: 'a'.repeat(64), containerName: 'alpha', netnsPath: pathA, ports });
    await m.connect({ containerId: 'b'.repeat(64), containerName: 'beta', netnsPath: pathB });
    await startHttpd(cleanup, 'ce2e-a', httpRoot(cleanup, 'from-a'), 80);

    const bindings = a.ports['80/tcp'] ?? [];
    expect(bindings).toHaveLength(3);
    expect(bindings[0]).toEqual({ HostIp: '0.0.0.0', HostPort: String(fixed) });
    const random = Number(bindings[1]?.HostPort);
    const loopbackOnly = Number(bindings[2]?.HostPort);
    expect(bindings[2]?.HostIp).toBe('127.0.0.1');
    expect(random).toBeGreaterThan(1023);
    expect(random).not.toBe(fixed);

    expect(await hostGet(`http://127.0.0.1:${fixed}/`)).toBe('from-a');
    expect(await hostGet(`http://${gateway}:${fixed}/`)).toBe('from-a');
    expect(await hostGet(`http://127.0.0.1:${random}/`)).toBe('from-a');
    expect(await hostGet(`http://127.0.0.1:${loopbackOnly}/`)).toBe('from-a');
    await expect(hostGet(`http://${gateway}:${loopbackOnly}/`)).rejects.toThrow();
    // Hairpin: B reaches A through the host's published port.
    expect(await wgetIn('ce2e-b', `http://${gateway}:${fixed}/`)).toBe('from-a');
    // A reaches its own published port too.
    expect(await wgetIn('ce2e-a', `http://${gateway}:${fixed}/`)).toBe('from-a');

    const settings = m.containerSettings('a'.repeat(64));
    expect(settings.ports['80/tcp']).toEqual(bindings);
    expect(settings.networks.bridge?.IPAddress).toBe(a.endpoint.IPAddress);

    await m.disconnect('a'.repeat(64), 'bridge');
    await expect(hostGet(`http://127.0.0.1:${fixed}/`)).rejects.toThrow();
    expect(must(['nft', 'list', 'map', 'ip', TABLE, 'pub_tcp'])).not.toContain(String(fixed));
  });

  it('containers on a user network resolve each other by name and alias; another network cannot', async () => {
    const m = await open();
    await internet();
    const net1 = await m.createNetwork({ name: 'e2e-one' });
    const net2 = await m.createNetwork({ name: 'e2e-two' });
    const gw1 = net1.IPAM.Config[0]?.Gateway as string;
    const gw2 = net2.IPAM.Config[0]?.Gateway as string;
    expect(net1.IPAM.Config[0]?.Subnet).not.toBe(net2.IPAM.Config[0]?.Subnet);

    const ids = { a: 'a'.repeat(64), b: 'b'.repeat(64), c: 'c'.repeat(64) };
    const a = await m.connect({ containerId: ids.a, containerName: 'alpha', netnsPath: addNetns(cleanup, 'ce2e-a'), network: 'e2e-one' });
    const b = await m.connect({ containerId: ids.b, containerName: 'beta', netnsPath: addNetns(cleanup, 'ce2e-b'), network: 'e2e-one', aliases: ['web'] });
    await m.connect({ containerId: ids.c, containerName: 'gamma', netnsPath: addNetns(cleanup, 'ce2e-c'), network: 'e2e-two' });
    const resolvA = await installFiles(m, 'ce2e-a', ids.a, 'alpha');
    await installFiles(m, 'ce2e-c', ids.c, 'gamma');
    expect(resolvA).toContain(`nameserver ${gw1}`);
    await startHttpd(cleanup, 'ce2e-b', httpRoot(cleanup, 'from-beta'), 80);

    // UDP lookups through the gateway's DNS, by name, alias and short id; TCP through nc with a length-prefixed query.
    const lookup = (ns: string, name: string, server: string) => run(['ip', 'netns', 'exec', ns, 'busybox', 'nslookup', name, server], 10_000);
    expect((await lookup('ce2e-a', 'beta', gw1)).stdout).toContain(b.endpoint.IPAddress);
    expect((await lookup('ce2e-a', 'WEB', gw1)).stdout).toContain(b.endpoint.IPAddress);
    expect((await lookup('ce2e-a', ids.b.slice(0, 12), gw1)).stdout).toContain(b.endpoint.IPAddress);
    // Names resolve through the generated resolv.conf (libc resolver in busybox wget).
    expect(await wgetIn('ce2e-a', 'http://beta/')).toBe('from-beta');
    // Reverse lookups name the container.
    expect((await lookup('ce2e-a', b.endpoint.IPAddress, gw1)).stdout).toMatch(/name = beta/);
    // Unknown names are forwarded upstream.
    expect((await lookup('ce2e-a', 'outside.test', gw1)).stdout).toContain('198.18.0.2');

    // Network two knows neither the name nor can it reach the address.
    const fromC = await lookup('ce2e-c', 'alpha', gw2);
    expect(fromC.stdout + fromC.stderr).not.toContain(a.endpoint.IPAddress);
    expect(await wgetIn('ce2e-c', 'http://beta/', 2)).toBeUndefined();
    expect(await wgetIn('ce2e-c', `http://${b.endpoint.IPAddress}/`, 2)).toBeUndefined();

    expect(m.inspectNetwork('e2e-one').Containers[ids.b]?.IPv4Address).toBe(`${b.endpoint.IPAddress}/24`);
    await expect(m.removeNetwork('e2e-one')).rejects.toMatchObject({ code: 'CONFLICT' });
    await m.disconnectAll(ids.b);
    expect((await lookup('ce2e-a', 'beta', gw1)).stdout).not.toContain(b.endpoint.IPAddress);
    await m.disconnectAll(ids.a);
    await m.disconnectAll(ids.c);
    expect((await m.pruneNetworks()).sort()).toEqual(['e2e-one', 'e2e-two']);
    expect(links().filter((l) => l.startsWith('ce2eb-'))).toEqual([]);
  });

  it('an internal network reaches its own members but nothing behind the host', async () => {
    const m = await open();
    await internet();
    await m.createNetwork({ name: 'e2e-internal', internal: true });
    // Give "the internet" a route back to the container pool, so only the drop rule (not a missing masquerade) stops it.
    must(['ip', '-n', INTERNET_NS, 'route', 'add', '10.231.0.0/16', 'via', '198.18.0.1']);
    const a = await m.connect({ containerId: 'a'.repeat(64), containerName: 'alpha', netnsPath: addNetns(cleanup, 'ce2e-a'), network: 'e2e-internal' });
    await m.connect({ containerId: 'b'.repeat(64), containerName: 'beta', netnsPath: addNetns(cleanup, 'ce2e-b'), network: 'e2e-internal' });
    await startHttpd(cleanup, 'ce2e-a', httpRoot(cleanup, 'inside'), 80);
    expect(await wgetIn('ce2e-b', `http://${a.endpoint.IPAddress}/`)).toBe('inside');
    expect(await wgetIn('ce2e-b', 'http://198.18.0.2/', 2)).toBeUndefined();
    // The same request from the default bridge goes out: the drop is the network's, not the route's.
    await m.connect({ containerId: 'c'.repeat(64), containerName: 'gamma', netnsPath: addNetns(cleanup, 'ce2e-c') });
    expect(await wgetIn('ce2e-c', 'http://198.18.0.2/')).toBe('internet');
  });

  it('a daemon restart keeps leases, published ports and DNS names, and drops endpoints whose container died', async () => {
    let m = await open();
    const net = await m.createNetwork({ name: 'e2e-restart' });
    const gw = net.IPAM.Config[0]?.Gateway as string;
    const a = await m.connect({
      containerId: 'a'.repeat(64),
      containerName: 'alpha',
      netnsPath: addNetns(cleanup, 'ce2e-a'),
      network: 'e2e-restart',
      ports: parsePublishSpec('80'),
    });
    const dying = await m.connect({ containerId: 'd'.repeat(64), containerName: 'delta', netnsPath: addNetns(cleanup, 'ce2e-d'), network: 'e2e-restart' });
    await startHttpd(cleanup, 'ce2e-a', httpRoot(cleanup, 'still-here'), 80);
    const hostPort = a.ports['80/tcp']?.[0]?.HostPort as string;
    await m.close();

    sh(['ip', 'netns', 'del', 'ce2e-d']); // the container exits while the daemon is down
    m = await open();
    expect(m.leases('e2e-restart')).toEqual([[a.endpoint.IPAddress, a.endpoint.EndpointID]]);
    expect(await hostGet(`http://127.0.0.1:${hostPort}/`)).toBe('still-here');
    const found = (await run(['ip', 'netns', 'exec', 'ce2e-a', 'busybox', 'nslookup', 'alpha', gw], 10_000)).stdout;
    expect(found).toContain(a.endpoint.IPAddress);
    expect(m.dnsRecords('e2e-restart').map(([name]) => name)).not.toContain('delta');
    expect(existsSync(`/sys/class/net/${dying.hostVeth}`)).toBe(false);
  });

  it.each([
    ['netlink', 100],
    ['iproute2', 30],
  ] as const)('%s: %i attach/detach cycles with published ports leave no veth, rule, lease or DNS record behind', async (backend, cycles) => {
    const m = await open({ linkBackend: backend });
    await m.createNetwork({ name: 'e2e-cycle' });
    const path = addNetns(cleanup, 'ce2e-a');
    const ownNetns = readlinkSync('/proc/thread-self/ns/net');
    // Only what this suite could create: other engineers' containers and bridges come and go on a shared host.
    const ours = () =>
      links()
        .filter((name) => name === BRIDGE || name.startsWith('ce2eb-'))
        .flatMap((bridge) => [bridge, ...portsOf(bridge)])
        .sort();
    const linksBefore = ours();
    const rulesBefore = must(['nft', 'list', 'table', 'ip', TABLE]);
    const started = performance.now();
    for (let i = 0; i < cycles; i++) {
      const network = i % 2 === 0 ? 'bridge' : 'e2e-cycle';
      await m.connect({ containerId: 'e'.repeat(64), containerName: 'cycler', netnsPath: path, network, ports: [...parsePublishSpec('80'), ...parsePublishSpec('53/udp')] });
      await m.disconnectAll('e'.repeat(64));
    }
    await m.settle();
    const perCycle = (performance.now() - started) / cycles;
    console.log(`${backend}: attach+detach with 2 published ports: ${perCycle.toFixed(1)} ms per cycle`);
    // The netlink path setns()es the main thread into each container and back: it must always come back.
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(ownNetns);
    expect(ours()).toEqual(linksBefore);
    expect(must(['nft', 'list', 'table', 'ip', TABLE])).toBe(rulesBefore);
    expect(m.leases('bridge')).toEqual([]);
    expect(m.leases('e2e-cycle')).toEqual([]);
    expect(m.dnsRecords('e2e-cycle')).toEqual([]);
    expect(must(['ip', '-n', 'ce2e-a', '-o', 'link']).trim().split('\n')).toHaveLength(1); // only lo
  });
});
