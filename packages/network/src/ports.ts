import { invalidArgument } from '@c/errors';
import { isIpv4 } from './ipv4';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/** One container port and how it is published. `hostPort` undefined = pick a free host port at connect time. */
export interface PortMapping {
  containerPort: number;
  protocol: PortProtocol;
  /** '' = every host address (docker's 0.0.0.0). */
  hostIp: string;
  /** A fixed host port, or a range to choose from (start..end) when one container port gets a host range. */
  hostPort?: { start: number; end: number };
}

/** Docker's `NetworkSettings.Ports`: "80/tcp" → bindings, or null for an exposed but unpublished port. */
export type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** Split like docker's go-connections splitParts: the last two colon parts are host port and container port. */
function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  switch (parts.length) {
    case 1:
      return ['', '', parts[0] ?? ''];
    case 2:
      return ['', parts[0] ?? '', parts[1] ?? ''];
    default:
      return [parts.slice(0, -2).join(':'), parts.at(-2) ?? '', parts.at(-1) ?? ''];
  }
}

function parsePortNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 65535 ? value : undefined;
}

/** "8080" or "8000-8010" → [start, end], undefined when malformed. */
function parseRange(text: string): [number, number] | undefined {
  const pieces = text.split('-');
  if (pieces.length > 2) return undefined;
  const start = parsePortNumber(pieces[0] ?? '');
  const end = pieces.length === 2 ? parsePortNumber(pieces[1] ?? '') : start;
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function bad(message: string): never {
  throw invalidArgument(message, { hint: 'use -p [ip:][hostPort:]containerPort[/tcp|udp|sctp], e.g. -p 8080:80 or -p 127.0.0.1:8080:80/tcp' });
}

/**
 * Parse one `-p/--publish` value with docker's rules and error messages:
 * `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `127.0.0.1::80`, `8000-8001:80-81`, `8000-8010:80` (a host range to pick from).
 */
export function parsePublishSpec(raw: string): PortMapping[] {
  const [rawIp, hostPort, containerWithProto] = splitParts(raw);
  const slash = containerWithProto.indexOf('/');
  const containerPort = slash === -1 ? containerWithProto : containerWithProto.slice(0, slash);
  const protoText = slash === -1 ? 'tcp' : containerWithProto.slice(slash + 1) || 'tcp';
  const protocol = protoText.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') bad(`invalid proto: ${protoText}`);

  let ip = rawIp;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== '' && !isIpv4(ip)) {
    if (ip.includes(':')) {
      throw invalidArgument(`IPv6 host address ${ip} is not supported for port publishing yet`, { hint: 'publish on an IPv4 address or on all addresses' });
    }
    bad(`invalid IP address: ${ip}`);
  }
  if (containerPort === '') bad(`no port specified: ${raw}<empty>`);
  const containerRange = parseRange(containerPort);
  if (containerRange === undefined || containerRange[0] === 0) bad(`invalid containerPort: ${containerPort}`);

  let hostRange: [number, number] | undefined;
  if (hostPort !== '') {
    hostRange = parseRange(hostPort);
    if (hostRange === undefined) bad(`invalid hostPort: ${hostPort}`);
    const containerSpan = containerRange[1] - containerRange[0];
    if (hostRange[1] - hostRange[0] !== containerSpan && containerSpan !== 0) {
      bad(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }

  const mappings: PortMapping[] = [];
  const count = containerRange[1] - containerRange[0] + 1;
  for (let i = 0; i < count; i++) {
    const mapping: PortMapping = { containerPort: containerRange[0] + i, protocol, hostIp: ip === '0.0.0.0' ? '' : ip };
    if (hostRange !== undefined) {
      // One container port with a host range: the range is where a free port is chosen (docker's behaviour).
      mapping.hostPort = count === 1 ? { start: hostRange[0], end: hostRange[1] } : { start: hostRange[0] + i, end: hostRange[0] + i };
      if (mapping.hostPort.start === 0) delete mapping.hostPort;
    }
    mappings.push(mapping);
  }
  return mappings;
}

/** `-P`: every EXPOSEd port ("80/tcp", "53/udp", "8080") published on a random host port on all addresses. */
export function publishAllExposed(exposed: Iterable<string>): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const key of exposed) {
    const [port, proto = 'tcp'] = key.split('/');
    mappings.push(...parsePublishSpec(`${port}/${proto}`));
  }
  return mappings;
}

/** The key docker uses in port maps: "80/tcp". */
export function portKey(containerPort: number, protocol: PortProtocol): string {
  return `${containerPort}/${protocol}`;
}

/** One concrete binding after host ports were chosen. */
export interface PublishedPort {
  containerPort: number;
  protocol: PortProtocol;
  hostIp: string;
  hostPort: number;
}

/** Build `NetworkSettings.Ports`: exposed ports without a binding appear as null, like docker inspect shows them. */
export function toPortMap(published: readonly PublishedPort[], exposed: Iterable<string> = []): PortMap {
  const map: PortMap = {};
  for (const key of exposed) map[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const port of published) {
    const key = portKey(port.containerPort, port.protocol);
    const list = map[key] ?? [];
    list.push({ HostIp: port.hostIp === '' ? '0.0.0.0' : port.hostIp, HostPort: String(port.hostPort) });
    map[key] = list;
  }
  return map;
}
