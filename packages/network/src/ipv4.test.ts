import { describe, expect, it } from 'vitest';
import { formatIpv4, formatSubnet, macForIpv4, parseIpv4, parseSubnet, prefixOf, subnetContains, subnetsOverlap } from './ipv4';

describe('ipv4', () => {
  it('round-trips addresses, including the top of the range', () => {
    for (const text of ['0.0.0.0', '10.88.0.1', '172.17.255.254', '255.255.255.255']) expect(formatIpv4(parseIpv4(text))).toBe(text);
    expect(parseIpv4('172.17.0.2')).toBe(0xac110002);
  });

  it('rejects malformed addresses', () => {
    for (const text of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', '']) {
      expect(() => parseIpv4(text)).toThrow(/invalid IPv4 address/);
    }
  });

  it('parses subnets and refuses host bits like docker', () => {
    expect(formatSubnet(parseSubnet('172.18.0.0/16'))).toBe('172.18.0.0/16');
    expect(() => parseSubnet('172.18.0.1/16')).toThrow(/host bits set.*172\.18\.0\.0\/16/);
    expect(() => parseSubnet('172.18.0.0/33')).toThrow(/invalid subnet/);
    expect(() => parseSubnet('172.18.0.0')).toThrow(/invalid subnet/);
    expect(formatSubnet(prefixOf('192.0.2.7/24'))).toBe('192.0.2.0/24');
    expect(formatSubnet(prefixOf('192.0.2.7'))).toBe('192.0.2.7/32');
  });

  it('decides containment and overlap', () => {
    const net = parseSubnet('10.88.0.0/16');
    expect(subnetContains(net, parseIpv4('10.88.255.255'))).toBe(true);
    expect(subnetContains(net, parseIpv4('10.89.0.0'))).toBe(false);
    expect(subnetsOverlap(net, parseSubnet('10.88.4.0/24'))).toBe(true);
    expect(subnetsOverlap(parseSubnet('10.0.0.0/8'), net)).toBe(true);
    expect(subnetsOverlap(net, parseSubnet('10.89.0.0/16'))).toBe(false);
  });

  it('derives docker-style MACs from addresses', () => {
    expect(macForIpv4(parseIpv4('172.17.0.2'))).toBe('02:42:ac:11:00:02');
  });
});
