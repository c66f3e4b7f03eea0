import { invalidArgument } from '@c/errors';
import type { CommandRunner } from './exec';
import { checkInterfaceName } from './link';
import type { NftPortElements } from './netlink/nftables';

/** One published port as a DNAT map element. hostIp '' = every local address. */
export interface DnatEntry {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/**
 * The NAT and isolation rules of c live in one nftables table of their own, so they never mix with the host's
 * firewall and go with one `delete table`. The rules are fixed; networks and published ports are set and map
 * elements, so attaching a container adds elements instead of rules (no rule handles to track).
 */
export class NatTable {
  constructor(
    private readonly runner: CommandRunner,
    readonly table = 'c',
    /** When given, published-port elements go over nfnetlink (no `nft` process on the container start path). */
    private readonly portElements?: NftPortElements,
  ) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,30}$/.test(table)) {
      throw invalidArgument(`invalid nftables table name "${table}"`, { hint: 'use letters, digits and _ only' });
    }
  }

  /** (Re)create the table empty: a daemon start rebuilds it from its state, dropping whatever a crash left. */
  async reset(): Promise<void> {
    await this.runner.run(['nft', '-f', '-'], this.baseScript());
  }

  async remove(): Promise<void> {
    const tables = await this.runner.run(['nft', 'list', 'tables', 'ip']);
    if (tables.split('\n').some((line) => line.trim() === `table ip ${this.table}`)) {
      await this.runner.run(['nft', 'delete', 'table', 'ip', this.table]);
    }
  }

  /** `internal`: no masquerade and no forwarding in or out of the bridge (docker's --internal). */
  async addNetwork(bridge: string, subnet: string, internal: boolean): Promise<void> {
    await this.apply('add', this.networkElements(bridge, subnet, internal));
  }

  async removeNetwork(bridge: string, subnet: string, internal: boolean): Promise<void> {
    await this.apply('delete', this.networkElements(bridge, subnet, internal));
  }

  async addPorts(entries: readonly DnatEntry[]): Promise<void> {
    if (this.portElements) return this.portElements.apply('add', entries);
    await this.apply(
      'add',
      entries.map((e) => this.portElement(e, true)),
    );
  }

  async removePorts(entries: readonly DnatEntry[]): Promise<void> {
    if (this.portElements) return this.portElements.apply('delete', entries);
    await this.apply(
      'delete',
      entries.map((e) => this.portElement(e, false)),
    );
  }

  /** The table as nft prints it (tests and leak checks). */
  list(): Promise<string> {
    return this.runner.run(['nft', 'list', 'table', 'ip', this.table]);
  }

  private async apply(verb: 'add' | 'delete', elements: readonly [string, string][]): Promise<void> {
    if (elements.length === 0) return;
    const script = elements.map(([set, element]) => `${verb} element ip ${this.table} ${set} { ${element} }`).join('\n');
    await this.runner.run(['nft', '-f', '-'], `${script}\n`);
  }

  private networkElements(bridge: string, subnet: string, internal: boolean): [string, string][] {
    checkInterfaceName(bridge);
    const elements: [string, string][] = [
      ['bridges', `"${bridge}"`],
      ['same_bridge', `"${bridge}" . "${bridge}"`],
    ];
    if (internal) elements.push(['internal', `"${bridge}"`]);
    else elements.push(['subnets', subnet]);
    return elements;
  }

  private portElement(e: DnatEntry, withValue: boolean): [string, string] {
    const key = e.hostIp === '' ? `${e.hostPort}` : `${e.hostIp} . ${e.hostPort}`;
    const map = e.hostIp === '' ? `pub_${e.protocol}` : `pub_ip_${e.protocol}`;
    return [map, withValue ? `${key} : ${e.containerIp} . ${e.containerPort}` : key];
  }

  private baseScript(): string {
    const t = this.table;
    // `table` then `delete table` makes the reset idempotent whether or not the table exists.
    return `table ip ${t}
delete table ip ${t}
table ip ${t} {
  set bridges { type ifname; }
  set same_bridge { type ifname . ifname; }
  set subnets { type ipv4_addr; flags interval; }
  set internal { type ifname; }
  map pub_tcp { type inet_service : ipv4_addr . inet_service; }
  map pub_udp { type inet_service : ipv4_addr . inet_service; }
  map pub_ip_tcp { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map pub_ip_udp { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  chain publish {
    meta l4proto tcp dnat ip to ip daddr . tcp dport map @pub_ip_tcp
    meta l4proto tcp dnat ip to tcp dport map @pub_tcp
    meta l4proto udp dnat ip to ip daddr . udp dport map @pub_ip_udp
    meta l4proto udp dnat ip to udp dport map @pub_udp
  }
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; fib daddr type local jump publish; }
  chain output { type nat hook output priority -100; policy accept; fib daddr type local jump publish; }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 127.0.0.0/8 oifname @bridges masquerade
    ct status dnat ip saddr @subnets oifname @bridges masquerade
    ip saddr @subnets oifname != @bridges masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname . oifname @same_bridge accept
    iifname @internal drop
    oifname @internal drop
    ct status dnat accept
    iifname @bridges oifname @bridges drop
  }
}
`;
  }
}
