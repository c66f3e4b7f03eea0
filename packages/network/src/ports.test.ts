import { describe, expect, it } from 'vitest';
import { parsePublishSpec, publishAllExposed, toPortMap } from './ports';

describe('parsePublishSpec', () => {
  it('parses the forms docker accepts', () => {
    expect(parsePublishSpec('80')).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '' }]);
    expect(parsePublishSpec('8080:80')).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: { start: 8080, end: 8080 } }]);
    expect(parsePublishSpec('127.0.0.1:8080:80/udp')).toEqual([
      { containerPort: 80, protocol: 'udp', hostIp: '127.0.0.1', hostPort: { start: 8080, end: 8080 } },
    ]);
    expect(parsePublishSpec('127.0.0.1::80')).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }]);
    expect(parsePublishSpec('0.0.0.0:53:53/UDP')).toEqual([{ containerPort: 53, protocol: 'udp', hostIp: '', hostPort: { start: 53, end: 53 } }]);
    expect(parsePublishSpec('80/sctp')[0]?.protocol).toBe('sctp');
  });

  it('expands equal ranges pairwise and keeps a host range for one container port', () => {
    expect(parsePublishSpec('8000-8001:80-81').map((m) => [m.hostPort?.start, m.containerPort])).toEqual([
      [8000, 80],
      [8001, 81],
    ]);
    expect(parsePublishSpec('8000-8010:80')).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: { start: 8000, end: 8010 } }]);
    expect(parsePublishSpec('7000-7002')).toHaveLength(3);
  });

  it("fails with docker's messages", () => {
    const cases: [string, string][] = [
      ['80/foo', 'invalid proto: foo'],
      ['1.2.3:80:80', 'invalid IP address: 1.2.3'],
      ['8080:', 'no port specified: 8080:<empty>'],
      ['8080:abc', 'invalid containerPort: abc'],
      ['8080:70000', 'invalid containerPort: 70000'],
      ['8080:0', 'invalid containerPort: 0'],
      ['x:80', 'invalid hostPort: x'],
      ['9-8:80', 'invalid hostPort: 9-8'],
      ['8000-8002:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002'],
    ];
    for (const [spec, message] of cases) {
      expect(() => parsePublishSpec(spec), spec).toThrow(message);
    }
    expect(() => parsePublishSpec('[::1]:80:80')).toThrow(/IPv6/);
  });
});

describe('port maps', () => {
  it('publishes every exposed port on a random host port for -P', () => {
    expect(publishAllExposed(['80/tcp', '53/udp', '8080'])).toEqual([
      { containerPort: 80, protocol: 'tcp', hostIp: '' },
      { containerPort: 53, protocol: 'udp', hostIp: '' },
      { containerPort: 8080, protocol: 'tcp', hostIp: '' },
    ]);
  });

  it("builds NetworkSettings.Ports with docker's shape", () => {
    const map = toPortMap(
      [
        { containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 8080 },
        { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 9090 },
      ],
      ['80/tcp', '443/tcp'],
    );
    expect(map).toEqual({
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: '8080' },
        { HostIp: '127.0.0.1', HostPort: '9090' },
      ],
      '443/tcp': null,
    });
  });
});
