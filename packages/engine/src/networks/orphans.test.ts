import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectOrphans, registerRoot } from './orphans';
import { kernelNamesFor } from './service';

describe('orphaned roots', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('collects the entries of deleted roots, keeps live ones, drops malformed ones', () => {
    const base = mkdtempSync(join(tmpdir(), 'c-orphans-'));
    dirs.push(base);
    const registry = join(base, 'registry');
    const sys = join(base, 'sys');
    mkdirSync(sys);
    const live = join(base, 'live');
    mkdirSync(live);
    const gone = join(base, 'gone');
    registerRoot({ root: live, ...kernelNamesFor(live) }, registry);
    registerRoot({ root: gone, ...kernelNamesFor(gone) }, registry);
    writeFileSync(join(registry, 'bad.json'), JSON.stringify({ root: gone, defaultBridge: 'eth0; rm -rf', bridgePrefix: 'x', nftTable: 'y' }));
    expect(collectOrphans(registry, sys)).toEqual([gone]);
    expect(existsSync(join(registry, `${kernelNamesFor(live).nftTable}.json`))).toBe(true);
    expect(existsSync(join(registry, `${kernelNamesFor(gone).nftTable}.json`))).toBe(false);
    expect(existsSync(join(registry, 'bad.json'))).toBe(false);
    expect(collectOrphans(registry, sys)).toEqual([]);
  });
});
