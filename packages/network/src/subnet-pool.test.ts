import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { formatSubnet, parseSubnet, prefixOf } from './ipv4';
import { DEFAULT_SUBNET_POOLS, pickFreeSubnet } from './subnet-pool';

describe('pickFreeSubnet', () => {
  it('takes 172.17.0.0/16 on a host whose routes do not touch it', () => {
    const routes = [prefixOf('192.0.2.0/24'), prefixOf('127.0.0.0/8')];
    expect(formatSubnet(pickFreeSubnet(DEFAULT_SUBNET_POOLS, routes))).toBe('172.17.0.0/16');
  });

  it('skips every subnet that overlaps a host route or another network', () => {
    const taken = [prefixOf('172.17.5.0/24'), parseSubnet('172.18.0.0/16'), prefixOf('172.19.0.1/32')];
    expect(formatSubnet(pickFreeSubnet(DEFAULT_SUBNET_POOLS, taken))).toBe('172.20.0.0/16');
  });

  it('moves to the next pool when a whole pool is covered (a host route to 172.16.0.0/12)', () => {
    expect(formatSubnet(pickFreeSubnet(DEFAULT_SUBNET_POOLS, [prefixOf('172.16.0.0/12')]))).toBe('10.88.0.0/16');
  });

  it('cuts pools into the configured size', () => {
    const pools = [{ base: '10.231.0.0/16', size: 24 }];
    expect(formatSubnet(pickFreeSubnet(pools, [prefixOf('10.231.0.0/24'), prefixOf('10.231.1.7/32')]))).toBe('10.231.2.0/24');
  });

  it('fails with LIMIT_EXCEEDED when nothing is free', () => {
    try {
      pickFreeSubnet([{ base: '10.0.0.0/23', size: 24 }], [prefixOf('10.0.0.0/8')]);
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'LIMIT_EXCEEDED')).toBe(true);
      expect((error as Error).message).toContain('10.0.0.0/23');
    }
  });
});
