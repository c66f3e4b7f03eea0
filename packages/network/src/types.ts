import type { PortMap, PublishedPort } from './ports';

/** A network as stored in the state dir. */
export interface NetworkRecord {
  id: string;
  name: string;
  /** bridge: a Linux bridge; host and null: docker's predefined pseudo-networks (no state in the kernel). */
  driver: 'bridge' | 'host' | 'null';
  /** The Linux bridge interface (bridge driver only). */
  bridge?: string;
  subnet?: string;
  gateway?: string;
  /** No masquerade: containers reach only each other and the host. */
  internal: boolean;
  /** The default bridge: no embedded DNS (docker's behaviour), cannot be removed. */
  isDefault: boolean;
  labels: Record<string, string>;
  created: string;
}

/** One container's attachment to one network, as stored (what a daemon restart needs to rebuild NAT and DNS). */
export interface EndpointRecord {
  id: string;
  networkId: string;
  containerId: string;
  containerName: string;
  aliases: string[];
  netnsPath: string;
  /** `dev:ino` of the namespace at connect time: after a restart, a reused pid's /proc path names another one. */
  netnsId?: string;
  /** Interface name inside the container (eth0, eth1, …). */
  ifname: string;
  /** Host end of the veth pair. */
  hostVeth: string;
  ipv4: string;
  prefixLength: number;
  mac: string;
  ports: PublishedPort[];
  /** This endpoint carries the container's default route. */
  defaultRoute: boolean;
  /** The container's `--dns` servers: the network's DNS forwards its queries for unknown names there. */
  dns?: string[];
}

/** Docker's `NetworkSettings.Networks[name]` (EndpointSettings), what `docker inspect` shows per network. */
export interface EndpointSettings {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  Aliases: string[] | null;
  DNSNames: string[] | null;
}

/** What `connect` returns: the record the engine keeps and the docker-shaped views. */
export interface ConnectResult {
  networkName: string;
  endpoint: EndpointSettings;
  /** `NetworkSettings.Ports` contribution of this endpoint. */
  ports: PortMap;
  /** Host interface name (for `docker inspect`'s SandboxKey-like debugging, and leak checks). */
  hostVeth: string;
  ifname: string;
}

/** Docker's `GET /networks/{id}` body. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: { Subnet: string; Gateway: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}
