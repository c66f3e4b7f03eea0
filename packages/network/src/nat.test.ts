import { describe, expect, it } from 'vitest';
import { RecordingRunner } from './exec';
import { NatTable } from './nat';

describe('NatTable (recorded nft scripts)', () => {
  it('resets the table idempotently with fixed rules and empty sets', async () => {
    const runner = new RecordingRunner();
    await new NatTable(runner, 'c').reset();
    const script = runner.calls[0]?.input ?? '';
    expect(runner.calls[0]?.argv).toEqual(['nft', '-f', '-']);
    expect(script.split('\n').slice(0, 3)).toEqual(['table ip c', 'delete table ip c', 'table ip c {']);
    expect(script).toContain('fib daddr type local jump publish');
    expect(script).toContain('ip saddr 127.0.0.0/8 oifname @bridges masquerade');
    expect(script).toContain('ip saddr @subnets oifname != @bridges masquerade');
    expect(script).toContain('iifname @bridges oifname @bridges drop');
    // Internal networks are cut off before published-port traffic is let through.
    expect(script.indexOf('oifname @internal drop')).toBeLessThan(script.indexOf('ct status dnat accept'));
  });

  it('adds and removes networks and published ports as set and map elements', async () => {
    const runner = new RecordingRunner();
    const nat = new NatTable(runner, 'c');
    await nat.addNetwork('c0', '172.17.0.0/16', false);
    await nat.addPorts([
      { protocol: 'tcp', hostIp: '', hostPort: 8080, containerIp: '172.17.0.2', containerPort: 80 },
      { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerIp: '172.17.0.2', containerPort: 53 },
    ]);
    await nat.removePorts([{ protocol: 'tcp', hostIp: '', hostPort: 8080, containerIp: '172.17.0.2', containerPort: 80 }]);
    await nat.removeNetwork('cbr-1', '172.18.0.0/16', true);
    await nat.addPorts([]);
    expect(runner.calls.map((c) => c.input?.trim())).toEqual([
      'add element ip c bridges { "c0" }\nadd element ip c same_bridge { "c0" . "c0" }\nadd element ip c subnets { 172.17.0.0/16 }',
      'add element ip c pub_tcp { 8080 : 172.17.0.2 . 80 }\nadd element ip c pub_ip_udp { 127.0.0.1 . 5353 : 172.17.0.2 . 53 }',
      'delete element ip c pub_tcp { 8080 }',
      'delete element ip c bridges { "cbr-1" }\ndelete element ip c same_bridge { "cbr-1" . "cbr-1" }\ndelete element ip c internal { "cbr-1" }',
    ]);
  });

  it('removes the table only when it exists', async () => {
    const present = new RecordingRunner((argv) => (argv.join(' ') === 'nft list tables ip' ? 'table ip filter\ntable ip c\n' : ''));
    await new NatTable(present, 'c').remove();
    expect(present.calls.map((c) => c.argv.join(' '))).toEqual(['nft list tables ip', 'nft delete table ip c']);
    const absent = new RecordingRunner(() => 'table ip cc\n');
    await new NatTable(absent, 'c').remove();
    expect(absent.calls).toHaveLength(1);
  });

  it('refuses table names that are not plain identifiers', () => {
    expect(() => new NatTable(new RecordingRunner(), 'c; flush ruleset')).toThrow(/invalid nftables table name/);
  });
});
