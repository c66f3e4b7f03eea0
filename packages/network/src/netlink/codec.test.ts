import { describe, expect, it } from 'vitest';
import { IFLA, RTM, NLM_F, NLMSG, defaultRoute, delLink, encodeAttrs, linkUp, newAddress, newVeth, parseAttrs, parseMessages } from './codec';

describe('rtnetlink codec', () => {
  it('pads attributes to 4 bytes and nests them', () => {
    const out = encodeAttrs([
      { type: 3, value: Buffer.from('c0\0') },
      { type: 18, value: [{ type: 1, value: Buffer.from('veth\0') }] },
    ]);
    expect(out.toString('hex')).toBe(
      '0700' + '0300' + '633000' + '00' + // len 7, IFLA_IFNAME, "c0\0" + 1 pad
        '1000' + '1200' + '0900' + '0100' + '7665746800' + '000000', // LINKINFO(len 16) { KIND(len 9) "veth\0" + 3 pad }
    );
  });

  it('builds the veth request the kernel expects', () => {
    const request = newVeth(7, { hostName: 'vcab', peerName: 'eth0', mtu: 1500, peerMac: '02:42:ac:11:00:02', peerNetnsFd: 9, masterIndex: 4 });
    const [parsed] = parseMessages(request);
    expect(parsed?.type).toBe(RTM.NEWLINK);
    expect(parsed?.seq).toBe(7);
    expect(request.readUInt16LE(6)).toBe(NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL);
    expect(request.readUInt32LE(0)).toBe(request.length);
    const attrs = parseAttrs(parsed?.payload ?? Buffer.alloc(0), 16);
    expect(attrs.get(IFLA.IFNAME)?.toString()).toBe('vcab\0');
    expect(attrs.get(IFLA.MTU)?.readUInt32LE(0)).toBe(1500);
    expect(attrs.get(IFLA.MASTER)?.readUInt32LE(0)).toBe(4);
    const linkinfo = parseAttrs(attrs.get(IFLA.LINKINFO) ?? Buffer.alloc(0), 0);
    expect(linkinfo.get(1)?.toString()).toBe('veth\0');
    const peer = parseAttrs(parseAttrs(linkinfo.get(2) ?? Buffer.alloc(0), 0).get(1) ?? Buffer.alloc(0), 16);
    expect(peer.get(IFLA.IFNAME)?.toString()).toBe('eth0\0');
    expect(peer.get(IFLA.ADDRESS)?.toString('hex')).toBe('0242ac110002');
    expect(peer.get(IFLA.NET_NS_FD)?.readUInt32LE(0)).toBe(9);
  });

  it('sets IFF_UP in both flags and change mask, and addresses/routes as IPv4 bytes', () => {
    const up = parseMessages(linkUp(1, 'vcab', true))[0]?.payload ?? Buffer.alloc(0);
    expect(up.readUInt32LE(8)).toBe(1);
    expect(up.readUInt32LE(12)).toBe(1);
    const address = parseMessages(newAddress(2, 5, '172.17.0.2', 16))[0]?.payload ?? Buffer.alloc(0);
    expect([address[0], address[1], address.readUInt32LE(4)]).toEqual([2, 16, 5]);
    expect(parseAttrs(address, 8).get(2)?.toString('hex')).toBe('ac110002');
    const route = parseMessages(defaultRoute(3, 5, '172.17.0.1'))[0]?.payload ?? Buffer.alloc(0);
    expect([route[0], route[1], route[4], route[7]]).toEqual([2, 0, 254, 1]);
    expect(parseAttrs(route, 12).get(5)?.toString('hex')).toBe('ac110001');
    expect(parseMessages(delLink(4, 'x'))[0]?.type).toBe(RTM.DELLINK);
  });

  it('parses ACKs and errors, and refuses lengths that run past the datagram', () => {
    const ack = Buffer.alloc(36);
    ack.writeUInt32LE(36, 0);
    ack.writeUInt16LE(NLMSG.ERROR, 4);
    ack.writeUInt32LE(42, 8);
    ack.writeInt32LE(-17, 16);
    expect(parseMessages(ack)).toMatchObject([{ type: NLMSG.ERROR, seq: 42, error: -17 }]);
    ack.writeUInt32LE(400, 0);
    expect(() => parseMessages(ack)).toThrow(/runs past/);
  });
});
