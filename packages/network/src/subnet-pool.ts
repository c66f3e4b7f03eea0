import { CError } from '@c/errors';
import { formatSubnet, parseSubnet, subnetsOverlap, type Ipv4Subnet } from './ipv4';

/** Where bridge subnets come from when the user gives none: docker's default pools (172.17-31/16, then 192.168.x/20). */
export const DEFAULT_SUBNET_POOLS: readonly SubnetPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/15', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/13', size: 16 },
  { base: '10.88.0.0/13', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export interface SubnetPool {
  /** The range to cut subnets from, CIDR. */
  base: string;
  /** Prefix length of each subnet handed out. */
  size: number;
}

/**
 * The first subnet from `pools` that overlaps none of `taken` (host routes, host addresses, other networks).
 * Pure: the caller reads the routes (see `readHostPrefixes`).
 */
export function pickFreeSubnet(pools: readonly SubnetPool[], taken: readonly Ipv4Subnet[]): Ipv4Subnet {
  for (const pool of pools) {
    const range = parseSubnet(pool.base);
    if (pool.size < range.prefixLength || pool.size > 30) continue;
    const step = 2 ** (32 - pool.size);
    const count = 2 ** (pool.size - range.prefixLength);
    for (let i = 0; i < count; i++) {
      const candidate: Ipv4Subnet = { base: (range.base + i * step) >>> 0, prefixLength: pool.size };
      if (!taken.some((t) => subnetsOverlap(t, candidate))) return candidate;
    }
  }
  throw new CError('LIMIT_EXCEEDED', `no free subnet left in the pools ${pools.map((p) => p.base).join(', ')}`, {
    hint: 'remove unused networks (c network prune) or create the network with an explicit --subnet',
    details: { taken: taken.map(formatSubnet) },
  });
}
