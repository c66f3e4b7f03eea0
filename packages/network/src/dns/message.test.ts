import { describe, expect, it } from 'vitest';
import { buildAnswer, buildError, buildQuery, decodeMessage, encodeMessage, RCODE, RR_TYPE } from './message';

describe('DNS message codec', () => {
  it('encodes a query byte-exactly (RFC 1035 layout)', () => {
    const query = buildQuery(0x1234, 'web.local');
    expect(query.toString('hex')).toBe(
      '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '03776562' + '056c6f63616c' + '00' + '0001' + '0001',
    );
  });

  it('decodes its own answers', () => {
    const query = decodeMessage(buildQuery(7, 'Web', RR_TYPE.A));
    const answer = decodeMessage(buildAnswer(query, ['172.18.0.2', '172.18.0.3'], 600));
    expect(answer).toMatchObject({ id: 7, response: true, authoritative: true, recursionDesired: true, rcode: RCODE.NOERROR });
    expect(answer.questions).toEqual([{ name: 'Web', type: RR_TYPE.A, class: 1 }]);
    expect(answer.answers.map((a) => [a.name, a.type, a.ttl, a.data])).toEqual([
      ['Web', 1, 600, '172.18.0.2'],
      ['Web', 1, 600, '172.18.0.3'],
    ]);
  });

  it('answers NXDOMAIN when the name is unknown, and carries the rcode of errors', () => {
    const query = decodeMessage(buildQuery(9, 'nope'));
    expect(decodeMessage(buildAnswer(query, undefined)).rcode).toBe(RCODE.NXDOMAIN);
    expect(decodeMessage(buildError(9, RCODE.SERVFAIL, query))).toMatchObject({ id: 9, rcode: RCODE.SERVFAIL, questions: query.questions });
  });

  it('follows compression pointers (as upstream resolvers send them)', () => {
    // Answer whose record name is a pointer (0xc00c) to the question name at offset 12.
    const packet = Buffer.from(
      'abcd8180000100010000000003777777076578616d706c6500000100' + '01' + 'c00c000100010000003c00045db8d822',
      'hex',
    );
    const message = decodeMessage(packet);
    expect(message.answers[0]).toMatchObject({ name: 'www.example', ttl: 60, data: '93.184.216.34' });
  });

  it('refuses malformed packets: short header, runaway labels, pointer loops', () => {
    expect(() => decodeMessage(Buffer.alloc(5))).toThrow(/shorter than a header/);
    const runaway = Buffer.from('000101000001000000000000' + '3f61', 'hex');
    expect(() => decodeMessage(runaway)).toThrow(/past the end/);
    const loop = Buffer.from('000101000001000000000000' + 'c00c' + '00010001', 'hex');
    expect(() => decodeMessage(loop)).toThrow(/compression loop/);
    expect(() => buildQuery(1, `${'a'.repeat(64)}.example`)).toThrow(/invalid DNS label/);
  });

  it('round-trips flags', () => {
    const message = {
      id: 65535,
      response: true,
      opcode: 2,
      authoritative: false,
      truncated: true,
      recursionDesired: false,
      recursionAvailable: true,
      rcode: RCODE.REFUSED,
      questions: [{ name: 'a.b', type: RR_TYPE.AAAA, class: 1 }],
      answers: [],
    };
    expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });
});
