import { describe, expect, it } from 'vitest';
import { portMappingsOf } from './ports';
import { kernelNamesFor } from './service';

describe('portMappingsOf', () => {
  it('maps PortBindings like -p: fixed, random, host ip, udp', () => {
    const mappings = portMappingsOf(
      { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '443': [{}] },
      false,
      [],
    );
    // A bare "443" key is an integer-like property: JS lists it first.
    expect(mappings).toEqual([
      { containerPort: 443, protocol: 'tcp', hostIp: '' },
      { containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: { start: 8080, end: 8080 } },
      { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' },
    ]);
  });

  it('PublishAllPorts adds each exposed port not bound already, on a random host port', () => {
    const mappings = portMappingsOf({ '80/tcp': [{ HostPort: '8080' }] }, true, ['80/tcp', '9000/tcp', '5353/udp']);
    expect(mappings.map((m) => [m.containerPort, m.protocol, m.hostPort])).toEqual([
      [80, 'tcp', { start: 8080, end: 8080 }],
      [9000, 'tcp', undefined],
      [5353, 'udp', undefined],
    ]);
  });

  it('rejects a malformed binding with -p wording', () => {
    expect(() => portMappingsOf({ '80/tcp': [{ HostPort: '99999' }] }, false, [])).toThrow(/port/i);
  });
});

describe('kernelNamesFor', () => {
  it('the default root keeps c0 and table c; other roots get distinct names that fit IFNAMSIZ', () => {
    expect(kernelNamesFor('/var/lib/c')).toEqual({ defaultBridge: 'c0', nftTable: 'c', bridgePrefix: 'cbr-' });
    const a = kernelNamesFor('/tmp/a');
    const b = kernelNamesFor('/tmp/b');
    expect(a.defaultBridge).not.toBe(b.defaultBridge);
    expect(a.nftTable).not.toBe(b.nftTable);
    expect(a.defaultBridge.length).toBeLessThanOrEqual(15);
    expect((a.bridgePrefix + 'f'.repeat(64)).slice(0, 15)).toMatch(/^cb[0-9a-f]{6}-[f]{6}$/);
  });
});
