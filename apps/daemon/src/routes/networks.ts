/**
 * Docker's network endpoints over the engine's NetworkService (list, inspect, create, remove, prune) and
 * ContainerService (connect, disconnect): `GET /networks`, `GET /networks/{id}`, `POST /networks/create`,
 * `POST /networks/{id}/connect|disconnect`, `DELETE /networks/{id}`, `POST /networks/prune`.
 */
import type { ServerResponse } from 'node:http';
import { checkFilterKeys, parseFilters, type Filters } from '@c/api';
import { CError } from '@c/errors';
import type { NetworkInspect } from '@c/engine';
import { readJsonBody, sendJson } from '../http/respond';
import type { Route } from '../http/router';

/** What the routes need: the engine's NetworkService, plus ContainerService's connect/disconnect. */
export interface NetworksBackend {
  create(options: { name: string; subnet?: string; gateway?: string; internal?: boolean; labels?: Record<string, string> }): Promise<NetworkInspect>;
  list(): NetworkInspect[];
  inspect(idOrName: string): NetworkInspect;
  remove(idOrName: string): Promise<void>;
  prune(): Promise<string[]>;
  connectNetwork(container: string, network: string, request?: { aliases?: string[]; ipv4Address?: string }): Promise<void>;
  disconnectNetwork(container: string, network: string): Promise<void>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const NETWORK_FILTERS = ['name', 'id', 'driver', 'label', 'type', 'scope'] as const;
const PREDEFINED = new Set(['bridge', 'host', 'none']);

/** docker's network filters: name and id match substrings/prefixes, values of one key OR-ed, keys AND-ed. */
export function networkMatches(network: NetworkInspect, filters: Filters): boolean {
  const any = (key: string, test: (value: string) => boolean): boolean => {
    const values = filters.get(key);
    return values === undefined || values.length === 0 || values.some(test);
  };
  return (
    any('name', (v) => network.Name.includes(v)) &&
    any('id', (v) => network.Id.startsWith(v)) &&
    any('driver', (v) => network.Driver === v) &&
    any('scope', (v) => network.Scope === v) &&
    any('type', (v) => (v === 'builtin' ? PREDEFINED.has(network.Name) : v === 'custom' ? !PREDEFINED.has(network.Name) : false)) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq === -1 ? v in network.Labels : network.Labels[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

function optionalText(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new CError('INVALID_ARGUMENT', `invalid network request: ${field} must be a string`, { hint: 'send a body shaped like docker’s' });
  return value;
}

/** `POST /networks/create` body → the engine's options. Only the bridge driver and one IPv4 IPAM config exist. */
export function parseNetworkCreate(raw: unknown): Parameters<NetworksBackend['create']>[0] {
  if (!isObject(raw)) throw new CError('INVALID_ARGUMENT', 'network create needs a JSON body', { hint: 'send {"Name": "…"}' });
  const name = optionalText(raw, 'Name');
  if (name === undefined) throw new CError('INVALID_ARGUMENT', 'network create: Name is required', { hint: 'send {"Name": "…"}' });
  const driver = optionalText(raw, 'Driver') ?? 'bridge';
  if (driver !== 'bridge') throw new CError('UNSUPPORTED', `network driver ${driver} is not supported`, { hint: 'use the bridge driver' });
  if (raw.EnableIPv6 === true) throw new CError('UNSUPPORTED', 'IPv6 networks are not supported', { hint: 'create an IPv4 network' });
  const options: Parameters<NetworksBackend['create']>[0] = { name };
  const ipam = isObject(raw.IPAM) ? raw.IPAM : {};
  const configs = Array.isArray(ipam.Config) ? ipam.Config.filter(isObject) : [];
  if (configs.length > 1) throw new CError('UNSUPPORTED', 'only one IPAM config per network is supported', { hint: 'give one --subnet' });
  const subnet = configs[0] ? optionalText(configs[0], 'Subnet') : undefined;
  const gateway = configs[0] ? optionalText(configs[0], 'Gateway') : undefined;
  if (subnet !== undefined) options.subnet = subnet;
  if (gateway !== undefined) options.gateway = gateway;
  if (raw.Internal === true) options.internal = true;
  if (isObject(raw.Labels)) options.labels = Object.fromEntries(Object.entries(raw.Labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return options;
}

function containerOf(body: unknown): string {
  const container = isObject(body) ? optionalText(body, 'Container') : undefined;
  if (container === undefined) throw new CError('INVALID_ARGUMENT', 'Container is required', { hint: 'send {"Container": "<id or name>"}' });
  return container;
}

function endpointRequest(body: unknown): { aliases?: string[]; ipv4Address?: string } {
  const config = isObject(body) && isObject(body.EndpointConfig) ? body.EndpointConfig : {};
  const request: { aliases?: string[]; ipv4Address?: string } = {};
  if (Array.isArray(config.Aliases)) request.aliases = config.Aliases.filter((a): a is string => typeof a === 'string');
  const ipam = isObject(config.IPAMConfig) ? config.IPAMConfig : {};
  const ip = optionalText(ipam, 'IPv4Address');
  if (ip !== undefined) request.ipv4Address = ip;
  return request;
}

function noContent(res: ServerResponse, status: number): void {
  res.writeHead(status).end();
}

export function networkRoutes(networks: NetworksBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/networks',
      handler: ({ res, query }) => {
        const filters = parseFilters(query.get('filters'));
        checkFilterKeys(filters, NETWORK_FILTERS);
        sendJson(res, 200, networks.list().filter((n) => networkMatches(n, filters)));
      },
    },
    {
      method: 'GET',
      pattern: '/networks/{id}',
      handler: ({ res, params }) => sendJson(res, 200, networks.inspect(params.id ?? '')),
    },
    {
      method: 'POST',
      pattern: '/networks/create',
      handler: async ({ req, res }) => {
        const created = await networks.create(parseNetworkCreate(await readJsonBody(req)));
        sendJson(res, 201, { Id: created.Id, Warning: '' });
      },
    },
    {
      method: 'POST',
      pattern: '/networks/prune',
      handler: async ({ res }) => sendJson(res, 200, { NetworksDeleted: await networks.prune() }),
    },
    {
      method: 'POST',
      pattern: '/networks/{id}/connect',
      handler: async ({ req, res, params }) => {
        const body = await readJsonBody(req);
        await networks.connectNetwork(containerOf(body), params.id ?? '', endpointRequest(body));
        noContent(res, 200);
      },
    },
    {
      method: 'POST',
      pattern: '/networks/{id}/disconnect',
      handler: async ({ req, res, params }) => {
        await networks.disconnectNetwork(containerOf(await readJsonBody(req)), params.id ?? '');
        noContent(res, 200);
      },
    },
    {
      method: 'DELETE',
      pattern: '/networks/{id}',
      handler: async ({ res, params }) => {
        await networks.remove(params.id ?? '');
        noContent(res, 204);
      },
    },
  ];
}
