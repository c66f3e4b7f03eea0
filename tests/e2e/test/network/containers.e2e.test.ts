// Privileged: containers through the engine's ContainerService with a NetworkService on a temporary root: bridge,
// published ports, user networks and their DNS, none/host, the /etc files, and no leaks after 100 containers.
// Every kernel object is named after the temporary root (bridge c<hash>, table c_<hash>), so a real daemon's c0/c
// are never touched; everything is removed in afterAll even when a test fails.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ContainerService, EventBus, NetworkService, createImageService, kernelNamesFor, type ContainerRecord, type CreateContainerOptions } from '@c/engine';
import { ensureBuilt, isRoot } from '../runtime/helpers';
import { freePort } from '../registry/support/registry-server';
import { Cleanup, hostServer, links, sh } from './support';

const haveTools = ['ip', 'nft', 'busybox'].every((tool) => sh(['sh', '-c', `command -v ${tool}`]).status === 0);
const APPLETS = ['sh', 'cat', 'echo', 'true', 'sleep', 'ip', 'wget', 'httpd', 'hostname', 'ls', 'nslookup', 'grep', 'timeout'];
const IMAGE = 'netbox:e2e';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tarOf(dir: string): Promise<Readable> {
  const child = spawn('tar', ['--numeric-owner', '-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

function makeRootfs(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(dir, 'bin/busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'www']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'www/index.html'), 'hello from the container\n');
}

/** Whether a socket in the network namespace of `pid` listens on TCP port 80 (IPv4 or IPv6). */
function listensOn80(pid: number): boolean {
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // gone, or no IPv6
    }
    // local_address is ADDR:PORT in hex; state 0A is LISTEN.
    if (text.split('\n').some((line) => / [0-9A-F]+:0050 [0-9A-F]+:[0-9A-F]+ 0A /.test(line))) return true;
  }
  return false;
}


async function hostGet(url: string, attempts = 40): Promise<string> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return await response.text();
    } catch (error) {
      last = error;
      await sleep(50);
    }
  }
  throw new Error(`GET ${url} failed: ${String(last)}`);
}

describe.skipIf(!isRoot() || !haveTools)('containers on networks (privileged)', () => {
  const cleanup = new Cleanup();
  let dir: string;
  let root: string;
  let events: EventBus;
  let network: NetworkService;
  let containers: ContainerService;
  let upstream: import('node:dgram').Socket;

  const FORWARDING = '/proc/sys/net/ipv4/ip_forward';
  let forwardingBefore: string | undefined;

  beforeAll(async () => {
    ensureBuilt();
    forwardingBefore = readFileSync(FORWARDING, 'utf8');
    cleanup.add(() => writeFileSync(FORWARDING, forwardingBefore ?? '0\n'));
    dir = mkdtempSync(join(tmpdir(), 'c-netint-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    root = join(dir, 'root');
    const rootfs = join(dir, 'rootfs');
    makeRootfs(rootfs);
    const images = createImageService({ root });
    await images.import(await tarOf(rootfs), IMAGE, { changes: ['CMD ["sh"]', 'EXPOSE 80'] });
    // A loopback resolver standing in for the host's: the embedded DNS never forwards a query off this host.
    const { createSocket } = await import('node:dgram');
    const { buildAnswer, decodeMessage } = await import('@c/network');
    upstream = createSocket('udp4');
    upstream.on('message', (packet, remote) => upstream.send(buildAnswer(decodeMessage(packet), undefined, 30), remote.port, remote.address));
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
    events = new EventBus();
    network = await NetworkService.open({
      root,
      events,
      manager: { subnetPools: [{ base: '10.232.0.0/16', size: 24 }], dnsUpstreams: [{ host: '127.0.0.1', port: upstream.address().port }] },
    });
    cleanup.add(() => network.destroy());
    const { ContentStore, ImageStore, storeLayout } = await import('@c/layers');
    const { storeImagePort } = await import('@c/engine');
    const layout = storeLayout(root);
    containers = await ContainerService.open({ root, images: storeImagePort(new ContentStore(layout.content), new ImageStore(layout.images)), events, network });
    cleanup.add(() => containers.close());
  }, 180_000);

  afterEach(async () => {
    for (const c of containers?.list({ all: true }) ?? []) await containers.remove(c.Id, { force: true }).catch(() => undefined);
    for (const n of network?.list() ?? []) if (!['bridge', 'host', 'none'].includes(n.Name)) await network.remove(n.Id).catch(() => undefined);
  });

  afterAll(async () => {
    await cleanup.run();
    // Nothing of this suite's may stay in the kernel.
    const names = kernelNamesFor(root);
    expect(sh(['nft', 'list', 'table', 'ip', names.nftTable]).status).not.toBe(0);
    expect(links().filter((l) => l.startsWith(names.defaultBridge) || l.startsWith(names.bridgePrefix))).toEqual([]);
  }, 120_000);

  /** Runs a container to its end and returns its output. */
  async function runToEnd(options: Omit<CreateContainerOptions, 'image'>): Promise<{ code: number; output: string; record: ContainerRecord }> {
    const c = await containers.create({ image: IMAGE, ...options });
    const exit = containers.wait(c.Id, 'next-exit');
    await containers.start(c.Id);
    const { StatusCode } = await exit;
    let output = '';
    for await (const entry of containers.logs(c.Id)) output += entry.line;
    return { code: StatusCode, output, record: containers.inspect(c.Id) };
  }

  /**
   * Starts a long-running container (httpd) and returns its record once its httpd listens on port 80: a client
   * container started right after could otherwise be refused by a server a loaded machine had not yet run.
   */
  async function runDetached(options: Omit<CreateContainerOptions, 'image'>): Promise<ContainerRecord> {
    const c = await containers.create({ image: IMAGE, cmd: ['httpd', '-f', '-p', '80', '-h', '/www'], ...options });
    await containers.start(c.Id);
    const pid = containers.inspect(c.Id).State.Pid;
    const deadline = Date.now() + 30_000;
    while (!listensOn80(pid)) {
      if (Date.now() > deadline) throw new Error(`httpd in ${c.Id} did not listen on port 80`);
      await sleep(20);
    }
    return containers.inspect(c.Id);
  }

  it('the default is the bridge: the container reaches a server on the host (the gateway), inspect shows its address', async () => {
    const bridge = network.inspect('bridge');
    const gateway = bridge.IPAM.Config[0]!.Gateway;
    const local = new Cleanup();
    try {
      const port = await hostServer(local, gateway, 'host-says-hi');
      const seen: string[] = [];
      const unsubscribe = events.subscribe((e) => {
        if (e.Type === 'network') seen.push(e.Action);
      });
      const { code, output, record } = await runToEnd({ cmd: ['sh', '-c', `wget -q -O - http://${gateway}:${port}/ && ip -o -4 addr show eth0`] });
      unsubscribe();
      expect(code).toBe(0);
      expect(output).toMatch(/^host-says-hi 10\.232\.\d+\.\d+/);
      expect(record.HostConfig.NetworkMode).toBe('bridge');
      expect(seen).toEqual(['connect', 'disconnect']);
      // After the exit the endpoint is gone: no address any more, and no lease once the veth is deleted.
      expect(record.NetworkSettings?.IPAddress).toBe('');
      await network.manager.settle();
      expect(network.manager.leases('bridge')).toEqual([]);
    } finally {
      await local.run();
    }
  });

  it('-p 80 (random host port) and -p 127.0.0.1:<fixed>:80: inspect and ports() report them, GET from the host works', async () => {
    const fixed = await freePort();
    const c = await runDetached({ portBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }], '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(fixed) }] }, cmd: ['sh', '-c', 'httpd -p 8080 -h /www; exec httpd -f -p 80 -h /www'] });
    const ports = containers.ports(c.Id);
    const random = Number(ports['80/tcp']?.[0]?.HostPort);
    expect(random).toBeGreaterThan(0);
    expect(ports['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: String(random) }]);
    expect(ports['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(fixed) }]);
    expect(c.NetworkSettings?.IPAddress).toMatch(/^10\.232\./);
    expect(c.NetworkSettings?.Networks.bridge?.IPAddress).toBe(c.NetworkSettings?.IPAddress);
    expect(c.HostConfig.PortBindings?.['80/tcp']).toEqual([{ HostIp: '', HostPort: '' }]);
    expect(await hostGet(`http://127.0.0.1:${random}/`)).toBe('hello from the container\n');
    expect(await hostGet(`http://127.0.0.1:${fixed}/`)).toBe('hello from the container\n');
    await containers.stop(c.Id, 1);
    expect(containers.ports(c.Id)).toEqual({});
    await expect(fetch(`http://127.0.0.1:${random}/`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
  });

  it('-P publishes the EXPOSEd port on a random host port', async () => {
    const c = await runDetached({ publishAllPorts: true });
    const port = Number(containers.ports(c.Id)['80/tcp']?.[0]?.HostPort);
    expect(port).toBeGreaterThan(0);
    expect(await hostGet(`http://127.0.0.1:${port}/`)).toBe('hello from the container\n');
    // docker ps's Ports column.
    expect(containers.list().find((row) => row.Id === c.Id)?.Ports).toEqual([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp' }]);
  });

  it('two containers on a user network reach each other by name and alias; a container on another network cannot', async () => {
    await network.create({ name: 'front' });
    await network.create({ name: 'other' });
    const web = await runDetached({ name: 'web', networkMode: 'front', endpoints: { front: { aliases: ['www'] } } });
    const byName = await runToEnd({ networkMode: 'front', cmd: ['sh', '-c', 'timeout 20 wget -q -O - http://web/ && timeout 20 wget -q -O - http://www/'] });
    expect(byName.output).toBe('hello from the container\nhello from the container\n');
    expect(byName.code).toBe(0);
    const webIp = web.NetworkSettings?.Networks.front?.IPAddress;
    expect(webIp).toMatch(/^10\.232\./);
    const outsider = await runToEnd({ networkMode: 'other', cmd: ['sh', '-c', `timeout 3 wget -q -O - http://${webIp}/ || echo unreachable; timeout 3 nslookup web >/dev/null 2>&1 || echo no-name`] });
    // The packets are dropped, so wget hangs until `timeout` ends it ("Terminated").
    expect(outsider.output).not.toContain('hello');
    expect(outsider.output).toMatch(/unreachable\nno-name\n$/);
  }, 60_000);

  it('network connect/disconnect on a running container adds and removes eth1', async () => {
    await network.create({ name: 'side' });
    const c = await runDetached({});
    await containers.connectNetwork(c.Id, 'side', { aliases: ['extra'] });
    const connected = containers.inspect(c.Id);
    expect(Object.keys(connected.NetworkSettings?.Networks ?? {}).sort()).toEqual(['bridge', 'side']);
    expect(network.inspect('side').Containers[c.Id]).toBeDefined();
    expect(readFileSync(connected.HostsPath, 'utf8')).toContain(connected.NetworkSettings!.Networks.side!.IPAddress);
    await containers.disconnectNetwork(c.Id, 'side');
    expect(Object.keys(containers.inspect(c.Id).NetworkSettings?.Networks ?? {})).toEqual(['bridge']);
    expect(network.inspect('side').Containers).toEqual({});
  });

  it('--network none has only lo; --network host sees the host interfaces', async () => {
    const none = await runToEnd({ networkMode: 'none', cmd: ['sh', '-c', 'ls /sys/class/net'] });
    expect(none.output.split(/\s+/).filter(Boolean)).toEqual(['lo']);
    expect(none.record.NetworkSettings?.Networks).toEqual({});
    const host = await runToEnd({ networkMode: 'host', cmd: ['sh', '-c', 'ls /sys/class/net'] });
    const hostLinks = sh(['ls', '/sys/class/net']).stdout.split(/\s+/).filter(Boolean);
    const seen = host.output.split(/\s+/).filter(Boolean);
    // Links come and go on a busy host: the host's stable ones (lo, the default route's) must be there.
    const defaultDev = /dev (\S+)/.exec(sh(['ip', 'route', 'show', 'default']).stdout)?.[1];
    expect(seen).toContain('lo');
    if (defaultDev !== undefined) expect(seen).toContain(defaultDev);
    expect(seen.filter((l) => hostLinks.includes(l)).length).toBeGreaterThan(1);
  });

  it('/etc/hosts, /etc/resolv.conf and /etc/hostname inside', async () => {
    await network.create({ name: 'dnsnet' });
    const onUser = await runToEnd({ networkMode: 'dnsnet', hostname: 'box', cmd: ['sh', '-c', 'cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; hostname'] });
    const [hostname, hosts, resolv, live] = onUser.output.split('---\n');
    expect(hostname).toBe('box\n');
    expect(hosts).toMatch(/127\.0\.0\.1\s+localhost/);
    expect(hosts).toMatch(/10\.232\.\d+\.\d+\s+box/);
    const gateway = network.inspect('dnsnet').IPAM.Config[0]!.Gateway;
    expect(resolv).toContain(`nameserver ${gateway}`);
    expect(live).toContain('box');
    const withDns = await runToEnd({ dns: ['192.0.2.53'], dnsSearch: ['example.test'], extraHosts: ['db:192.0.2.10'], cmd: ['sh', '-c', 'cat /etc/resolv.conf /etc/hosts'] });
    expect(withDns.output).toContain('nameserver 192.0.2.53');
    expect(withDns.output).toContain('search example.test');
    expect(withDns.output).toMatch(/192\.0\.2\.10\s+db/);
  });

  it('--dns on a user network keeps the embedded DNS: peers resolve by name, other names go to the --dns server', async () => {
    // The --dns server: a stub on the host answering every A query with 198.51.100.7 (the daemon forwards from the
    // host's namespace, so a loopback address works, as with docker).
    const { createSocket } = await import('node:dgram');
    const { buildAnswer, decodeMessage, RR_TYPE } = await import('@c/network');
    const stubAddress = '127.0.0.153';
    const asked: string[] = [];
    const stub = createSocket('udp4');
    stub.on('message', (packet, remote) => {
      const query = decodeMessage(packet);
      const question = query.questions[0];
      if (question?.type === RR_TYPE.A) asked.push(question.name);
      stub.send(buildAnswer(query, ['198.51.100.7'], 30), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => stub.bind(53, stubAddress, resolve));
    try {
      await network.create({ name: 'dnsfwd' });
      const gateway = network.inspect('dnsfwd').IPAM.Config[0]!.Gateway;
      const web = await runDetached({ name: 'dnsweb', networkMode: 'dnsfwd' });
      const webIp = web.NetworkSettings?.Networks.dnsfwd?.IPAddress;
      const client = await runToEnd({
        networkMode: 'dnsfwd',
        dns: [stubAddress],
        cmd: ['sh', '-c', 'cat /etc/resolv.conf; echo ---; nslookup dnsweb; echo ---; nslookup outside.example.test'],
      });
      const [resolv, peer, outside] = client.output.split('---\n');
      expect(resolv).toContain(`nameserver ${gateway}\n`);
      expect(resolv).not.toContain(`nameserver ${stubAddress}`);
      expect(resolv).toContain(`# ExtServers: [${stubAddress}]`);
      expect(peer).toContain(`Address: ${webIp}`);
      expect(outside).toContain('Address: 198.51.100.7');
      expect(asked.map((n) => n.replace(/\.$/, ''))).toContain('outside.example.test');
      expect(asked.map((n) => n.replace(/\.$/, ''))).not.toContain('dnsweb');
    } finally {
      await new Promise<void>((resolve) => stub.close(() => resolve()));
    }
  }, 60_000);

  it('--network container:<ref> shares the /etc/hosts, /etc/resolv.conf, /etc/hostname and host name of <ref>', async () => {
    await network.create({ name: 'sharenet' });
    const web = await runDetached({ name: 'shareweb', hostname: 'alpha', networkMode: 'sharenet' });
    const side = await runToEnd({ networkMode: 'container:shareweb', cmd: ['sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname; echo ---; hostname; echo ---; ip -o -4 addr show eth0'] });
    const [hosts, resolv, hostnameFile, hostname, addr] = side.output.split('---\n');
    const webIp = web.NetworkSettings?.Networks.sharenet?.IPAddress ?? 'none';
    expect(hosts).toBe(readFileSync(web.HostsPath, 'utf8'));
    expect(hosts).toMatch(new RegExp(`${webIp.replace(/\./g, '\\.')}\\s+alpha`));
    expect(resolv).toBe(readFileSync(web.ResolvConfPath, 'utf8'));
    expect(resolv).toContain(`nameserver ${network.inspect('sharenet').IPAM.Config[0]!.Gateway}`);
    expect(hostnameFile).toBe('alpha\n');
    expect(hostname).toBe('alpha\n');
    expect(addr).toContain(webIp);
    expect([side.record.HostsPath, side.record.ResolvConfPath, side.record.HostnamePath]).toEqual([web.HostsPath, web.ResolvConfPath, web.HostnamePath]);
    expect(side.record.Config.Hostname).toBe('alpha');
  }, 60_000);

  it('an engine restart: both restores agree, the published port keeps working, the stop releases it', async () => {
    const c = await runDetached({ portBindings: { '80/tcp': [{ HostPort: '' }] } });
    const port = Number(containers.ports(c.Id)['80/tcp']?.[0]?.HostPort);
    containers.close();
    await network.close();
    network = await NetworkService.open({
      root,
      events,
      manager: { subnetPools: [{ base: '10.232.0.0/16', size: 24 }], dnsUpstreams: [{ host: '127.0.0.1', port: upstream.address().port }] },
    });
    const { ContentStore, ImageStore, storeLayout } = await import('@c/layers');
    const { storeImagePort } = await import('@c/engine');
    const layout = storeLayout(root);
    containers = await ContainerService.open({ root, images: storeImagePort(new ContentStore(layout.content), new ImageStore(layout.images)), events, network, adoptPollMs: 100 });
    const adopted = containers.inspect(c.Id);
    expect(adopted.State.Running).toBe(true);
    expect(adopted.NetworkSettings?.Ports['80/tcp']?.[0]?.HostPort).toBe(String(port));
    expect(network.manager.containerSettings(c.Id).networks.bridge?.IPAddress).toBe(adopted.NetworkSettings?.IPAddress);
    expect(await hostGet(`http://127.0.0.1:${port}/`)).toBe('hello from the container\n');
    await containers.stop(c.Id, 1);
    await network.manager.settle();
    expect(network.manager.hostInterfaces()).toEqual([]);
    expect(network.manager.leases('bridge')).toEqual([]);
  }, 60_000);

  it('100 containers with published ports, created and removed: no veths, nft elements, leases or DNS records stay', async () => {
    await network.create({ name: 'churn' });
    const names = kernelNamesFor(root);
    const elementsBefore = sh(['nft', 'list', 'table', 'ip', names.nftTable]).stdout;
    for (let i = 0; i < 100; i++) {
      const c = await containers.create({ image: IMAGE, cmd: ['true'], networkMode: i % 2 === 0 ? 'bridge' : 'churn', portBindings: { '80/tcp': [{ HostPort: '' }] }, name: `churn${i}` });
      const exit = containers.wait(c.Id, 'next-exit');
      await containers.start(c.Id);
      await exit;
      await containers.remove(c.Id, { force: true });
    }
    // Veths of ended containers are deleted in the background: wait for the last ones.
    await network.manager.settle();
    expect(network.manager.hostInterfaces()).toEqual([]);
    expect(network.manager.leases('bridge')).toEqual([]);
    expect(network.manager.leases('churn')).toEqual([]);
    expect(network.manager.dnsRecords('churn')).toEqual([]);
    // No veth stays on this root's bridges (other engineers' containers have veths of their own on this host).
    const ourBridges = links().filter((l) => l === names.defaultBridge || l.startsWith(names.bridgePrefix));
    expect(ourBridges.flatMap((bridge) => sh(['ip', '-o', 'link', 'show', 'master', bridge]).stdout.split('\n').filter((line) => line.trim() !== ''))).toEqual([]);
    expect(sh(['nft', 'list', 'table', 'ip', names.nftTable]).stdout).toBe(elementsBefore);
  }, 300_000);
});
