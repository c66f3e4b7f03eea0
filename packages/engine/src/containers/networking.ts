/**
 * What ContainerService needs from networking, in one place: the namespace plan for `HostConfig.NetworkMode`, the
 * /etc files, the connect between the init's creation and `start` (so the payload never runs without its network),
 * and the disconnect when the container ends. Without a NetworkService the engine keeps its old behaviour: a new
 * namespace with only `lo` (`none`), or the host's (`host`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { parseNetworkMode, planNetns, specNetworkNamespace, type ContainerFilesOptions, type NetnsPlan } from '@c/network';
import type { Spec } from '@c/runtime';
import type { NetworkService } from '../networks/service';
import { portMappingsOf } from '../networks/ports';
import { writeEtcFiles, type EtcFiles } from './record';
import type { ContainerRecord, EndpointRequest, NetworkSettings } from './types';

/**
 * A running container's netns, for `--network container:<ref>`; with the /etc files and the host name the joining
 * container takes over (docker shares them: one hosts file and resolver for every process of the namespace).
 */
export type NetnsLookup = (ref: string) => { id: string; path: string; hostname?: string; domainname?: string; files?: EtcFiles } | undefined;

const ETC_DESTINATIONS = { hostname: '/etc/hostname', hosts: '/etc/hosts', resolvConf: '/etc/resolv.conf' } as const;

export function emptyNetworkSettings(): NetworkSettings {
  return { Bridge: '', SandboxKey: '', Ports: {}, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', Networks: {} };
}

/** `host:ip` → [host, ip] (the address may itself hold colons: IPv6). */
function parseExtraHost(entry: string): [string, string] {
  const colon = entry.indexOf(':');
  if (colon <= 0 || colon === entry.length - 1) {
    throw new CError('INVALID_ARGUMENT', `invalid argument "${entry}" for "--add-host" flag: bad format for add-host`, { hint: 'use --add-host name:1.2.3.4' });
  }
  return [entry.slice(0, colon), entry.slice(colon + 1)];
}

/**
 * `container:<ref>` takes the other container's host name, /etc files and ports: options that would set them are
 * refused at create, with docker's words (its daemon refuses the same combinations).
 */
function checkJoinedMode(record: Pick<ContainerRecord, 'Id' | 'Config' | 'HostConfig'>): void {
  const hc = record.HostConfig;
  if (!hc.NetworkMode.startsWith('container:')) return;
  const conflict = (what: string, hint: string) => new CError('INVALID_ARGUMENT', `conflicting options: ${what}`, { hint });
  const flags = `the container shares ${hc.NetworkMode.slice('container:'.length)}'s`;
  if (record.Config.Hostname !== record.Id.slice(0, 12)) throw conflict('hostname and the network mode', `drop --hostname: ${flags} host name`);
  if ((hc.Dns?.length ?? 0) > 0) throw conflict('dns and the network mode', `drop --dns: ${flags} resolv.conf`);
  if ((hc.ExtraHosts?.length ?? 0) > 0) throw conflict('custom host-to-IP mapping and the network mode', `drop --add-host: ${flags} /etc/hosts`);
  if (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts === true) {
    throw conflict('port publishing and the container type network mode', `publish the ports on ${hc.NetworkMode.slice('container:'.length)} instead`);
  }
}

/** The user-visible network a mode connects to first (`bridge`, or the user network's name), if any. */
function primaryNetwork(mode: string): string | undefined {
  const parsed = parseNetworkMode(mode);
  if (parsed.kind === 'bridge') return 'bridge';
  if (parsed.kind === 'network') return parsed.name;
  return undefined;
}

export class ContainerNetworking {
  constructor(readonly service: NetworkService | undefined) {}

  get defaultMode(): string {
    return this.service === undefined ? 'none' : 'bridge';
  }

  /** Checks the mode (a user network must exist, a joined container must run) and returns the plan. */
  plan(mode: string, lookup: NetnsLookup): NetnsPlan {
    if (this.service !== undefined) return this.service.manager.plan(mode, lookup);
    const parsed = parseNetworkMode(mode);
    if (parsed.kind === 'bridge' || parsed.kind === 'network') {
      throw new CError('UNSUPPORTED', `network mode ${mode}: this engine was opened without networking`, {
        hint: 'use --network none or host, or open the engine with a NetworkService',
      });
    }
    return planNetns(parsed, lookup);
  }

  /** Puts the plan's namespace into the spec: a new one, none (host), or another container's. */
  applyToSpec(spec: Spec, plan: NetnsPlan): void {
    const linux = spec.linux ?? {};
    const others = (linux.namespaces ?? []).filter((n) => n.type !== 'network');
    const entry = specNetworkNamespace(plan);
    linux.namespaces = entry === undefined ? others : [...others, entry];
    spec.linux = linux;
  }

  /** Writes hostname, hosts and resolv.conf for a new container (addresses are added by `connect`). */
  async writeFiles(record: Pick<ContainerRecord, 'Id' | 'Name' | 'Config' | 'HostConfig'>, dir: string): Promise<EtcFiles> {
    checkJoinedMode(record);
    if (this.service === undefined) return writeEtcFiles(dir, record.Config.Hostname);
    const mounts = await this.service.manager.writeContainerFiles(this.filesOptions(record, dir));
    const source = (destination: string) => mounts.find((m) => m.destination === destination)?.source ?? join(dir, destination.slice('/etc/'.length));
    return { hostname: source('/etc/hostname'), hosts: source('/etc/hosts'), resolvConf: source('/etc/resolv.conf') };
  }

  private filesOptions(record: Pick<ContainerRecord, 'Id' | 'Name' | 'Config' | 'HostConfig'>, dir: string): ContainerFilesOptions {
    const hc = record.HostConfig;
    return {
      containerId: record.Id,
      containerDir: dir,
      hostname: record.Config.Hostname,
      containerName: record.Name,
      ...(record.Config.Domainname !== '' ? { domainname: record.Config.Domainname } : {}),
      // container:<ref> takes the joined container's files at start (refreshJoinedNamespace); these are placeholders.
      networkMode: hc.NetworkMode.startsWith('container:') ? 'none' : hc.NetworkMode,
      ...(hc.Dns && hc.Dns.length > 0 ? { dns: hc.Dns } : {}),
      ...(hc.DnsSearch && hc.DnsSearch.length > 0 ? { dnsSearch: hc.DnsSearch } : {}),
      ...(hc.DnsOptions && hc.DnsOptions.length > 0 ? { dnsOptions: hc.DnsOptions } : {}),
      ...(hc.ExtraHosts ? { extraHosts: hc.ExtraHosts.map(parseExtraHost) } : {}),
    };
  }

  /**
   * `container:<ref>` names a namespace only known at start: rewrite the bundle's spec with its path, and (as docker
   * does at every start) take over the joined container's /etc/hosts, /etc/resolv.conf, /etc/hostname and host
   * name, so both see the same names, resolver and addresses. Updates the record's paths and Config.Hostname.
   * Returns whether it rewrote the bundle's config.json.
   */
  refreshJoinedNamespace(record: ContainerRecord, bundle: string, lookup: NetnsLookup): boolean {
    const mode = record.HostConfig.NetworkMode;
    if (!mode.startsWith('container:')) return false;
    const plan = this.plan(mode, lookup);
    const joined = lookup(mode.slice('container:'.length));
    const path = join(bundle, 'config.json');
    const spec = JSON.parse(readFileSync(path, 'utf8')) as Spec;
    this.applyToSpec(spec, plan);
    if (joined?.files !== undefined) {
      const files = joined.files;
      const sources = new Map<string, string>([
        [ETC_DESTINATIONS.hostname, files.hostname],
        [ETC_DESTINATIONS.hosts, files.hosts],
        [ETC_DESTINATIONS.resolvConf, files.resolvConf],
      ]);
      for (const mount of spec.mounts ?? []) {
        const source = sources.get(mount.destination);
        if (source !== undefined && mount.type === 'bind') mount.source = source;
      }
      record.HostnamePath = files.hostname;
      record.HostsPath = files.hosts;
      record.ResolvConfPath = files.resolvConf;
    }
    if (joined?.hostname !== undefined) {
      const hostname = joined.hostname;
      record.Config.Hostname = hostname;
      record.Config.Domainname = joined.domainname ?? '';
      spec.hostname = hostname;
      if (spec.process?.env !== undefined) spec.process.env = spec.process.env.map((e) => (e.startsWith('HOSTNAME=') ? `HOSTNAME=${hostname}` : e));
    }
    writeFileSync(path, JSON.stringify(spec, null, 2));
    return true;
  }

  /**
   * Connects the init's namespace (it exists, the payload has not started) to the mode's network and to the
   * networks added while stopped, publishes the ports on the first one, and rewrites /etc/hosts in place with the
   * addresses. Returns the container's NetworkSettings. On failure nothing stays connected.
   */
  async connect(record: ContainerRecord, pid: number, dir: string): Promise<NetworkSettings> {
    const service = this.service;
    const primary = primaryNetwork(record.HostConfig.NetworkMode);
    if (service === undefined || primary === undefined) return emptyNetworkSettings();
    const id = record.Id;
    const netnsPath = `/proc/${pid}/ns/net`;
    const exposed = Object.keys(record.Config.ExposedPorts ?? {});
    const ports = portMappingsOf(record.HostConfig.PortBindings, record.HostConfig.PublishAllPorts === true, exposed);
    const requests: [string, EndpointRequest][] = [[primary, record.C.networks?.[primary] ?? {}]];
    for (const [network, request] of Object.entries(record.C.networks ?? {})) if (network !== primary) requests.push([network, request]);
    try {
      for (const [network, request] of requests) {
        await service.connect({
          containerId: id,
          containerName: record.Name,
          netnsPath,
          network,
          ...(request.aliases && request.aliases.length > 0 ? { aliases: request.aliases } : {}),
          ...(request.ipv4Address ? { ipv4Address: request.ipv4Address } : {}),
          ...(network === primary ? { ports } : {}),
          ...(record.HostConfig.Dns && record.HostConfig.Dns.length > 0 ? { dns: record.HostConfig.Dns } : {}),
        });
      }
      // resolv.conf and hostname were written at create and do not change with the addresses.
      await service.manager.writeHostsFile(this.filesOptions(record, dir));
    } catch (error) {
      await service.disconnectAll(id).catch(() => undefined);
      throw error;
    }
    return this.settingsOf(record, netnsPath);
  }

  /**
   * Whether `connect` connects this container to anything: not without a NetworkService, nor in a mode that has
   * no network of its own (`none`, `host`, `container:<ref>`), which `network connect` also refuses.
   */
  connects(record: ContainerRecord): boolean {
    return this.service !== undefined && primaryNetwork(record.HostConfig.NetworkMode) !== undefined;
  }

  /** docker's NetworkSettings for a container from its live endpoints (empty addresses when it is not connected). */
  settingsOf(record: ContainerRecord, sandboxKey = ''): NetworkSettings {
    const settings = emptyNetworkSettings();
    if (this.service === undefined) return settings;
    const { networks, ports } = this.service.manager.containerSettings(record.Id);
    const exposed = Object.keys(record.Config.ExposedPorts ?? {});
    const hasEndpoints = Object.keys(networks).length > 0;
    settings.SandboxKey = sandboxKey;
    settings.Networks = networks;
    settings.Ports = hasEndpoints ? { ...Object.fromEntries(exposed.map((k) => [k, null])), ...ports } : {};
    const first = primaryNetwork(record.HostConfig.NetworkMode);
    const main = first === undefined ? undefined : networks[first];
    if (main !== undefined) {
      settings.IPAddress = main.IPAddress;
      settings.IPPrefixLen = main.IPPrefixLen;
      settings.Gateway = main.Gateway;
      settings.MacAddress = main.MacAddress;
    }
    return settings;
  }

  /** Leases, published ports, DNS names and veths of the container go. Idempotent. */
  async disconnect(id: string): Promise<void> {
    await this.service?.disconnectAll(id);
  }
}
