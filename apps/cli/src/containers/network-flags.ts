/**
 * The networking flags of `c run` / `c create` (`-p`, `-P`, `--expose`, `--network`, `--network-alias`, `--ip`,
 * `--dns`, `--dns-search`, `--dns-option`, `--add-host`) and their mapping onto the create body, as docker's CLI
 * does it: `-p` becomes ExposedPorts + HostConfig.PortBindings; the daemon checks the values.
 */
import type { ContainerCreateRequest } from '@c/api';
import { CError } from '@c/errors';

export interface NetworkFlags {
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  network?: string;
  networkAlias?: string[];
  ip?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
}

const list = (value: unknown): string[] | undefined => (value === undefined ? undefined : ([] as unknown[]).concat(value).map(String));

export function networkFlagsFrom(argv: Record<string, unknown>): NetworkFlags {
  const flags: NetworkFlags = {};
  const set = <K extends keyof NetworkFlags>(key: K, value: NetworkFlags[K] | undefined): void => {
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) flags[key] = value;
  };
  set('publish', list(argv.publish));
  if (argv['publish-all'] === true) flags.publishAll = true;
  set('expose', list(argv.expose));
  set('network', typeof argv.network === 'string' ? argv.network : undefined);
  set('networkAlias', list(argv['network-alias']));
  set('ip', typeof argv.ip === 'string' ? argv.ip : undefined);
  set('dns', list(argv.dns));
  set('dnsSearch', list(argv['dns-search']));
  set('dnsOption', list(argv['dns-option']));
  set('addHost', list(argv['add-host']));
  return flags;
}

function badPublish(spec: string): CError {
  return new CError('INVALID_ARGUMENT', `invalid publish spec: ${spec}`, { hint: 'use -p [ip:][hostPort:]containerPort[/tcp|udp], e.g. -p 8080:80' });
}

/** "80-81" → [80, 81]; "80" → [80, 80]. */
function range(text: string, spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw badPublish(spec);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (end < start || end > 65535) throw badPublish(spec);
  return [start, end];
}

/**
 * One `-p` value → PortBindings entries keyed "port/proto". Container ranges are expanded one port per key; a
 * host range of the same length pairs up, a host range for one container port is handed to the daemon to pick from.
 */
export function publishBindings(spec: string): [string, { HostIp: string; HostPort: string }][] {
  const slash = spec.lastIndexOf('/');
  const proto = slash > spec.lastIndexOf(':') ? spec.slice(slash + 1) : 'tcp';
  const body = slash > spec.lastIndexOf(':') ? spec.slice(0, slash) : spec;
  const parts = body.split(':');
  const containerText = parts.pop() ?? '';
  const hostText = parts.pop() ?? '';
  const ip = parts.join(':').replace(/^\[(.*)\]$/, '$1');
  const [cStart, cEnd] = range(containerText, spec);
  const count = cEnd - cStart + 1;
  const host = hostText === '' ? undefined : range(hostText, spec);
  if (host && count > 1 && host[1] - host[0] + 1 !== count) throw badPublish(spec);
  const out: [string, { HostIp: string; HostPort: string }][] = [];
  for (let i = 0; i < count; i++) {
    const hostPort = host === undefined ? '' : count > 1 ? String(host[0] + i) : host[0] === host[1] ? String(host[0]) : `${host[0]}-${host[1]}`;
    out.push([`${cStart + i}/${proto}`, { HostIp: ip, HostPort: hostPort }]);
  }
  return out;
}

/** Puts the flags into the create body (ExposedPorts, HostConfig, NetworkingConfig). */
export function applyNetworkFlags(body: ContainerCreateRequest, host: NonNullable<ContainerCreateRequest['HostConfig']>, flags: NetworkFlags | undefined): void {
  if (flags === undefined) return;
  const exposed: Record<string, Record<string, never>> = { ...(body.ExposedPorts ?? {}) };
  for (const port of flags.expose ?? []) {
    const [text = '', proto = 'tcp'] = port.split('/');
    const [start, end] = range(text, port);
    for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] = {};
  }
  if (flags.publish?.length) {
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const spec of flags.publish) {
      for (const [key, binding] of publishBindings(spec)) {
        (bindings[key] ??= []).push(binding);
        exposed[key] = {};
      }
    }
    host.PortBindings = bindings;
  }
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (flags.publishAll) host.PublishAllPorts = true;
  if (flags.network !== undefined) host.NetworkMode = flags.network;
  if (flags.dns) host.Dns = flags.dns;
  if (flags.dnsSearch) host.DnsSearch = flags.dnsSearch;
  if (flags.dnsOption) host.DnsOptions = flags.dnsOption;
  if (flags.addHost) host.ExtraHosts = flags.addHost;
  if (flags.networkAlias || flags.ip) {
    const network = flags.network ?? 'bridge';
    body.NetworkingConfig = {
      EndpointsConfig: {
        [network]: { ...(flags.networkAlias ? { Aliases: flags.networkAlias } : {}), ...(flags.ip ? { IPAMConfig: { IPv4Address: flags.ip } } : {}) },
      },
    };
  }
}
