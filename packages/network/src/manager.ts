import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CError, isCError, notFound } from '@c/errors';
import { KeyedMutex, writeFileAtomic } from './atomic';
import { DnsServer, type Upstream } from './dns/server';
import { SpawnRunner, type CommandRunner } from './exec';
import { buildHosts, readHostResolvConf, upstreamNameservers, writeContainerFiles, writeInPlace, type BindMountSpec, type HostsInput } from './files';
import { HostPortAllocator } from './host-ports';
import { Ipam } from './ipam';
import { formatIpv4, formatSubnet, macForIpv4, parseIpv4, parseSubnet, subnetsOverlap, type Ipv4Subnet } from './ipv4';
import { LinkOps, checkInterfaceName } from './link';
import { NetlinkLinks } from './netlink/links';
import { NftPortElements } from './netlink/nftables';
import { netlinkAvailable } from './netlink/socket';
import { parseNetworkMode, planNetns, type NetnsPlan } from './modes';
import { NatTable, type DnatEntry } from './nat';
import { toPortMap, type PortMapping, type PublishedPort } from './ports';
import { StateStore } from './store';
import { DEFAULT_SUBNET_POOLS, pickFreeSubnet, type SubnetPool } from './subnet-pool';
import type { ConnectResult, EndpointRecord, EndpointSettings, NetworkInspect, NetworkRecord } from './types';

export interface NetworkManagerOptions {
  /** Where networks, endpoints and leases are kept (e.g. <daemon root>/network). */
  stateDir: string;
  /** Name of the default bridge's interface. */
  defaultBridge?: string;
  /** Subnet of the default bridge; picked from `subnetPools` avoiding host routes when absent. */
  defaultSubnet?: string;
  subnetPools?: readonly SubnetPool[];
  /** Prefix for user networks' bridge interfaces (the first 15 - prefix.length hex digits of the id follow). */
  bridgePrefix?: string;
  /** The nftables table holding c's rules. */
  nftTable?: string;
  /** Port of the embedded DNS servers (53; tests may pick another). */
  dnsPort?: number;
  /** Resolvers the embedded DNS forwards to; default: the host's resolv.conf nameservers. */
  dnsUpstreams?: Upstream[];
  /** Host files read for containers' resolv.conf. */
  resolvConfPaths?: { host: string; systemd: string };
  hostPortRange?: [number, number];
  /** Run a DNS server per user network (default true). Without it, user networks use the host's resolvers. */
  embeddedDns?: boolean;
  runner?: CommandRunner;
  /**
   * How veths are attached and deleted: rtnetlink through koffi (default when no `runner` is given), or
   * iproute2 commands through the runner.
   */
  linkBackend?: 'netlink' | 'iproute2';
  /** Where interfaces and sysctls are looked up (tests point these at a fake tree). */
  sysfs?: string;
  procSys?: string;
}

export interface CreateNetworkOptions {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface ConnectOptions {
  containerId: string;
  /** Container name without the leading slash: resolvable by DNS on user networks. */
  containerName: string;
  /** The container's network namespace: /proc/<pid>/ns/net of its init, or a bind-mounted nsfs file. */
  netnsPath: string;
  /** Network name or id (or unique id prefix); 'bridge' = the default bridge. */
  network?: string;
  aliases?: string[];
  /** A fixed address (--ip). */
  ipv4Address?: string;
  /** Ports to publish through this endpoint (from -p / -P). */
  ports?: PortMapping[];
  /**
   * The container's `--dns` servers. On a network with embedded DNS the container keeps the network's resolver
   * (its peers' names still resolve) and the resolver forwards the container's other queries to these.
   */
  dns?: string[];
}

export interface ContainerFilesOptions {
  containerId: string;
  /** The container's state dir: resolv.conf, hosts, hostname are written there. */
  containerDir: string;
  hostname: string;
  containerName?: string;
  domainname?: string;
  /** The --network value the container runs with. */
  networkMode?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  extraHosts?: [string, string][];
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Identity of a namespace file (nsfs dev:ino); undefined when it no longer exists. */
function namespaceId(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}
const PREDEFINED = new Set(['bridge', 'host', 'none']);
/** How long a released veth may take to go with its namespace before we delete it ourselves, and the poll step. */
const VETH_TEARDOWN_GRACE_MS = 1000;
const VETH_POLL_MS = 10;

/**
 * Container networking for the engine: networks (default bridge + user bridges), endpoints (veth + address +
 * published ports + DNS names), and the per-container resolv.conf/hosts/hostname files. One instance per daemon;
 * `open` rebuilds NAT and DNS from the state dir after a restart.
 */
export class NetworkManager {
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly ipams = new Map<string, Ipam>();
  private readonly dns = new Map<string, DnsServer>();
  private readonly lock = new KeyedMutex();
  private readonly links: LinkOps;
  private readonly netlink: NetlinkLinks | undefined;
  private readonly portElements: NftPortElements | undefined;
  private readonly nat: NatTable;
  private readonly store: StateStore;
  private readonly hostPorts: HostPortAllocator;
  private mtu = 1500;
  private upstreams: Upstream[] = [];
  /**
   * Work off the start and exit paths (veth deletions, lease file writes) → the namespace a veth's peer is in, and
   * the failures it ended in (reported by settle).
   */
  private readonly pending = new Map<Promise<void>, string | undefined>();
  private readonly backgroundFailures: unknown[] = [];

  private constructor(private readonly options: NetworkManagerOptions) {
    const runner = options.runner ?? new SpawnRunner();
    const backend = options.linkBackend ?? (options.runner === undefined && netlinkAvailable() ? 'netlink' : 'iproute2');
    this.netlink = backend === 'netlink' ? new NetlinkLinks(options.sysfs) : undefined;
    this.links = new LinkOps(runner, options.sysfs, options.procSys, this.netlink);
    this.portElements = backend === 'netlink' ? new NftPortElements(options.nftTable ?? 'c') : undefined;
    this.nat = new NatTable(runner, options.nftTable ?? 'c', this.portElements);
    this.store = new StateStore(options.stateDir);
    this.hostPorts = new HostPortAllocator(options.hostPortRange);
  }

  static async open(options: NetworkManagerOptions): Promise<NetworkManager> {
    const manager = new NetworkManager(options);
    await manager.restore();
    return manager;
  }

  /** Decide the runtime spec's network namespace for a `--network` value. */
  plan(networkMode: string | undefined, lookupNetns: (container: string) => { id: string; path: string } | undefined): NetnsPlan {
    const mode = parseNetworkMode(networkMode);
    if (mode.kind === 'network') this.find(mode.name);
    return planNetns(mode, lookupNetns);
  }

  async createNetwork(options: CreateNetworkOptions): Promise<NetworkInspect> {
    return this.lock.run('state', async () => {
      if (!NAME.test(options.name)) {
        throw new CError('INVALID_ARGUMENT', `invalid network name "${options.name}"`, { hint: 'only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' });
      }
      if (PREDEFINED.has(options.name) || [...this.networks.values()].some((n) => n.name === options.name)) {
        throw new CError('CONFLICT', `network with name ${options.name} already exists`, { hint: 'pick another name or remove the existing network' });
      }
      const id = randomBytes(32).toString('hex');
      const bridge = checkInterfaceName(`${this.options.bridgePrefix ?? 'cbr-'}${id}`.slice(0, 15));
      const record = await this.buildBridgeRecord({ ...options, id, bridge, isDefault: false });
      try {
        await this.bringUp(record);
      } catch (error) {
        // Half a network (a bridge without DNS, say) must not outlive the failed create.
        await this.tearDown(record).catch(() => undefined);
        throw error;
      }
      return this.inspect(record);
    });
  }

  listNetworks(): NetworkInspect[] {
    return [...this.networks.values()].map((n) => this.inspect(n));
  }

  inspectNetwork(idOrName: string): NetworkInspect {
    return this.inspect(this.find(idOrName));
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.lock.run('state', async () => {
      const network = this.find(idOrName);
      if (network.isDefault || network.driver !== 'bridge') {
        throw new CError('PERMISSION_DENIED', `${network.name} is a pre-defined network and cannot be removed`, { hint: 'remove user-defined networks only' });
      }
      const attached = this.endpointsOf(network.id);
      if (attached.length > 0) {
        throw new CError('CONFLICT', `error while removing network: network ${network.name} id ${network.id} has active endpoints`, {
          hint: `disconnect or remove the containers first: ${attached.map((e) => e.containerName).join(', ')}`,
        });
      }
      // Veths of containers that just ended may still be going: the bridge goes after them.
      await this.settle().catch(() => undefined);
      await this.tearDown(network);
    });
  }

  /** Remove every user network without endpoints; returns their names. */
  async pruneNetworks(): Promise<string[]> {
    const removed: string[] = [];
    for (const network of [...this.networks.values()]) {
      if (network.isDefault || network.driver !== 'bridge' || this.endpointsOf(network.id).length > 0) continue;
      await this.removeNetwork(network.id);
      removed.push(network.name);
    }
    return removed;
  }

  /** Attach a container's namespace to a network: veth, address, default route (first network), published ports, DNS names. */
  async connect(options: ConnectOptions): Promise<ConnectResult> {
    return this.lock.run('state', async () => {
      const network = this.find(options.network ?? 'bridge');
      if (network.driver !== 'bridge' || network.bridge === undefined || network.subnet === undefined || network.gateway === undefined) {
        throw new CError('INVALID_ARGUMENT', `container cannot be connected to network ${network.name} (driver ${network.driver})`, {
          hint: 'host and none are modes of the whole container: pass them to plan() instead',
        });
      }
      const mine = [...this.endpoints.values()].filter((e) => e.containerId === options.containerId);
      if (mine.some((e) => e.networkId === network.id)) {
        throw new CError('CONFLICT', `endpoint with name ${options.containerName} already exists in network ${network.name}`, {
          hint: 'disconnect it first',
        });
      }
      if (!existsSync(options.netnsPath)) throw notFound(`network namespace ${options.netnsPath} does not exist`, { hint: 'is the container running?' });
      for (const mapping of options.ports ?? []) {
        if (mapping.protocol === 'sctp') throw new CError('UNSUPPORTED', `publishing sctp port ${mapping.containerPort} is not supported`, { hint: 'publish tcp or udp ports' });
      }

      // A namespace that outlived its endpoints (a joined container's, or a test's) may still hold a peer being
      // deleted under the name this connect is about to use.
      const netnsId = namespaceId(options.netnsPath);
      const sameNamespace = [...this.pending].filter(([, ns]) => ns !== undefined && ns === netnsId).map(([pending]) => pending);
      if (sameNamespace.length > 0) await Promise.allSettled(sameNamespace);

      const id = randomBytes(32).toString('hex');
      const ipam = this.ipamOf(network.id);
      const ipv4 = ipam.reserve(id, options.ipv4Address);
      const prefixLength = parseSubnet(network.subnet).prefixLength;
      const used = new Set(mine.map((e) => e.ifname));
      let index = 0;
      while (used.has(`eth${index}`)) index++;
      const record: EndpointRecord = {
        id,
        networkId: network.id,
        containerId: options.containerId,
        containerName: options.containerName.replace(/^\//, ''),
        aliases: options.aliases ?? [],
        netnsPath: options.netnsPath,
        netnsId,
        ifname: `eth${index}`,
        hostVeth: `vc${id.slice(0, 11)}`,
        ipv4,
        prefixLength,
        mac: macForIpv4(parseIpv4(ipv4)),
        ports: [],
        defaultRoute: !mine.some((e) => e.defaultRoute),
        ...(options.dns !== undefined && options.dns.length > 0 ? { dns: options.dns } : {}),
      };
      // One file write on the start path: the endpoint record, which holds the lease (open() rebuilds the lease
      // files from the live endpoints; they are rewritten in the background). The links and the NAT elements
      // do not depend on it: overlap them.
      const steps = await Promise.allSettled([
        this.links.attachVeth({
          netnsPath: record.netnsPath,
          hostName: record.hostVeth,
          containerName: record.ifname,
          bridge: network.bridge,
          addressCidr: `${ipv4}/${prefixLength}`,
          mac: record.mac,
          mtu: this.mtu,
          ...(record.defaultRoute ? { gateway: network.gateway } : {}),
        }),
        this.publish(record, options.ports ?? []).then(async (ports) => {
          record.ports = ports;
          await this.store.saveEndpoint(record);
        }),
      ]);
      const failed = steps.find((step): step is PromiseRejectedResult => step.status === 'rejected');
      if (failed !== undefined) {
        await this.unpublish(record).catch(() => undefined);
        await this.links.deleteLink(record.hostVeth).catch(() => undefined);
        await this.store.deleteEndpoint(id).catch(() => undefined);
        await ipam.release(id).catch(() => undefined);
        throw failed.reason;
      }
      this.endpoints.set(id, record);
      this.dns.get(network.id)?.add(id, this.dnsNames(record), ipv4, this.endpointUpstreams(record));
      this.background(ipam.flush());
      return this.connectResult(network, record);
    });
  }

  /**
   * Detach a container from one network: published ports, DNS names, veth and lease go. `waitForLink: false`
   * returns before the veth is deleted (see disconnectAll); by default the interface is gone on return.
   */
  async disconnect(containerId: string, network: string, options: { waitForLink?: boolean } = {}): Promise<void> {
    await this.lock.run('state', async () => {
      const target = this.find(network);
      const endpoint = [...this.endpoints.values()].find((e) => e.containerId === containerId && e.networkId === target.id);
      if (endpoint === undefined) {
        throw new CError('NOT_FOUND', `container ${containerId.slice(0, 12)} is not connected to network ${target.name}`, { hint: 'see c network inspect' });
      }
      await this.release(endpoint, options.waitForLink ?? true);
    });
  }

  /**
   * Detach a container from every network (its exit, or its removal). Idempotent. Published ports, DNS names and
   * the endpoint state go before it returns; the veth is deleted in the background, because the kernel holds a
   * link deletion for an RCU grace period (15-40 ms) and an exit should not wait for that. Its address stays
   * leased until the veth is gone, so a new container never shares it with a dying one. `settle()` waits.
   */
  async disconnectAll(containerId: string): Promise<void> {
    await this.lock.run('state', async () => {
      for (const endpoint of [...this.endpoints.values()]) if (endpoint.containerId === containerId) await this.release(endpoint, false);
    });
  }

  /** Wait for the background work (veth deletions, lease file writes); rejects with the first failure since the last call. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.keys()]);
    const failure = this.backgroundFailures.shift();
    this.backgroundFailures.length = 0;
    if (failure !== undefined) throw failure;
  }

  /** The container's endpoints keyed by network name, in docker's `NetworkSettings.Networks` shape, plus its port map. */
  containerSettings(containerId: string): { networks: Record<string, EndpointSettings>; ports: ReturnType<typeof toPortMap> } {
    const networks: Record<string, EndpointSettings> = {};
    const published: PublishedPort[] = [];
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.containerId !== containerId) continue;
      const network = this.networks.get(endpoint.networkId);
      if (network === undefined) continue;
      networks[network.name] = this.connectResult(network, endpoint).endpoint;
      published.push(...endpoint.ports);
    }
    return { networks, ports: toPortMap(published) };
  }

  /**
   * Write /etc/resolv.conf, /etc/hosts and /etc/hostname for a container under its state dir and return the bind
   * mounts. Call after connect (the hosts file lists the container's addresses).
   */
  async writeContainerFiles(options: ContainerFilesOptions): Promise<BindMountSpec[]> {
    const mode = parseNetworkMode(options.networkMode);
    const hostFiles = await readHostResolvConf(this.options.resolvConfPaths);
    // The resolver follows the network the mode names (known at create, before any endpoint exists), else the
    // container's first endpoint.
    const first = this.endpointsOfContainer(options.containerId)[0];
    const named = mode.kind === 'network' ? this.find(mode.name) : undefined;
    const dnsNetwork = named ?? (first === undefined ? undefined : this.networks.get(first.networkId));
    const embeddedDns = dnsNetwork !== undefined && this.dns.has(dnsNetwork.id) ? dnsNetwork.gateway : undefined;
    const mounts = await writeContainerFiles({
      containerDir: options.containerDir,
      hostname: options.hostname,
      hosts: this.hostsInput(options),
      resolv: {
        ...hostFiles,
        ...(embeddedDns !== undefined ? { embeddedDns } : {}),
        ...(options.dns !== undefined ? { dns: options.dns } : {}),
        ...(options.dnsSearch !== undefined ? { dnsSearch: options.dnsSearch } : {}),
        ...(options.dnsOptions !== undefined ? { dnsOptions: options.dnsOptions } : {}),
      },
    });
    if (mode.kind === 'host') {
      // --network host: the container sees the host's own files, as with docker.
      const hostsPath = mounts.find((m) => m.destination === '/etc/hosts');
      const resolvPath = mounts.find((m) => m.destination === '/etc/resolv.conf');
      if (hostsPath) await writeInPlace(hostsPath.source, await readFile('/etc/hosts', 'utf8').catch(() => buildHosts({ hostname: options.hostname, addresses: [] })));
      if (resolvPath && hostFiles.host !== '') await writeInPlace(resolvPath.source, hostFiles.host);
    }
    return mounts;
  }

  /**
   * Rewrite only the container's hosts file (in place: the running container keeps its bind mount) with its
   * current addresses: what a connect or disconnect changes. Cheaper than writeContainerFiles on the start path.
   */
  async writeHostsFile(options: ContainerFilesOptions): Promise<void> {
    await writeInPlace(join(options.containerDir, 'hosts'), buildHosts(this.hostsInput(options)));
  }

  /** Names currently registered in a network's DNS (leak checks, debugging). */
  dnsRecords(network: string): [string, string[]][] {
    return this.dns.get(this.find(network).id)?.entries() ?? [];
  }

  /** Address leases of a network. */
  leases(network: string): [string, string][] {
    return this.ipamOf(this.find(network).id).list();
  }

  /** Host-side interface names of all endpoints. */
  hostInterfaces(): string[] {
    return [...this.endpoints.values()].map((e) => e.hostVeth);
  }

  /** Stop the DNS servers; kernel state stays for the next `open` (a daemon restart keeps containers connected). */
  async close(): Promise<void> {
    await this.settle().catch(() => undefined);
    await Promise.all([...this.dns.values()].map((server) => server.stop()));
    this.dns.clear();
    this.netlink?.close();
    this.portElements?.close();
  }

  /** Remove everything c created: endpoints, bridges, the nft table, the state. For uninstall and tests. */
  async destroy(): Promise<void> {
    await this.lock.run('state', async () => {
      for (const endpoint of [...this.endpoints.values()]) await this.release(endpoint, true);
      await this.settle().catch(() => undefined);
      for (const network of [...this.networks.values()]) if (network.driver === 'bridge') await this.tearDown(network);
      await this.nat.remove();
    });
    await this.close();
  }

  // --- internals ---

  private async restore(): Promise<void> {
    await this.store.init();
    this.mtu = await this.links.defaultRouteMtu();
    await this.links.enableForwarding();
    await this.nat.reset();
    const hostResolv = await readHostResolvConf(this.options.resolvConfPaths);
    this.upstreams = this.options.dnsUpstreams ?? upstreamNameservers(hostResolv.host).map((host) => ({ host, port: 53 }));

    for (const record of await this.store.loadNetworks()) this.networks.set(record.id, record);
    if (!this.hasName('bridge')) {
      const record = await this.buildBridgeRecord({
        id: randomBytes(32).toString('hex'),
        name: 'bridge',
        bridge: this.options.defaultBridge ?? 'c0',
        isDefault: true,
        ...(this.options.defaultSubnet !== undefined ? { subnet: this.options.defaultSubnet } : {}),
      });
      await this.store.saveNetwork(record);
      this.networks.set(record.id, record);
    }
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (this.hasName(name)) continue;
      const record: NetworkRecord = { id: randomBytes(32).toString('hex'), name, driver, internal: false, isDefault: false, labels: {}, created: new Date().toISOString() };
      await this.store.saveNetwork(record);
      this.networks.set(record.id, record);
    }
    for (const network of this.networks.values()) if (network.driver === 'bridge') await this.bringUp(network);

    for (const endpoint of await this.store.loadEndpoints()) {
      const network = this.networks.get(endpoint.networkId);
      // The container died while we were down: its namespace is gone (the kernel removes the veth a little later).
      const alive = network !== undefined && namespaceId(endpoint.netnsPath) === endpoint.netnsId && this.links.linkExists(endpoint.hostVeth);
      if (!alive) {
        // The nft table was just rebuilt without its ports: only links, lease and state are left to undo.
        const stale = { ...endpoint, ports: [] };
        this.endpoints.set(endpoint.id, stale);
        await this.release(stale, true);
        continue;
      }
      this.endpoints.set(endpoint.id, endpoint);
      for (const port of endpoint.ports) this.hostPorts.claim(port.protocol, port.hostIp, port.hostPort);
      await this.nat.addPorts(this.dnatEntries(endpoint, endpoint.ports));
      this.dns.get(network.id)?.add(endpoint.id, this.dnsNames(endpoint), endpoint.ipv4, this.endpointUpstreams(endpoint));
    }
    await this.reconcileLeases();
  }

  /**
   * Leases are written without fsync and before the endpoint file: after a crash the lease files may name owners
   * without an endpoint (a connect cut short, a veth deletion that never finished) or miss live ones. The live
   * endpoints are the truth.
   */
  private async reconcileLeases(): Promise<void> {
    for (const [networkId, ipam] of this.ipams) {
      const live = this.endpointsOf(networkId);
      let changed = ipam.retainOnly(new Set(live.map((e) => e.id))).length > 0;
      for (const endpoint of live) {
        if (ipam.addressOf(endpoint.id) === undefined) {
          ipam.reserve(endpoint.id, endpoint.ipv4);
          changed = true;
        }
      }
      if (changed) await ipam.flush();
    }
  }

  private endpointsOfContainer(containerId: string): EndpointRecord[] {
    return [...this.endpoints.values()].filter((e) => e.containerId === containerId).sort((a, b) => a.ifname.localeCompare(b.ifname));
  }

  private hostsInput(options: ContainerFilesOptions): HostsInput {
    return {
      hostname: options.hostname,
      ...(options.containerName !== undefined ? { name: options.containerName.replace(/^\//, '') } : {}),
      ...(options.domainname !== undefined ? { domainname: options.domainname } : {}),
      addresses: this.endpointsOfContainer(options.containerId).map((e) => e.ipv4),
      ...(options.extraHosts !== undefined ? { extraHosts: options.extraHosts } : {}),
    };
  }

  private hasName(name: string): boolean {
    return [...this.networks.values()].some((n) => n.name === name);
  }

  private async buildBridgeRecord(input: {
    id: string;
    name: string;
    bridge: string;
    isDefault: boolean;
    subnet?: string;
    gateway?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  }): Promise<NetworkRecord> {
    const others = [...this.networks.values()].filter((n) => n.subnet !== undefined).map((n) => parseSubnet(n.subnet as string));
    let subnet: Ipv4Subnet;
    if (input.subnet !== undefined) {
      subnet = parseSubnet(input.subnet);
      const clash = [...this.networks.values()].find((n) => n.subnet !== undefined && subnetsOverlap(parseSubnet(n.subnet), subnet));
      if (clash) {
        throw new CError('CONFLICT', `Pool overlaps with other one on this address space: ${input.subnet} overlaps network ${clash.name} (${clash.subnet})`, {
          hint: 'pick a subnet no other network uses',
        });
      }
    } else {
      subnet = pickFreeSubnet(this.options.subnetPools ?? DEFAULT_SUBNET_POOLS, [...(await this.links.hostPrefixes()), ...others]);
    }
    const gateway = input.gateway ?? formatIpv4(subnet.base + 1);
    return {
      id: input.id,
      name: input.name,
      driver: 'bridge',
      bridge: input.bridge,
      subnet: formatSubnet(subnet),
      gateway,
      internal: input.internal ?? false,
      isDefault: input.isDefault,
      labels: input.labels ?? {},
      created: new Date().toISOString(),
    };
  }

  /** Bridge, NAT sets, lease file and (user networks) DNS server for one network; saves the record. */
  private async bringUp(network: NetworkRecord): Promise<void> {
    const { bridge, subnet, gateway } = network;
    if (bridge === undefined || subnet === undefined || gateway === undefined) return;
    const ipam = await Ipam.open(this.store.ipamPath(network.id), subnet, gateway);
    await this.links.ensureBridge({ name: bridge, gatewayCidr: `${gateway}/${parseSubnet(subnet).prefixLength}`, mtu: this.mtu });
    await this.nat.addNetwork(bridge, subnet, network.internal);
    if (!network.isDefault && this.options.embeddedDns !== false) {
      const server = new DnsServer({ address: gateway, port: this.options.dnsPort ?? 53, upstreams: this.upstreams });
      await server.start();
      this.dns.set(network.id, server);
    }
    await this.store.saveNetwork(network);
    this.networks.set(network.id, network);
    this.ipams.set(network.id, ipam);
  }

  private async tearDown(network: NetworkRecord): Promise<void> {
    await this.dns.get(network.id)?.stop();
    this.dns.delete(network.id);
    if (network.bridge !== undefined && network.subnet !== undefined) {
      await this.nat.removeNetwork(network.bridge, network.subnet, network.internal).catch(() => undefined);
      await this.links.deleteLink(network.bridge);
    }
    await this.store.deleteNetwork(network.id);
    this.networks.delete(network.id);
    this.ipams.delete(network.id);
  }

  private async publish(endpoint: EndpointRecord, mappings: readonly PortMapping[]): Promise<PublishedPort[]> {
    const published: PublishedPort[] = [];
    try {
      for (const mapping of mappings) {
        const hostPort = await this.hostPorts.allocate(mapping.protocol, mapping.hostIp, mapping.hostPort);
        published.push({ containerPort: mapping.containerPort, protocol: mapping.protocol, hostIp: mapping.hostIp, hostPort });
      }
      await this.nat.addPorts(this.dnatEntries(endpoint, published));
    } catch (error) {
      for (const port of published) this.hostPorts.release(port.protocol, port.hostIp, port.hostPort);
      throw error;
    }
    return published;
  }

  private async unpublish(endpoint: EndpointRecord): Promise<void> {
    await this.nat.removePorts(this.dnatEntries(endpoint, endpoint.ports));
    for (const port of endpoint.ports) this.hostPorts.release(port.protocol, port.hostIp, port.hostPort);
  }

  private dnatEntries(endpoint: EndpointRecord, ports: readonly PublishedPort[]): DnatEntry[] {
    return ports.map((port) => ({
      protocol: port.protocol === 'udp' ? 'udp' : 'tcp',
      hostIp: port.hostIp,
      hostPort: port.hostPort,
      containerIp: endpoint.ipv4,
      containerPort: port.containerPort,
    }));
  }

  /**
   * Undo one endpoint in the reverse order of connect; each step tolerates a half-done earlier attempt. Without
   * `waitForLink` the veth deletion runs on in the background and the address stays leased (to
   * `releasing:<endpoint>`) until it is done.
   */
  private async release(endpoint: EndpointRecord, waitForLink: boolean): Promise<void> {
    this.dns.get(endpoint.networkId)?.remove(endpoint.id);
    const ipam = this.ipams.get(endpoint.networkId);
    ipam?.forget(endpoint.id);
    const link = waitForLink ? this.links.deleteLink(endpoint.hostVeth) : this.vethGone(endpoint);
    if (!waitForLink) {
      const owner = `releasing:${endpoint.id}`;
      ipam?.reserve(owner, endpoint.ipv4);
      this.background(
        link.finally(() => (ipam !== undefined && ipam.forget(owner).length > 0 ? ipam.flush() : undefined)),
        endpoint.netnsId,
      );
    }
    // Independent steps, overlapped; the first failure is reported after all have run. Without waitForLink the
    // lease file is written once the veth is gone (above): the exit path only deletes the endpoint file.
    const steps = await Promise.allSettled([
      this.unpublish(endpoint),
      waitForLink ? link : undefined,
      waitForLink ? ipam?.flush() : undefined,
      this.store.deleteEndpoint(endpoint.id),
    ]);
    this.endpoints.delete(endpoint.id);
    // Already gone (an element or link removed by someone else) is what we wanted.
    const failed = steps.find((step): step is PromiseRejectedResult => step.status === 'rejected' && !isCError(step.reason, 'NOT_FOUND'));
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * The veth of an endpoint released in the background is gone. When the container's process has gone, its
   * namespace is being torn down and the kernel deletes the veth pair with it, in the same batch as the namespace's
   * loopback: an RTM_DELLINK of ours would hold the RTNL lock for one more RCU grace period, which the next
   * container's netns creation and connect would wait for. So wait for the veth to vanish, and delete it only when
   * it does not (a joined container keeps the namespace), or at once when the process still runs.
   */
  private async vethGone(endpoint: EndpointRecord): Promise<void> {
    if (namespaceId(endpoint.netnsPath) !== endpoint.netnsId) {
      for (let waited = 0; waited < VETH_TEARDOWN_GRACE_MS; waited += VETH_POLL_MS) {
        if (!this.links.linkExists(endpoint.hostVeth)) return;
        await new Promise((resolve) => setTimeout(resolve, VETH_POLL_MS));
      }
    }
    await this.links.deleteLink(endpoint.hostVeth);
  }

  /** A container's `--dns` servers as upstreams of its network's DNS (port 53, as resolv.conf would use them). */
  private endpointUpstreams(endpoint: EndpointRecord): Upstream[] | undefined {
    return endpoint.dns?.map((host) => ({ host, port: 53 }));
  }

  private background(work: Promise<unknown>, netnsId?: string): void {
    const pending: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => {
        if (!isCError(error, 'NOT_FOUND')) this.backgroundFailures.push(error);
      },
    );
    this.pending.set(pending, netnsId);
    void pending.finally(() => this.pending.delete(pending));
  }

  private dnsNames(endpoint: EndpointRecord): string[] {
    return [...new Set([endpoint.containerName, ...endpoint.aliases, endpoint.containerId.slice(0, 12)].filter((n) => n !== ''))];
  }

  private endpointsOf(networkId: string): EndpointRecord[] {
    return [...this.endpoints.values()].filter((e) => e.networkId === networkId);
  }

  private ipamOf(networkId: string): Ipam {
    const ipam = this.ipams.get(networkId);
    if (ipam === undefined) throw new CError('INTERNAL', `network ${networkId.slice(0, 12)} has no address pool loaded`);
    return ipam;
  }

  /** By exact name, exact id, or unique id prefix (docker's lookup order). */
  private find(idOrName: string): NetworkRecord {
    const all = [...this.networks.values()];
    const match =
      all.find((n) => n.name === idOrName) ??
      all.find((n) => n.id === idOrName) ??
      (() => {
        const prefixed = all.filter((n) => idOrName.length > 0 && n.id.startsWith(idOrName));
        if (prefixed.length > 1) throw new CError('CONFLICT', `network ${idOrName} is ambiguous (${prefixed.length} matches)`, { hint: 'use more characters of the id' });
        return prefixed[0];
      })();
    if (match === undefined) throw notFound(`network ${idOrName} not found`, { hint: 'see c network ls' });
    return match;
  }

  private connectResult(network: NetworkRecord, endpoint: EndpointRecord): ConnectResult {
    return {
      networkName: network.name,
      hostVeth: endpoint.hostVeth,
      ifname: endpoint.ifname,
      ports: toPortMap(endpoint.ports),
      endpoint: {
        NetworkID: network.id,
        EndpointID: endpoint.id,
        Gateway: network.gateway ?? '',
        IPAddress: endpoint.ipv4,
        IPPrefixLen: endpoint.prefixLength,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        MacAddress: endpoint.mac,
        Aliases: network.isDefault ? null : endpoint.aliases,
        DNSNames: network.isDefault ? null : this.dnsNames(endpoint),
      },
    };
  }

  private inspect(network: NetworkRecord): NetworkInspect {
    const containers: NetworkInspect['Containers'] = {};
    for (const e of this.endpointsOf(network.id)) {
      containers[e.containerId] = { Name: e.containerName, EndpointID: e.id, MacAddress: e.mac, IPv4Address: `${e.ipv4}/${e.prefixLength}`, IPv6Address: '' };
    }
    const options: Record<string, string> = {};
    if (network.bridge !== undefined) options['com.docker.network.bridge.name'] = network.bridge;
    if (network.isDefault) options['com.docker.network.bridge.default_bridge'] = 'true';
    return {
      Name: network.name,
      Id: network.id,
      Created: network.created,
      Scope: 'local',
      Driver: network.driver,
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: null,
        Config: network.subnet !== undefined && network.gateway !== undefined ? [{ Subnet: network.subnet, Gateway: network.gateway }] : [],
      },
      Internal: network.internal,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: options,
      Labels: network.labels,
    };
  }
}

