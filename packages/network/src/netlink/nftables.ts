import type { DnatEntry } from '../nat';
import { NLM_F, encodeAttrs, type Attr } from './codec';
import { NetlinkSocket } from './socket';

/**
 * Published-port map elements of c's nftables table, written over nfnetlink instead of spawning `nft`: the
 * one process a container start with `-p` would otherwise pay for. Only the map elements go this way; the
 * table, its rules and its network sets are still written by `nft -f` (once per daemon start or network).
 */

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;
const NFPROTO_IPV4 = 2;
const NLA_F_NESTED = 0x8000;
const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3 } as const;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM = { KEY: 1, DATA: 2 } as const;
const NFTA_DATA_VALUE = 1;

const nested = (type: number, value: Attr[]): Attr => ({ type: type | NLA_F_NESTED, value });
const cstr = (value: string) => Buffer.concat([Buffer.from(value), Buffer.alloc(1)]);

/** nf_tables registers are 32 bits wide: each field of a concatenation takes a multiple of 4 bytes. */
function port(value: number, padded: boolean): Buffer {
  const b = Buffer.alloc(padded ? 4 : 2);
  b.writeUInt16BE(value, 0);
  return b;
}
const address = (text: string) => Buffer.from(text.split('.').map(Number));

export interface MapElement {
  set: string;
  key: Buffer;
  data?: Buffer;
}

/** The map element for one published port: key `port` or `daddr . port`, value `container ip . port`. */
export function portElement(entry: DnatEntry, withData: boolean): MapElement {
  const specific = entry.hostIp !== '';
  const element: MapElement = {
    set: specific ? `pub_ip_${entry.protocol}` : `pub_${entry.protocol}`,
    key: specific ? Buffer.concat([address(entry.hostIp), port(entry.hostPort, true)]) : port(entry.hostPort, false),
  };
  if (withData) element.data = Buffer.concat([address(entry.containerIp), port(entry.containerPort, true)]);
  return element;
}

function header(type: number, flags: number, seq: number, resId: number, body: Buffer): Buffer {
  const out = Buffer.alloc(20);
  out.writeUInt32LE(20 + body.length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags | NLM_F.REQUEST, 6);
  out.writeUInt32LE(seq, 8);
  // struct nfgenmsg: family, version, res_id (big endian)
  out.writeUInt8(resId === NFNL_SUBSYS_NFTABLES ? 0 : NFPROTO_IPV4, 16);
  out.writeUInt16BE(resId, 18);
  return Buffer.concat([out, body]);
}

/** One NEWSETELEM/DELSETELEM message for the elements of one set. */
export function setElementsMessage(verb: 'add' | 'delete', seq: number, table: string, set: string, elements: readonly MapElement[]): Buffer {
  const list = elements.map((e) =>
    nested(NFTA_LIST_ELEM, [
      nested(NFTA_SET_ELEM.KEY, [{ type: NFTA_DATA_VALUE, value: e.key }]),
      ...(e.data ? [nested(NFTA_SET_ELEM.DATA, [{ type: NFTA_DATA_VALUE, value: e.data }])] : []),
    ]),
  );
  const body = encodeAttrs([
    { type: NFTA_SET_ELEM_LIST.TABLE, value: cstr(table) },
    { type: NFTA_SET_ELEM_LIST.SET, value: cstr(set) },
    nested(NFTA_SET_ELEM_LIST.ELEMENTS, list),
  ]);
  const type = (NFNL_SUBSYS_NFTABLES << 8) | (verb === 'add' ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
  return header(type, NLM_F.ACK | (verb === 'add' ? NLM_F.CREATE | NLM_F.EXCL : 0), seq, 0, body);
}

export function batchBegin(seq: number): Buffer {
  return header(NFNL_MSG_BATCH_BEGIN, 0, seq, NFNL_SUBSYS_NFTABLES, Buffer.alloc(0));
}

export function batchEnd(seq: number): Buffer {
  return header(NFNL_MSG_BATCH_END, 0, seq, NFNL_SUBSYS_NFTABLES, Buffer.alloc(0));
}

/** Adds and deletes published-port elements in one nf_tables transaction per call. */
export class NftPortElements {
  private socket: NetlinkSocket | undefined;

  constructor(private readonly table: string) {}

  apply(verb: 'add' | 'delete', entries: readonly DnatEntry[]): void {
    if (entries.length === 0) return;
    const bySet = new Map<string, MapElement[]>();
    for (const entry of entries) {
      const element = portElement(entry, verb === 'add');
      bySet.set(element.set, [...(bySet.get(element.set) ?? []), element]);
    }
    this.socket ??= NetlinkSocket.open(NETLINK_NETFILTER);
    const socket = this.socket;
    const before = batchBegin(socket.nextSeq());
    const requests = [...bySet].map(([set, elements]) => setElementsMessage(verb, socket.nextSeq(), this.table, set, elements));
    const after = batchEnd(socket.nextSeq());
    const what = `${verb} published ports ${entries.map((e) => `${e.hostIp || '*'}:${e.hostPort}/${e.protocol}`).join(', ')} in nftables table ${this.table}`;
    socket.transact(what, requests, { before, after });
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
