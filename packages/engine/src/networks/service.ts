/**
 * NetworkService: the engine's one NetworkManager (state under `<root>/network`) plus docker's network events.
 * ContainerService asks it for the namespace plan, the /etc files and the endpoints of each container; the daemon
 * serves the network endpoints from it.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  NetworkManager,
  type ConnectOptions,
  type ConnectResult,
  type CreateNetworkOptions,
  type NetworkInspect,
  type NetworkManagerOptions,
} from '@c/network';
import { EventBus } from '../containers/events';
import { collectOrphans, registerRoot, ROOT_REGISTRY } from './orphans';

export interface NetworkServiceOptions {
  /** The engine root: networks, endpoints and leases live in `<root>/network`. */
  root: string;
  events?: EventBus;
  /**
   * Overrides for the manager (bridge and nft table names, subnets, DNS port…). Without them, the default root
   * (/var/lib/c) uses `c0` and table `c`; any other root gets names derived from its path, so two engines on one
   * host (tests, a development daemon) never share kernel objects.
   */
  manager?: Partial<Omit<NetworkManagerOptions, 'stateDir'>>;
  /** Where roots are registered for orphan collection (default /run/c/network-roots; tests pass their own). */
  rootRegistry?: string;
}

export const DEFAULT_ENGINE_ROOT = '/var/lib/c';

/** Kernel object names for an engine root: `c0`/`c` for the default root, `c<hash>`/`c_<hash>` otherwise. */
export function kernelNamesFor(root: string): { defaultBridge: string; nftTable: string; bridgePrefix: string } {
  if (root === DEFAULT_ENGINE_ROOT) return { defaultBridge: 'c0', nftTable: 'c', bridgePrefix: 'cbr-' };
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 6);
  // IFNAMSIZ: 15 characters; user bridges get `cb<tag>-` + 6 hex digits of the network id.
  return { defaultBridge: `c${tag}`, nftTable: `c_${tag}`, bridgePrefix: `cb${tag}-` };
}

export class NetworkService {
  private constructor(
    readonly manager: NetworkManager,
    readonly events: EventBus,
    /** This root's entry in the orphan registry (removed by destroy). */
    private readonly registryEntry?: string,
  ) {}

  static async open(options: NetworkServiceOptions): Promise<NetworkService> {
    const names = kernelNamesFor(options.root);
    let registryEntry: string | undefined;
    if (options.root !== DEFAULT_ENGINE_ROOT && options.manager?.nftTable === undefined) {
      const registry = options.rootRegistry ?? ROOT_REGISTRY;
      collectOrphans(registry);
      registryEntry = registerRoot({ root: options.root, ...names }, registry);
    }
    const manager = await NetworkManager.open({ ...names, ...options.manager, stateDir: join(options.root, 'network') });
    return new NetworkService(manager, options.events ?? new EventBus(), registryEntry);
  }

  async create(options: CreateNetworkOptions): Promise<NetworkInspect> {
    const network = await this.manager.createNetwork(options);
    this.events.emit('network', 'create', network.Id, { name: network.Name, type: network.Driver });
    return network;
  }

  list(): NetworkInspect[] {
    return this.manager.listNetworks();
  }

  inspect(idOrName: string): NetworkInspect {
    return this.manager.inspectNetwork(idOrName);
  }

  async remove(idOrName: string): Promise<void> {
    const network = this.manager.inspectNetwork(idOrName);
    await this.manager.removeNetwork(network.Id);
    this.events.emit('network', 'destroy', network.Id, { name: network.Name, type: network.Driver });
  }

  /** `network prune`: the names of the removed networks. */
  async prune(): Promise<string[]> {
    const before = new Map(this.manager.listNetworks().map((n) => [n.Name, n]));
    const removed = await this.manager.pruneNetworks();
    for (const name of removed) {
      const network = before.get(name);
      if (network) this.events.emit('network', 'destroy', network.Id, { name, type: network.Driver });
    }
    return removed;
  }

  /** Connects a container's namespace to a network and emits docker's `network connect` event. */
  async connect(options: ConnectOptions): Promise<ConnectResult> {
    const result = await this.manager.connect(options);
    const network = this.manager.inspectNetwork(result.endpoint.NetworkID);
    this.events.emit('network', 'connect', network.Id, { container: options.containerId, name: network.Name, type: network.Driver });
    return result;
  }

  /** `waitForLink: false` returns before the veth is deleted (the kernel holds that for an RCU grace period). */
  async disconnect(containerId: string, networkIdOrName: string, options: { waitForLink?: boolean } = {}): Promise<void> {
    const network = this.manager.inspectNetwork(networkIdOrName);
    await this.manager.disconnect(containerId, network.Id, options);
    this.events.emit('network', 'disconnect', network.Id, { container: containerId, name: network.Name, type: network.Driver });
  }

  /**
   * Detaches a container from every network it is on (its exit or removal). Idempotent. The veths go in the
   * background (see NetworkManager.disconnectAll): an exit is recorded without waiting for the kernel.
   */
  async disconnectAll(containerId: string): Promise<void> {
    const networks = Object.values(this.manager.containerSettings(containerId).networks);
    for (const endpoint of networks) {
      await this.disconnect(containerId, endpoint.NetworkID, { waitForLink: false }).catch(() => undefined);
    }
    // Whatever a failed disconnect left behind.
    await this.manager.disconnectAll(containerId);
  }

  /** Stops the DNS servers; bridges, NAT and endpoints stay for the next engine on this root. */
  close(): Promise<void> {
    return this.manager.close();
  }

  /** Removes every bridge, endpoint and nft table this engine made (tests, uninstall). */
  async destroy(): Promise<void> {
    await this.manager.destroy();
    if (this.registryEntry !== undefined) rmSync(this.registryEntry, { force: true });
  }
}
