/** The engine's NetworkService for the daemon's root, and the network routes' backend over it and the containers. */
import { NetworkService } from '@c/engine';
import type { NetworksBackend } from './routes/networks';

/** Bridges, NAT and DNS of the root (`<root>/network`), rebuilt from its state: containers still running stay connected. */
export function openEngineNetworkService(root: string): Promise<NetworkService> {
  return NetworkService.open({ root });
}

export function engineNetworksBackend(network: NetworkService, containers: Pick<NetworksBackend, 'connectNetwork' | 'disconnectNetwork'>): NetworksBackend {
  return {
    create: (options) => network.create(options),
    list: () => network.list(),
    inspect: (idOrName) => network.inspect(idOrName),
    remove: (idOrName) => network.remove(idOrName),
    prune: () => network.prune(),
    connectNetwork: (container, name, request) => containers.connectNetwork(container, name, request),
    disconnectNetwork: (container, name) => containers.disconnectNetwork(container, name),
  };
}
