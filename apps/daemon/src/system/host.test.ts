import { describe, expect, it } from 'vitest';
import { goArch, parseOsRelease, readHostFacts } from './host';

describe('host facts', () => {
  it('parses os-release with and without quotes', () => {
    const fields = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID=\'12\'\nID=debian\n# comment\n');
    expect(fields).toEqual({ PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', VERSION_ID: '12', ID: 'debian' });
  });

  it('names architectures the Go way', () => {
    expect(goArch('x64')).toBe('amd64');
    expect(goArch('arm64')).toBe('arm64');
    expect(goArch('mips')).toBe('mips');
  });

  it('reads this host', () => {
    const facts = readHostFacts();
    expect(facts.ncpu).toBeGreaterThan(0);
    expect(facts.memTotal).toBeGreaterThan(0);
    expect(facts.kernelVersion).not.toBe('');
    expect(['1', '2']).toContain(facts.cgroupVersion);
  });
});
