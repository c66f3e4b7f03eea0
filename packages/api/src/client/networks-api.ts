/** Network calls of the typed client: `GET /networks`, `GET /networks/{id}`, create, connect, disconnect, remove, prune. */
import { encodeFilters } from '../filters';
import type { ClientCalls } from './containers-api';

/** Docker's network object (`GET /networks`, `GET /networks/{id}`). */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: { Subnet?: string; Gateway?: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
  Labels?: Record<string, string>;
}

export interface NetworkConnectRequest {
  Container: string;
  EndpointConfig?: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } };
}

export interface NetworksApi {
  list(options?: { filters?: Record<string, string[]> }): Promise<NetworkResource[]>;
  inspect(idOrName: string): Promise<NetworkResource>;
  create(request: NetworkCreateRequest): Promise<{ Id: string; Warning: string }>;
  connect(network: string, request: NetworkConnectRequest): Promise<void>;
  disconnect(network: string, request: { Container: string; Force?: boolean }): Promise<void>;
  remove(idOrName: string): Promise<void>;
  prune(options?: { filters?: Record<string, string[]> }): Promise<{ NetworksDeleted: string[] | null }>;
}

const path = (idOrName: string): string => `/networks/${encodeURIComponent(idOrName)}`;

export function networksApi(calls: ClientCalls): NetworksApi {
  const empty = async (spec: Parameters<ClientCalls['call']>[0]): Promise<void> => {
    (await calls.call(spec)).resume();
  };
  return {
    list: (options = {}) => calls.json({ method: 'GET', path: '/networks', query: { filters: options.filters ? encodeFilters(options.filters) : undefined } }),
    inspect: (idOrName) => calls.json({ method: 'GET', path: path(idOrName) }),
    create: (request) => calls.json({ method: 'POST', path: '/networks/create', body: request }),
    connect: (network, request) => empty({ method: 'POST', path: `${path(network)}/connect`, body: request }),
    disconnect: (network, request) => empty({ method: 'POST', path: `${path(network)}/disconnect`, body: request }),
    remove: (idOrName) => empty({ method: 'DELETE', path: path(idOrName) }),
    prune: (options = {}) => calls.json({ method: 'POST', path: '/networks/prune', query: { filters: options.filters ? encodeFilters(options.filters) : undefined } }),
  };
}
