import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { CError } from '@c/errors';
import type { CommandRunner } from './exec';
import { prefixOf, type Ipv4Subnet } from './ipv4';
import type { NetlinkLinks } from './netlink/links';

/** Linux limits interface names to 15 bytes (IFNAMSIZ - 1). */
export function checkInterfaceName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new CError('INVALID_ARGUMENT', `invalid interface name "${name}"`, {
      hint: 'use 1-15 characters from letters, digits, "_", "-" and "."',
    });
  }
  return name;
}

export interface BridgeSpec {
  name: string;
  /** Gateway address with prefix, e.g. 172.17.0.1/16. */
  gatewayCidr: string;
  mtu: number;
}

export interface VethSpec {
  /** The container's network namespace (/proc/<pid>/ns/net or a bind-mounted nsfs file). */
  netnsPath: string;
  hostName: string;
  /** Name inside the container (eth0, eth1, …). */
  containerName: string;
  bridge: string;
  addressCidr: string;
  mac: string;
  mtu: number;
  /** Default route via this gateway (only the container's first network gets one). */
  gateway?: string;
}

/**
 * Links, addresses and routes. The per-container hot path (veth attach, link delete) goes over rtnetlink when a
 * `NetlinkLinks` is given; everything else, and the whole path without it, runs iproute2 (`ip -batch`: one
 * process per namespace touched).
 */
export class LinkOps {
  constructor(
    private readonly runner: CommandRunner,
    private readonly sysfs = '/sys/class/net',
    private readonly procSys = '/proc/sys',
    private readonly netlink?: NetlinkLinks,
  ) {}

  linkExists(name: string): boolean {
    return existsSync(`${this.sysfs}/${name}`);
  }

  /** Create the bridge with its gateway address unless it exists; allow DNAT of 127.0.0.1 towards it (route_localnet). */
  async ensureBridge(spec: BridgeSpec): Promise<void> {
    checkInterfaceName(spec.name);
    if (!this.linkExists(spec.name)) {
      const script = [
        `link add name ${spec.name} mtu ${spec.mtu} type bridge`,
        `addr add ${spec.gatewayCidr} dev ${spec.name}`,
        `link set ${spec.name} up`,
      ];
      await this.runner.run(['ip', '-batch', '-'], `${script.join('\n')}\n`);
    }
    await this.writeSysctl(`net/ipv4/conf/${spec.name}/route_localnet`, '1');
  }

  async deleteLink(name: string): Promise<void> {
    checkInterfaceName(name);
    if (!this.linkExists(name)) return;
    try {
      if (this.netlink) await this.netlink.deleteLink(name);
      else await this.runner.run(['ip', 'link', 'del', name]);
    } catch (error) {
      // A veth disappears with its namespace: a race with the container's exit is not a failure.
      if (this.linkExists(name)) throw error;
    }
  }

  /** Create the veth pair with one end already in the container's namespace, enslave the host end, configure the inside. */
  async attachVeth(spec: VethSpec): Promise<void> {
    checkInterfaceName(spec.hostName);
    checkInterfaceName(spec.containerName);
    if (spec.netnsPath.includes(' ') || spec.netnsPath.includes('\n')) {
      throw new CError('INVALID_ARGUMENT', `network namespace path "${spec.netnsPath}" contains white space`, { hint: 'pass /proc/<pid>/ns/net' });
    }
    if (this.netlink) {
      const [address = '', prefix = ''] = spec.addressCidr.split('/');
      this.netlink.attachVeth({ ...spec, address, prefixLength: Number(prefix) });
      return;
    }
    const host = [
      `link add name ${spec.hostName} mtu ${spec.mtu} type veth peer name ${spec.containerName} mtu ${spec.mtu} address ${spec.mac} netns ${spec.netnsPath}`,
      `link set ${spec.hostName} master ${spec.bridge} up`,
      // With br_netfilter loaded, DNAT happens while bridging: a container reaching its own published port needs
      // the frame to leave through the port it came in on.
      `link set ${spec.hostName} type bridge_slave hairpin on`,
    ];
    await this.runner.run(['ip', '-batch', '-'], `${host.join('\n')}\n`);
    const inside = [`addr add ${spec.addressCidr} dev ${spec.containerName}`, `link set ${spec.containerName} up`, 'link set lo up'];
    if (spec.gateway !== undefined) inside.push(`route replace default via ${spec.gateway} dev ${spec.containerName}`);
    try {
      await this.runner.run(['nsenter', `--net=${spec.netnsPath}`, 'ip', '-batch', '-'], `${inside.join('\n')}\n`);
    } catch (error) {
      await this.deleteLink(spec.hostName).catch(() => undefined);
      throw error;
    }
  }

  /** IPv4 forwarding must be on for containers to reach anything past the bridge (docker turns it on too). */
  async enableForwarding(): Promise<void> {
    await this.writeSysctl('net/ipv4/ip_forward', '1');
  }

  /** The MTU of the interface carrying the host's default route; 1500 when there is none. */
  async defaultRouteMtu(): Promise<number> {
    const out = await this.runner.run(['ip', '-j', '-4', 'route', 'show', 'default']);
    const routes = JSON.parse(out || '[]') as { dev?: string }[];
    const dev = routes[0]?.dev;
    if (dev === undefined) return 1500;
    try {
      const mtu = Number(readFileSync(`${this.sysfs}/${dev}/mtu`, 'utf8').trim());
      return Number.isInteger(mtu) && mtu >= 576 ? mtu : 1500;
    } catch {
      return 1500;
    }
  }

  /** Every IPv4 prefix the host routes or owns: a new bridge subnet must overlap none of them. */
  async hostPrefixes(): Promise<Ipv4Subnet[]> {
    const out = await this.runner.run(['ip', '-j', '-4', 'route', 'show', 'table', 'all']);
    const prefixes: Ipv4Subnet[] = [];
    for (const route of JSON.parse(out || '[]') as { dst?: string; type?: string }[]) {
      if (route.dst === undefined || route.dst === 'default' || route.type === 'broadcast') continue;
      try {
        prefixes.push(prefixOf(route.dst));
      } catch {
        // Not IPv4 in dotted form: cannot collide with a bridge subnet.
      }
    }
    return prefixes;
  }

  private async writeSysctl(key: string, value: string): Promise<void> {
    const path = `${this.procSys}/${key}`;
    try {
      await writeFile(path, value);
    } catch (cause) {
      throw new CError('SYSCALL', `cannot write ${value} to ${path}: ${(cause as Error).message}`, {
        cause,
        hint: 'run the daemon as root with CAP_NET_ADMIN in the host network namespace',
      });
    }
  }
}
