import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandRunner } from './exec';
import { NetworkManager, type NetworkManagerOptions } from './manager';
import { parsePublishSpec } from './ports';
import { FakeKernel } from './test-support/fake-kernel';

/**
 * The embedded DNS server's port (UDP and TCP on the network's gateway): fixed, below the kernel's ephemeral range
 * (32768-60999) and apart from the ports the other tests of this package bind, so no connection or other test takes it
 * between a probe and the bind.
 */
const DNS_PORT = 31260;

describe('NetworkManager (fake kernel)', () => {
  let kernel: FakeKernel;
  let dir: string;
  let netns: string;
  let options: NetworkManagerOptions;

  beforeEach(() => {
    kernel = new FakeKernel();
    kernel.routes = [{ dst: '192.0.2.0/24' }, { dst: '172.17.0.0/16' }];
    dir = mkdtempSync(join(tmpdir(), 'c-netmgr-'));
    netns = join(dir, 'netns-a');
    writeFileSync(netns, '');
    const resolv = join(dir, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 127.0.0.53\nsearch corp.example\n');
    options = {
      stateDir: join(dir, 'state'),
      runner: kernel.runner,
      sysfs: kernel.sysfs,
      procSys: kernel.procSys,
      embeddedDns: false,
      // Host ports below the kernel's ephemeral range (32768-60999): a published port is bind-tested, and any
      // connection on this machine may have been given the same port as its local one.
      hostPortRange: [31000, 31099],
      resolvConfPaths: { host: resolv, systemd: join(dir, 'no-such-file') },
    };
  });
  afterEach(() => {
    kernel.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets up the default bridge on a subnet no host route uses, and lists docker-shaped networks', async () => {
    const manager = await NetworkManager.open(options);
    const names = manager.listNetworks().map((n) => [n.Name, n.Driver]);
    expect(names.sort()).toEqual([
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ]);
    const bridge = manager.inspectNetwork('bridge');
    expect(bridge.IPAM.Config).toEqual([{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]);
    expect(bridge.Options['com.docker.network.bridge.name']).toBe('c0');
    const commands = kernel.commands();
    expect(commands[0]).toBe('ip -j -4 route show default');
    expect(commands).toContain('ip -batch - | link add name c0 mtu 1450 type bridge | addr add 172.18.0.1/16 dev c0 | link set c0 up');
    expect(commands).toContain('nft -f - | add element ip c bridges { "c0" } | add element ip c same_bridge { "c0" . "c0" } | add element ip c subnets { 172.18.0.0/16 }');
  });

  it('connects a container: veth, address, default route, published ports; disconnect undoes all of it', async () => {
    const manager = await NetworkManager.open(options);
    kernel.clear();
    const result = await manager.connect({ containerId: 'a'.repeat(64), containerName: '/web', netnsPath: netns, ports: parsePublishSpec('31050:80') });
    expect(result.endpoint).toMatchObject({ IPAddress: '172.18.0.2', IPPrefixLen: 16, Gateway: '172.18.0.1', MacAddress: '02:42:ac:12:00:02', Aliases: null });
    expect(result.ports).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '31050' }] });
    const commands = kernel.commands();
    expect(commands).toContainEqual(expect.stringContaining(`type veth peer name eth0 mtu 1450 address 02:42:ac:12:00:02 netns ${netns}`));
    expect(commands).toContainEqual(expect.stringContaining('route replace default via 172.18.0.1 dev eth0'));
    expect(commands).toContain('nft -f - | add element ip c pub_tcp { 31050 : 172.18.0.2 . 80 }');
    expect(manager.leases('bridge')).toEqual([['172.18.0.2', result.endpoint.EndpointID]]);
    expect(manager.inspectNetwork('bridge').Containers['a'.repeat(64)]).toMatchObject({ Name: 'web', IPv4Address: '172.18.0.2/16' });
    await expect(manager.connect({ containerId: 'a'.repeat(64), containerName: 'web', netnsPath: netns })).rejects.toMatchObject({ code: 'CONFLICT' });

    kernel.clear();
    await manager.disconnect('a'.repeat(64), 'bridge');
    expect(kernel.commands().sort()).toEqual([`ip link del ${result.hostVeth}`, 'nft -f - | delete element ip c pub_tcp { 31050 }']);
    expect(manager.leases('bridge')).toEqual([]);
    expect(readdirSync(join(options.stateDir, 'endpoints'))).toEqual([]);
    await expect(manager.disconnect('a'.repeat(64), 'bridge')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('gives a second network eth1 without a default route, and refuses a taken host port', async () => {
    const manager = await NetworkManager.open(options);
    const net = await manager.createNetwork({ name: 'backend', subnet: '10.5.0.0/24', labels: { team: 'x' } });
    expect(net).toMatchObject({ Name: 'backend', Driver: 'bridge', Labels: { team: 'x' }, IPAM: { Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.1' }] } });
    await manager.connect({ containerId: 'a'.repeat(64), containerName: 'web', netnsPath: netns, ports: parsePublishSpec('31060:80') });
    kernel.clear();
    const second = await manager.connect({ containerId: 'a'.repeat(64), containerName: 'web', netnsPath: netns, network: 'backend', aliases: ['api'] });
    expect(second.ifname).toBe('eth1');
    expect(second.endpoint.Aliases).toEqual(['api']);
    expect(second.endpoint.DNSNames).toEqual(['web', 'api', 'aaaaaaaaaaaa']);
    expect(kernel.commands().join('\n')).not.toContain('route replace default');
    const settings = manager.containerSettings('a'.repeat(64));
    expect(Object.keys(settings.networks).sort()).toEqual(['backend', 'bridge']);

    const other = join(dir, 'netns-b');
    writeFileSync(other, '');
    await expect(manager.connect({ containerId: 'b'.repeat(64), containerName: 'b', netnsPath: other, ports: parsePublishSpec('31060:80') })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'Bind for 0.0.0.0:31060 failed: port is already allocated',
    });
    // The failed connect left nothing behind: no lease, no endpoint file.
    expect(manager.leases('bridge')).toHaveLength(1);
    expect(readdirSync(join(options.stateDir, 'endpoints'))).toHaveLength(2);
  });

  it('validates network names, overlaps, removal and prune like docker', async () => {
    const manager = await NetworkManager.open(options);
    await expect(manager.createNetwork({ name: 'bad name' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(manager.createNetwork({ name: 'bridge' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await manager.createNetwork({ name: 'one', subnet: '10.6.0.0/16' });
    await expect(manager.createNetwork({ name: 'one' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(manager.createNetwork({ name: 'two', subnet: '10.6.4.0/24' })).rejects.toThrow(/overlaps network one/);
    const auto = await manager.createNetwork({ name: 'auto' });
    expect(auto.IPAM.Config[0]?.Subnet).toBe('172.19.0.0/16');
    await expect(manager.removeNetwork('bridge')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(manager.removeNetwork('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await manager.connect({ containerId: 'a'.repeat(64), containerName: 'web', netnsPath: netns, network: 'one' });
    await expect(manager.removeNetwork('one')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await manager.pruneNetworks()).toEqual(['auto']);
    await manager.disconnectAll('a'.repeat(64));
    await manager.removeNetwork(manager.inspectNetwork('one').Id.slice(0, 8));
    expect(manager.listNetworks().map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
  });

  it('a network whose DNS server cannot start leaves no bridge, nft element or state behind', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
    try {
      const manager = await NetworkManager.open({ ...options, embeddedDns: true, dnsPort: blocker.address().port });
      kernel.clear();
      // Gateway 127.0.0.1 on a loopback subnet: the DNS server tries the port the blocker holds.
      await expect(manager.createNetwork({ name: 'dns-fails', subnet: '127.0.0.0/24', gateway: '127.0.0.1' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(manager.listNetworks().map((n) => n.Name)).not.toContain('dns-fails');
      const commands = kernel.commands();
      const bridge = /link add name (cbr-\w+)/.exec(commands.join('\n'))?.[1] ?? 'none';
      expect(commands).toContain(`ip link del ${bridge}`);
      expect(commands.some((c) => c.startsWith('nft -f - | delete element ip c bridges'))).toBe(true);
      expect(readdirSync(join(options.stateDir, 'networks')).length).toBe(3);
      expect(readdirSync(join(options.stateDir, 'ipam')).length).toBe(1);
    } finally {
      blocker.close();
    }
  });

  it('plans namespaces per --network value and rejects unknown networks', async () => {
    const manager = await NetworkManager.open(options);
    const lookup = () => ({ id: 'c'.repeat(64), path: '/proc/9/ns/net' });
    expect(manager.plan('host', lookup)).toEqual({ kind: 'host' });
    expect(manager.plan(undefined, lookup)).toEqual({ kind: 'new', connect: true });
    expect(manager.plan('container:c', lookup)).toEqual({ kind: 'join', path: '/proc/9/ns/net', containerId: 'c'.repeat(64) });
    expect(() => manager.plan('missing', lookup)).toThrow(/network missing not found/);
  });

  it('after a restart, re-publishes ports of live endpoints and releases those whose veth vanished', async () => {
    const first = await NetworkManager.open(options);
    const live = await first.connect({ containerId: 'a'.repeat(64), containerName: 'live', netnsPath: netns, ports: parsePublishSpec('31070:80') });
    const dead = await first.connect({ containerId: 'b'.repeat(64), containerName: 'dead', netnsPath: netns, ports: parsePublishSpec('31071:80') });
    await first.close();
    rmSync(join(kernel.sysfs, dead.hostVeth), { recursive: true });
    kernel.clear();

    const second = await NetworkManager.open(options);
    expect(second.leases('bridge')).toEqual([[live.endpoint.IPAddress, live.endpoint.EndpointID]]);
    const commands = kernel.commands();
    expect(commands).toContain('nft -f - | add element ip c pub_tcp { 31070 : 172.18.0.2 . 80 }');
    expect(commands.join('\n')).not.toContain('add element ip c pub_tcp { 31071');
    expect(second.inspectNetwork('bridge').Id).toBe(first.inspectNetwork('bridge').Id);
    // The restored port is still reserved, the released one is free again.
    const other = join(dir, 'netns-c');
    writeFileSync(other, '');
    await expect(second.connect({ containerId: 'c'.repeat(64), containerName: 'c', netnsPath: other, ports: parsePublishSpec('31070:80') })).rejects.toMatchObject({ code: 'CONFLICT' });
    await second.connect({ containerId: 'c'.repeat(64), containerName: 'c', netnsPath: other, ports: parsePublishSpec('31071:80') });
  });

  it('disconnectAll returns before the veth is gone; its address stays leased until then, settle() waits', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const runner: CommandRunner = {
      run: async (argv, input) => {
        if (argv.join(' ').startsWith('ip link del vc')) await gate;
        return kernel.runner.run(argv, input);
      },
    };
    const manager = await NetworkManager.open({ ...options, runner });
    const first = await manager.connect({ containerId: 'a'.repeat(64), containerName: 'a', netnsPath: netns, ports: parsePublishSpec('31080:80') });
    kernel.clear();
    await manager.disconnectAll('a'.repeat(64));
    // Ports, endpoint state and the container's view are gone at once.
    expect(kernel.commands()).toContain('nft -f - | delete element ip c pub_tcp { 31080 }');
    expect(manager.containerSettings('a'.repeat(64)).networks).toEqual({});
    expect(readdirSync(join(options.stateDir, 'endpoints'))).toEqual([]);
    expect(existsSync(join(kernel.sysfs, first.hostVeth))).toBe(true);
    expect(manager.leases('bridge')).toEqual([['172.18.0.2', `releasing:${first.endpoint.EndpointID}`]]);
    // A container started meanwhile never shares the dying veth's address (and MAC).
    const other = join(dir, 'netns-b');
    writeFileSync(other, '');
    const second = await manager.connect({ containerId: 'b'.repeat(64), containerName: 'b', netnsPath: other });
    expect(second.endpoint.IPAddress).toBe('172.18.0.3');
    openGate();
    await manager.settle();
    expect(existsSync(join(kernel.sysfs, first.hostVeth))).toBe(false);
    expect(manager.leases('bridge')).toEqual([['172.18.0.3', second.endpoint.EndpointID]]);
  });

  it('after an exit the kernel deletes the veth with the namespace; only one that outlives it is deleted by c', async () => {
    const manager = await NetworkManager.open(options);
    const other = join(dir, 'netns-b');
    writeFileSync(other, '');
    const exited = await manager.connect({ containerId: 'a'.repeat(64), containerName: 'a', netnsPath: netns });
    const joined = await manager.connect({ containerId: 'b'.repeat(64), containerName: 'b', netnsPath: other });
    // Both processes are gone (their /proc/<pid>/ns/net with them).
    rmSync(netns);
    rmSync(other);
    kernel.clear();
    await manager.disconnectAll('a'.repeat(64));
    await manager.disconnectAll('b'.repeat(64));
    // The first namespace's teardown takes its veth; the second lives on (another container joined it).
    rmSync(join(kernel.sysfs, exited.hostVeth), { recursive: true });
    await manager.settle();
    expect(kernel.commands()).toEqual([`ip link del ${joined.hostVeth}`]);
    expect(manager.leases('bridge')).toEqual([]);
  });

  it('after a host crash: torn endpoint files are dropped, lease files are reconciled with the live endpoints', async () => {
    const first = await NetworkManager.open(options);
    const live = await first.connect({ containerId: 'a'.repeat(64), containerName: 'live', netnsPath: netns });
    const bridgeId = first.inspectNetwork('bridge').Id;
    await first.close();
    const endpoints = join(options.stateDir, 'endpoints');
    const leaseFile = join(options.stateDir, 'ipam', `${bridgeId}.json`);
    // Unsynced writes cut short: an empty endpoint file, a lease whose endpoint never got written, a live one missing.
    writeFileSync(join(endpoints, `${'f'.repeat(64)}.json`), '');
    const file = JSON.parse(readFileSync(leaseFile, 'utf8')) as { leases: Record<string, string> };
    file.leases = { '172.18.0.9': 'e'.repeat(64) };
    writeFileSync(leaseFile, JSON.stringify(file));
    const second = await NetworkManager.open(options);
    expect(second.leases('bridge')).toEqual([['172.18.0.2', live.endpoint.EndpointID]]);
    expect(readdirSync(endpoints)).toEqual([`${live.endpoint.EndpointID}.json`]);
    await second.close();
    // An empty lease file (the whole write lost) reads as no leases, then gets the live ones back.
    writeFileSync(leaseFile, '');
    const third = await NetworkManager.open(options);
    expect(third.leases('bridge')).toEqual([['172.18.0.2', live.endpoint.EndpointID]]);
    expect(JSON.parse(readFileSync(leaseFile, 'utf8'))).toMatchObject({ leases: { '172.18.0.2': live.endpoint.EndpointID } });
  });

  it('a container on a user network gets its DNS in resolv.conf from create on, also with --dns; connect rewrites only hosts', async () => {
    const manager = await NetworkManager.open({ ...options, embeddedDns: true, dnsPort: DNS_PORT });
    try {
      // A loopback subnet: its gateway is bindable here, so the network's DNS server really starts.
      await manager.createNetwork({ name: 'app', subnet: '127.0.77.0/24', gateway: '127.0.77.1' });
      const containerDir = join(dir, 'ctr');
      const files = { containerId: 'a'.repeat(64), containerDir, hostname: 'box', containerName: '/web', networkMode: 'app', dns: ['192.0.2.53'] };
      await manager.writeContainerFiles(files);
      expect(readFileSync(join(containerDir, 'resolv.conf'), 'utf8')).toBe('# Generated by c\nnameserver 127.0.77.1\nsearch corp.example\n# ExtServers: [192.0.2.53]\n');
      expect(readFileSync(join(containerDir, 'hosts'), 'utf8')).not.toContain('127.0.77.');
      await manager.connect({ containerId: 'a'.repeat(64), containerName: 'web', netnsPath: netns, network: 'app', dns: ['192.0.2.53'] });
      writeFileSync(join(containerDir, 'resolv.conf'), 'untouched\n');
      await manager.writeHostsFile(files);
      expect(readFileSync(join(containerDir, 'hosts'), 'utf8')).toContain('127.0.77.2\tbox web\n');
      expect(readFileSync(join(containerDir, 'resolv.conf'), 'utf8')).toBe('untouched\n');
    } finally {
      await manager.close();
    }
  });

  it('writes resolv.conf, hosts and hostname for a container', async () => {
    const manager = await NetworkManager.open(options);
    await manager.connect({ containerId: 'a'.repeat(64), containerName: 'web', netnsPath: netns });
    const containerDir = join(dir, 'ctr');
    mkdirSync(containerDir);
    const mounts = await manager.writeContainerFiles({ containerId: 'a'.repeat(64), containerDir, hostname: 'aaaaaaaaaaaa', containerName: '/web' });
    expect(mounts.map((m) => m.destination)).toEqual(['/etc/resolv.conf', '/etc/hosts', '/etc/hostname']);
    const { readFileSync } = await import('node:fs');
    // Loopback resolver on the host and no systemd-resolved upstream file: docker's public fallback.
    expect(readFileSync(join(containerDir, 'resolv.conf'), 'utf8')).toBe('# Generated by c\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch corp.example\n');
    expect(readFileSync(join(containerDir, 'hosts'), 'utf8')).toContain('172.18.0.2\taaaaaaaaaaaa web\n');
    expect(readFileSync(join(containerDir, 'hostname'), 'utf8')).toBe('aaaaaaaaaaaa\n');
  });
});
