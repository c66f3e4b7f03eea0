import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkOps, checkInterfaceName } from './link';
import { formatSubnet } from './ipv4';
import { FakeKernel } from './test-support/fake-kernel';

describe('LinkOps (recorded iproute2 commands)', () => {
  let kernel: FakeKernel;
  let links: LinkOps;
  beforeEach(() => {
    kernel = new FakeKernel();
    links = new LinkOps(kernel.runner, kernel.sysfs, kernel.procSys);
  });
  afterEach(() => kernel.dispose());

  it('creates a bridge once, with its gateway address, and enables route_localnet on it', async () => {
    await links.ensureBridge({ name: 'c0', gatewayCidr: '172.17.0.1/16', mtu: 1450 });
    await links.ensureBridge({ name: 'c0', gatewayCidr: '172.17.0.1/16', mtu: 1450 });
    expect(kernel.commands()).toEqual(['ip -batch - | link add name c0 mtu 1450 type bridge | addr add 172.17.0.1/16 dev c0 | link set c0 up']);
    expect(readFileSync(join(kernel.procSys, 'net/ipv4/conf/c0/route_localnet'), 'utf8')).toBe('1');
  });

  it('creates the veth with its peer directly in the container namespace, then configures the inside', async () => {
    await links.attachVeth({
      netnsPath: '/proc/42/ns/net',
      hostName: 'vcabc',
      containerName: 'eth0',
      bridge: 'c0',
      addressCidr: '172.17.0.2/16',
      mac: '02:42:ac:11:00:02',
      mtu: 1450,
      gateway: '172.17.0.1',
    });
    expect(kernel.commands()).toEqual([
      'ip -batch - | link add name vcabc mtu 1450 type veth peer name eth0 mtu 1450 address 02:42:ac:11:00:02 netns /proc/42/ns/net | link set vcabc master c0 up | link set vcabc type bridge_slave hairpin on',
      'nsenter --net=/proc/42/ns/net ip -batch - | addr add 172.17.0.2/16 dev eth0 | link set eth0 up | link set lo up | route replace default via 172.17.0.1 dev eth0',
    ]);
  });

  it('removes the host end when configuring the inside fails', async () => {
    const failing = new FakeKernel();
    const original = failing.runner.run.bind(failing.runner);
    failing.runner.run = async (argv, input) => {
      if (argv[0] === 'nsenter') throw new Error('nsenter: cannot open /proc/42/ns/net');
      return original(argv, input);
    };
    const ops = new LinkOps(failing.runner, failing.sysfs, failing.procSys);
    await expect(
      ops.attachVeth({ netnsPath: '/proc/42/ns/net', hostName: 'vcabc', containerName: 'eth1', bridge: 'c0', addressCidr: '10.0.0.2/24', mac: '02:42:0a:00:00:02', mtu: 1500 }),
    ).rejects.toThrow(/nsenter/);
    expect(failing.commands().at(-1)).toBe('ip link del vcabc');
    expect(existsSync(join(failing.sysfs, 'vcabc'))).toBe(false);
    failing.dispose();
  });

  it('deleting a missing link is a no-op', async () => {
    await links.deleteLink('vcgone');
    expect(kernel.commands()).toEqual([]);
  });

  it('reads the MTU of the default route interface and the host prefixes', async () => {
    expect(await links.defaultRouteMtu()).toBe(1450);
    kernel.routes = [
      { dst: '192.0.2.0/24' },
      { dst: '10.0.0.7', type: 'local' },
      { dst: 'default' },
      { dst: '127.255.255.255', type: 'broadcast' },
      { dst: 'fe80::/64' },
    ];
    expect((await links.hostPrefixes()).map(formatSubnet)).toEqual(['192.0.2.0/24', '10.0.0.7/32']);
  });

  it('refuses interface names the kernel would refuse or that could smuggle arguments', () => {
    expect(() => checkInterfaceName('a-very-long-interface')).toThrow(/invalid interface name/);
    expect(() => checkInterfaceName('c0 netns 1')).toThrow(/invalid interface name/);
    expect(checkInterfaceName('cbr-0123456789a')).toBe('cbr-0123456789a');
  });
});
