import { describe, expect, it } from 'vitest';
import { parseAttrs, parseMessages } from './codec';
import { batchBegin, batchEnd, portElement, setElementsMessage } from './nftables';

describe('nf_tables set elements', () => {
  it('encodes keys and values the way nft does (fields padded to 32-bit registers)', () => {
    // Reference bytes: `nft --debug=mnl add element ip t pub_ip_tcp { 127.0.0.1 . 8081 : 172.17.0.2 . 80 }`.
    const specific = portElement({ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8081, containerIp: '172.17.0.2', containerPort: 80 }, true);
    expect(specific.set).toBe('pub_ip_tcp');
    expect(specific.key.toString('hex')).toBe('7f0000011f910000');
    expect(specific.data?.toString('hex')).toBe('ac11000200500000');
    // A lone inet_service key is 2 bytes (`nft … pub_tcp { 8080 }` sends 1f 90).
    const any = portElement({ protocol: 'udp', hostIp: '', hostPort: 8080, containerIp: '172.17.0.2', containerPort: 53 }, false);
    expect([any.set, any.key.toString('hex'), any.data]).toEqual(['pub_udp', '1f90', undefined]);
  });

  it('builds a NEWSETELEM message with table, set and nested element list', () => {
    const element = portElement({ protocol: 'tcp', hostIp: '', hostPort: 8080, containerIp: '172.17.0.2', containerPort: 80 }, true);
    const message = setElementsMessage('add', 5, 'c', 'pub_tcp', [element]);
    const [parsed] = parseMessages(message);
    expect(parsed?.type).toBe((10 << 8) | 12);
    expect(message.readUInt16LE(6) & 0x4).toBe(0x4); // ACK requested
    expect(message.subarray(16, 20).toString('hex')).toBe('02000000'); // nfgenmsg: NFPROTO_IPV4
    const attrs = parseAttrs(parsed?.payload ?? Buffer.alloc(0), 4);
    expect(attrs.get(1)?.toString()).toBe('c\0');
    expect(attrs.get(2)?.toString()).toBe('pub_tcp\0');
    const listElem = parseAttrs(attrs.get(3) ?? Buffer.alloc(0), 0).get(1) ?? Buffer.alloc(0);
    const parts = parseAttrs(listElem, 0);
    expect(parseAttrs(parts.get(1) ?? Buffer.alloc(0), 0).get(1)?.toString('hex')).toBe('1f90');
    expect(parseAttrs(parts.get(2) ?? Buffer.alloc(0), 0).get(1)?.toString('hex')).toBe('ac11000200500000');
    expect(message.readUInt16LE(20 + 8 + 12 + 2) & 0x8000).toBe(0x8000); // the element list is marked nested
  });

  it('frames requests in a batch addressed to the nf_tables subsystem', () => {
    const begin = batchBegin(1);
    expect([begin.readUInt16LE(4), begin.subarray(16, 20).toString('hex')]).toEqual([0x10, '0000000a']);
    expect(batchEnd(2).readUInt16LE(4)).toBe(0x11);
    expect(parseMessages(setElementsMessage('delete', 3, 'c', 'pub_tcp', []))[0]?.type).toBe((10 << 8) | 14);
  });
});
