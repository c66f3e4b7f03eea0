/**
 * rtnetlink message encoding (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h). Pure: builds request
 * buffers and parses replies; the socket lives in socket.ts.
 */

export const NLMSG = { ERROR: 2, DONE: 3 } as const;
export const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, NEWADDR: 20, NEWROUTE: 24 } as const;
export const NLM_F = { REQUEST: 0x1, ACK: 0x4, REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400 } as const;
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, MASTER: 10, LINKINFO: 18, NET_NS_FD: 28 } as const;
export const IFLA_INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
export const VETH_INFO_PEER = 1;
export const IFLA_BRPORT_MODE = 4;
export const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
export const RTA = { OIF: 4, GATEWAY: 5 } as const;
export const IFF_UP = 0x1;
export const AF_INET = 2;
export const AF_UNSPEC = 0;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;

const align4 = (n: number) => (n + 3) & ~3;

/** One attribute: type + payload (a Buffer, or nested attributes). */
export interface Attr {
  type: number;
  value: Buffer | Attr[];
}

export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const attr of attrs) {
    const payload = Array.isArray(attr.value) ? encodeAttrs(attr.value) : attr.value;
    const header = Buffer.alloc(4);
    header.writeUInt16LE(4 + payload.length, 0);
    header.writeUInt16LE(attr.type, 2);
    parts.push(header, payload, Buffer.alloc(align4(payload.length) - payload.length));
  }
  return Buffer.concat(parts);
}

export const u32 = (value: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
};
export const u8 = (value: number): Buffer => Buffer.from([value]);
export const str = (value: string): Buffer => Buffer.concat([Buffer.from(value), Buffer.alloc(1)]);
export const ipv4Bytes = (address: string): Buffer => Buffer.from(address.split('.').map(Number));
export const macBytes = (mac: string): Buffer => Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));

/** struct ifinfomsg (16 bytes). */
export function ifinfomsg(index = 0, flags = 0, change = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** struct ifaddrmsg (8 bytes). */
export function ifaddrmsg(prefixLength: number, index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(AF_INET, 0);
  b.writeUInt8(prefixLength, 1);
  b.writeUInt8(RT_SCOPE_UNIVERSE, 3);
  b.writeUInt32LE(index, 4);
  return b;
}

/** struct rtmsg (12 bytes) for an IPv4 unicast route in the main table. */
export function rtmsg(dstLength: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(AF_INET, 0);
  b.writeUInt8(dstLength, 1);
  b.writeUInt8(RT_TABLE_MAIN, 4);
  b.writeUInt8(RTPROT_BOOT, 5);
  b.writeUInt8(RT_SCOPE_UNIVERSE, 6);
  b.writeUInt8(RTN_UNICAST, 7);
  return b;
}

/** A netlink message: 16-byte nlmsghdr + fixed header + attributes. */
export function message(type: number, flags: number, seq: number, fixed: Buffer, attrs: readonly Attr[] = []): Buffer {
  const body = Buffer.concat([fixed, encodeAttrs(attrs)]);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + body.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags | NLM_F.REQUEST, 6);
  header.writeUInt32LE(seq, 8);
  return Buffer.concat([header, body]);
}

export interface ParsedMessage {
  type: number;
  seq: number;
  /** For NLMSG_ERROR: 0 = ACK, otherwise -errno. */
  error?: number;
  /** Payload after the nlmsghdr. */
  payload: Buffer;
}

/** Split a datagram into messages; throws on a length that runs past the buffer (never trust the other side). */
export function parseMessages(buf: Buffer): ParsedMessage[] {
  const out: ParsedMessage[] = [];
  let offset = 0;
  while (offset + 16 <= buf.length) {
    const length = buf.readUInt32LE(offset);
    if (length < 16 || offset + length > buf.length) throw new Error(`netlink message length ${length} at offset ${offset} runs past ${buf.length} bytes`);
    const type = buf.readUInt16LE(offset + 4);
    const seq = buf.readUInt32LE(offset + 8);
    const payload = buf.subarray(offset + 16, offset + length);
    const parsed: ParsedMessage = { type, seq, payload };
    if (type === NLMSG.ERROR && payload.length >= 4) parsed.error = payload.readInt32LE(0);
    out.push(parsed);
    offset += align4(length);
  }
  return out;
}

/** The attributes after a fixed header of `fixedLength` bytes: type → raw value (first occurrence). */
export function parseAttrs(payload: Buffer, fixedLength: number): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  let offset = fixedLength;
  while (offset + 4 <= payload.length) {
    const length = payload.readUInt16LE(offset);
    if (length < 4 || offset + length > payload.length) break;
    const type = payload.readUInt16LE(offset + 2) & 0x3fff;
    if (!attrs.has(type)) attrs.set(type, payload.subarray(offset + 4, offset + length));
    offset += align4(length);
  }
  return attrs;
}

// --- the requests c sends ---

export interface VethRequest {
  hostName: string;
  peerName: string;
  mtu: number;
  peerMac: string;
  /** fd of the container's network namespace. */
  peerNetnsFd: number;
  /** Index of the bridge the host end joins. */
  masterIndex: number;
}

/** RTM_NEWLINK: the veth pair, host end enslaved to the bridge, peer created directly in the container's netns. */
export function newVeth(seq: number, r: VethRequest): Buffer {
  const peer = Buffer.concat([
    ifinfomsg(),
    encodeAttrs([
      { type: IFLA.IFNAME, value: str(r.peerName) },
      { type: IFLA.MTU, value: u32(r.mtu) },
      { type: IFLA.ADDRESS, value: macBytes(r.peerMac) },
      { type: IFLA.NET_NS_FD, value: u32(r.peerNetnsFd) },
    ]),
  ]);
  return message(RTM.NEWLINK, NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL, seq, ifinfomsg(), [
    { type: IFLA.IFNAME, value: str(r.hostName) },
    { type: IFLA.MTU, value: u32(r.mtu) },
    { type: IFLA.MASTER, value: u32(r.masterIndex) },
    {
      type: IFLA.LINKINFO,
      value: [
        { type: IFLA_INFO.KIND, value: str('veth') },
        { type: IFLA_INFO.DATA, value: [{ type: VETH_INFO_PEER, value: peer }] },
      ],
    },
  ]);
}

/** RTM_NEWLINK on an existing link (by name): bring it up; optionally turn on hairpin mode as a bridge port. */
export function linkUp(seq: number, name: string, hairpin = false): Buffer {
  const attrs: Attr[] = [{ type: IFLA.IFNAME, value: str(name) }];
  if (hairpin) {
    attrs.push({
      type: IFLA.LINKINFO,
      value: [
        { type: IFLA_INFO.SLAVE_KIND, value: str('bridge') },
        { type: IFLA_INFO.SLAVE_DATA, value: [{ type: IFLA_BRPORT_MODE, value: u8(1) }] },
      ],
    });
  }
  return message(RTM.NEWLINK, NLM_F.ACK, seq, ifinfomsg(0, IFF_UP, IFF_UP), attrs);
}

export function linkUpByIndex(seq: number, index: number): Buffer {
  return message(RTM.NEWLINK, NLM_F.ACK, seq, ifinfomsg(index, IFF_UP, IFF_UP));
}

export function getLink(seq: number, name: string): Buffer {
  return message(RTM.GETLINK, 0, seq, ifinfomsg(), [{ type: IFLA.IFNAME, value: str(name) }]);
}

export function delLink(seq: number, name: string): Buffer {
  return message(RTM.DELLINK, NLM_F.ACK, seq, ifinfomsg(), [{ type: IFLA.IFNAME, value: str(name) }]);
}

export function newAddress(seq: number, index: number, address: string, prefixLength: number): Buffer {
  return message(RTM.NEWADDR, NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL, seq, ifaddrmsg(prefixLength, index), [
    { type: IFA.LOCAL, value: ipv4Bytes(address) },
    { type: IFA.ADDRESS, value: ipv4Bytes(address) },
  ]);
}

export function defaultRoute(seq: number, index: number, gateway: string): Buffer {
  return message(RTM.NEWROUTE, NLM_F.ACK | NLM_F.CREATE | NLM_F.REPLACE, seq, rtmsg(0), [
    { type: RTA.GATEWAY, value: ipv4Bytes(gateway) },
    { type: RTA.OIF, value: u32(index) },
  ]);
}

/** The interface index in an RTM_NEWLINK reply (ifinfomsg.ifi_index). */
export function linkIndexOf(reply: ParsedMessage): number {
  return reply.payload.readInt32LE(4);
}
