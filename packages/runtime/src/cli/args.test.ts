import { describe, expect, it } from 'vitest';
import { flagBool, flagList, flagString, parseFlags } from './args';

const specs = [
  { name: 'bundle', short: 'b', kind: 'value' as const },
  { name: 'detach', short: 'd', kind: 'bool' as const },
  { name: 'env', short: 'e', kind: 'list' as const },
];

describe('parseFlags', () => {
  it('reads --flag value, --flag=value, short and runc-style single-dash long flags', () => {
    const a = parseFlags(['--bundle=/b', '-d', '-e', 'A=1', '--env', 'B=2', 'id'], specs);
    expect(flagString(a, 'bundle')).toBe('/b');
    expect(flagBool(a, 'detach')).toBe(true);
    expect(flagList(a, 'env')).toEqual(['A=1', 'B=2']);
    expect(a.positionals).toEqual(['id']);
    expect(flagString(parseFlags(['-bundle', '/x'], specs), 'bundle')).toBe('/x');
  });

  it('stops at the first positional when asked, keeping the command\'s own flags', () => {
    const a = parseFlags(['-d', 'id', 'sh', '-c', 'echo -e'], specs, true);
    expect(a.positionals).toEqual(['id', 'sh', '-c', 'echo -e']);
  });

  it('rejects unknown flags and missing values', () => {
    expect(() => parseFlags(['--nope'], specs)).toThrow(/flag provided but not defined: --nope/);
    expect(() => parseFlags(['--bundle'], specs)).toThrow(/needs an argument/);
  });
});
