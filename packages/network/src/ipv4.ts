import { invalidArgument } from '@c/errors';

/** An IPv4 prefix: `base` is the network address as an unsigned 32-bit number. */
export interface Ipv4Subnet {
  base: number;
  prefixLength: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(text: string): boolean {
  const m = IPV4.exec(text);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255 && String(Number(part)) === part);
}

export function parseIpv4(text: string): number {
  if (!isIpv4(text)) {
    throw invalidArgument(`invalid IPv4 address: "${text}"`, { hint: 'write an address as four decimal numbers 0-255, e.g. 172.17.0.2' });
  }
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parse `a.b.c.d/n`; the host bits must be zero (docker refuses `172.18.0.1/16` as a subnet too). */
export function parseSubnet(text: string): Ipv4Subnet {
  const [addr, len, extra] = text.split('/');
  const prefixLength = Number(len);
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len) || prefixLength > 32) {
    throw invalidArgument(`invalid subnet: "${text}"`, { hint: 'use CIDR notation, e.g. 172.18.0.0/16' });
  }
  const value = parseIpv4(addr);
  const base = (value & maskOf(prefixLength)) >>> 0;
  if (base !== value) {
    throw invalidArgument(`invalid subnet ${text}: it has host bits set (the network address is ${formatIpv4(base)}/${prefixLength})`, {
      hint: `use ${formatIpv4(base)}/${prefixLength}`,
    });
  }
  return { base, prefixLength };
}

export function formatSubnet(subnet: Ipv4Subnet): string {
  return `${formatIpv4(subnet.base)}/${subnet.prefixLength}`;
}

export function subnetSize(subnet: Ipv4Subnet): number {
  return 2 ** (32 - subnet.prefixLength);
}

export function subnetContains(subnet: Ipv4Subnet, address: number): boolean {
  return ((address & maskOf(subnet.prefixLength)) >>> 0) === subnet.base;
}

export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  const mask = maskOf(shorter);
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** A locally administered MAC derived from the address, as docker does (02:42 + the four address bytes). */
export function macForIpv4(address: number): string {
  const bytes = [0x02, 0x42, address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The prefix a CIDR with host bits belongs to: `192.0.2.7/24` → 192.0.2.0/24; a bare address is a /32. */
export function prefixOf(cidr: string): Ipv4Subnet {
  const [addr = '', len = '32'] = cidr.split('/');
  const prefixLength = Number(len);
  if (!/^\d{1,2}$/.test(len) || prefixLength > 32) throw invalidArgument(`invalid prefix length in ${cidr}`);
  return { base: (parseIpv4(addr) & maskOf(prefixLength)) >>> 0, prefixLength };
}
