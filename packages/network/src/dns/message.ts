import { CError } from '@c/errors';

/** DNS (RFC 1035) message codec: enough for a container resolver (A/AAAA/any questions, A answers, forwarding verbatim). */

export const RR_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASS_IN = 1;
/** Bound on names: RFC 1035 limits a name to 255 octets and labels to 63. */
const MAX_NAME = 255;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Dotted IPv4 for A records; raw bytes for anything else. */
  data: string | Uint8Array;
}

export interface DnsMessage {
  id: number;
  /** QR bit: true for a response. */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}

function malformed(what: string): CError {
  return new CError('INVALID_ARGUMENT', `malformed DNS message: ${what}`, { hint: 'the sender is not speaking DNS or the packet was cut' });
}

/** Read a possibly compressed name at `offset`; returns the name and the offset after it in the original stream. */
function readName(buf: Uint8Array, offset: number): [string, number] {
  const labels: string[] = [];
  let position = offset;
  let end = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (position >= buf.length) throw malformed('name runs past the end');
    const len = buf[position] ?? 0;
    if ((len & 0xc0) === 0xc0) {
      if (position + 1 >= buf.length) throw malformed('cut compression pointer');
      if (++jumps > 32) throw malformed('compression loop');
      if (end === -1) end = position + 2;
      position = ((len & 0x3f) << 8) | (buf[position + 1] ?? 0);
      continue;
    }
    if ((len & 0xc0) !== 0) throw malformed(`unknown label type 0x${len.toString(16)}`);
    position += 1;
    if (len === 0) break;
    if (position + len > buf.length) throw malformed('label runs past the end');
    length += len + 1;
    if (length > MAX_NAME) throw malformed('name longer than 255 octets');
    labels.push(Buffer.from(buf.subarray(position, position + len)).toString('latin1'));
    position += len;
  }
  return [labels.join('.'), end === -1 ? position : end];
}

export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'latin1');
      if (bytes.length === 0 || bytes.length > 63) throw new CError('INVALID_ARGUMENT', `invalid DNS label "${label}" in ${name}`);
      parts.push(Buffer.from([bytes.length]), bytes);
    }
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > MAX_NAME) throw new CError('INVALID_ARGUMENT', `DNS name too long: ${name}`);
  return out;
}

export function decodeMessage(buf: Uint8Array): DnsMessage {
  if (buf.length < 12) throw malformed(`${buf.length} bytes is shorter than a header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = view.getUint16(2);
  const qdcount = view.getUint16(4);
  const ancount = view.getUint16(6);
  let offset = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qdcount; i++) {
    const [name, next] = readName(buf, offset);
    if (next + 4 > buf.length) throw malformed('question runs past the end');
    questions.push({ name, type: view.getUint16(next), class: view.getUint16(next + 2) });
    offset = next + 4;
  }
  const answers: DnsAnswer[] = [];
  for (let i = 0; i < ancount; i++) {
    const [name, next] = readName(buf, offset);
    if (next + 10 > buf.length) throw malformed('record header runs past the end');
    const type = view.getUint16(next);
    const rdlength = view.getUint16(next + 8);
    const start = next + 10;
    if (start + rdlength > buf.length) throw malformed('record data runs past the end');
    const raw = buf.subarray(start, start + rdlength);
    answers.push({
      name,
      type,
      class: view.getUint16(next + 2),
      ttl: view.getUint32(next + 4),
      data: type === RR_TYPE.A && rdlength === 4 ? Array.from(raw).join('.') : Uint8Array.from(raw),
    });
    offset = start + rdlength;
  }
  return {
    id: view.getUint16(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
  };
}

export function encodeMessage(message: DnsMessage): Buffer {
  const header = Buffer.alloc(12);
  let flags = (message.opcode & 0xf) << 11;
  if (message.response) flags |= 0x8000;
  if (message.authoritative) flags |= 0x0400;
  if (message.truncated) flags |= 0x0200;
  if (message.recursionDesired) flags |= 0x0100;
  if (message.recursionAvailable) flags |= 0x0080;
  flags |= message.rcode & 0xf;
  header.writeUInt16BE(message.id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(message.questions.length, 4);
  header.writeUInt16BE(message.answers.length, 6);
  const parts: Buffer[] = [header];
  for (const q of message.questions) {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(q.type, 0);
    fixed.writeUInt16BE(q.class, 2);
    parts.push(encodeName(q.name), fixed);
  }
  for (const a of message.answers) {
    const data = typeof a.data === 'string' ? Buffer.from(a.data.split('.').map(Number)) : Buffer.from(a.data);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(a.type, 0);
    fixed.writeUInt16BE(a.class, 2);
    fixed.writeUInt32BE(a.ttl, 4);
    fixed.writeUInt16BE(data.length, 8);
    parts.push(encodeName(a.name), fixed, data);
  }
  return Buffer.concat(parts);
}

/** A query for `name` (used by tests and by health checks). */
export function buildQuery(id: number, name: string, type: number = RR_TYPE.A): Buffer {
  return encodeMessage({
    id,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: false,
    rcode: 0,
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
  });
}

/** The reply to `query` with `addresses` as A records (NXDOMAIN when `addresses` is undefined). */
export function buildAnswer(query: DnsMessage, addresses: readonly string[] | undefined, ttl = 600): Buffer {
  const question = query.questions[0];
  return encodeMessage({
    id: query.id,
    response: true,
    opcode: query.opcode,
    authoritative: true,
    truncated: false,
    recursionDesired: query.recursionDesired,
    recursionAvailable: true,
    rcode: addresses === undefined ? RCODE.NXDOMAIN : RCODE.NOERROR,
    questions: question ? [question] : [],
    answers:
      question && addresses && question.type === RR_TYPE.A
        ? addresses.map((data) => ({ name: question.name, type: RR_TYPE.A, class: CLASS_IN, ttl, data }))
        : [],
  });
}

/** The reply to a PTR query: `name` as the pointer target. */
export function buildPtrAnswer(query: DnsMessage, name: string, ttl = 600): Buffer {
  const question = query.questions[0];
  return encodeMessage({
    id: query.id,
    response: true,
    opcode: query.opcode,
    authoritative: true,
    truncated: false,
    recursionDesired: query.recursionDesired,
    recursionAvailable: true,
    rcode: RCODE.NOERROR,
    questions: question ? [question] : [],
    answers: question ? [{ name: question.name, type: RR_TYPE.PTR, class: CLASS_IN, ttl, data: encodeName(name) }] : [],
  });
}

/** A header-only error reply (SERVFAIL, FORMERR, REFUSED) with the query's id. */
export function buildError(id: number, rcode: number, query?: DnsMessage): Buffer {
  return encodeMessage({
    id,
    response: true,
    opcode: query?.opcode ?? 0,
    authoritative: false,
    truncated: false,
    recursionDesired: query?.recursionDesired ?? false,
    recursionAvailable: true,
    rcode,
    questions: query?.questions.slice(0, 1) ?? [],
    answers: [],
  });
}
