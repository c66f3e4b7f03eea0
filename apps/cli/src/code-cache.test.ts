import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';

// The bins (dist/c.cjs, c-runtime) load their bundles through this; a bad or stale cache must never change what runs.
const localRequire = createRequire(import.meta.url);
let dir: string;
let file: string;
const BUNDLE = `#!/usr/bin/env node
const { join } = require('node:path');
exports.where = join(__dirname, 'x');
exports.file = __filename;
exports.answer = () => 6 * 7;
`;

// vitest's worker runs with exec flags of its own: the cache names below assume none (a test sets its own).
const workerExecArgv = process.execArgv;
const workerNodeOptions = process.env['NODE_OPTIONS'];
beforeEach(() => {
  process.execArgv = [];
  delete process.env['NODE_OPTIONS'];
  dir = mkdtempSync(join(tmpdir(), 'c-code-cache-'));
  file = join(dir, 'bundle.cjs');
  writeFileSync(file, BUNDLE);
});
afterEach(() => {
  process.execArgv = workerExecArgv;
  if (workerNodeOptions === undefined) delete process.env['NODE_OPTIONS'];
  else process.env['NODE_OPTIONS'] = workerNodeOptions;
  rmSync(dir, { recursive: true, force: true });
});

function expectBundleRan(exports: unknown): void {
  const loaded = exports as { where: string; file: string; answer: () => number };
  expect(loaded.file).toBe(file);
  expect(loaded.where).toBe(join(dir, 'x'));
  expect(loaded.answer()).toBe(42);
}

describe('loadWithCodeCache', () => {
  it('runs a CommonJS bundle with a shebang, its own __filename/__dirname and require', () => {
    expectBundleRan(loadWithCodeCache(file, localRequire));
  });

  it('ignores a cache stamped for another Node, size or mtime', () => {
    writeFileSync(`${file}.v8-cache`, Buffer.concat([Buffer.from('v0.0.0 1 2\n'), Buffer.alloc(64, 1)]));
    expectBundleRan(loadWithCodeCache(file, localRequire));
  });

  it('survives a cache with the right stamp but corrupt data (V8 rejects it, the bundle compiles)', () => {
    const stat = statSync(file);
    writeFileSync(`${file}.v8-cache`, Buffer.concat([Buffer.from(`${process.version} ${stat.size} ${stat.mtimeMs}\n`), Buffer.alloc(256, 7)]));
    expectBundleRan(loadWithCodeCache(file, localRequire));
  });
});

describe('loadWithCodeCache with a cache file of its own', () => {
  it('writes the cache to cacheFile (at exit, on a miss) and accepts it on the next load', () => {
    const own = join(dir, 'own.v8-cache');
    const once = vi.spyOn(process, 'once');
    expectBundleRan(loadWithCodeCache(file, localRequire, { cacheFile: own }));
    const onExit = once.mock.calls.find(([event]) => event === 'exit')?.[1] as (() => void) | undefined;
    once.mockRestore();
    expect(onExit).toBeDefined();
    process.removeListener('exit', onExit!);
    onExit!();
    expect(existsSync(own)).toBe(true);
    expect(existsSync(`${file}.v8-cache`)).toBe(false);

    const again = vi.spyOn(process, 'once');
    expectBundleRan(loadWithCodeCache(file, localRequire, { cacheFile: own }));
    // Accepted: nothing to write at exit.
    expect(again.mock.calls.some(([event]) => event === 'exit')).toBe(false);
    again.mockRestore();
  });
});

/** Loads the bundle, then runs the exit handler it left (the cache is written there) as the process's exit would. */
function loadThenExit(): void {
  const once = vi.spyOn(process, 'once');
  expectBundleRan(loadWithCodeCache(file, localRequire));
  const onExit = once.mock.calls.find(([event]) => event === 'exit')?.[1] as (() => void) | undefined;
  once.mockRestore();
  process.removeListener('exit', onExit!);
  onExit!();
}

describe('loadWithCodeCache under Node exec flags', () => {
  it('keeps a cache per set of flags (V8 rejects a cache made under other flags)', () => {
    process.execArgv = ['--no-rehash-snapshot', '--max-old-space-size=64'];
    loadThenExit();
    expect(existsSync(`${file}.no-rehash-snapshot.max-old-space-size=64.v8-cache`)).toBe(true);
    expect(existsSync(`${file}.v8-cache`)).toBe(false);
  });
});

describe('loadWithCodeCache under NODE_OPTIONS', () => {
  it('counts the flags NODE_OPTIONS gives, after the exec flags', () => {
    process.execArgv = ['--no-rehash-snapshot'];
    process.env['NODE_OPTIONS'] = ' --stack-size=900  --no-warnings ';
    loadThenExit();
    expect(existsSync(`${file}.no-rehash-snapshot.stack-size=900.no-warnings.v8-cache`)).toBe(true);
    expect(existsSync(`${file}.no-rehash-snapshot.v8-cache`)).toBe(false);
  });
});

describe('loadWithCodeCache with keepCache', () => {
  it('leaves a missing cache unwritten when keepCache says no at exit, and writes it when it says yes', () => {
    for (const keep of [false, true]) {
      const once = vi.spyOn(process, 'once');
      expectBundleRan(loadWithCodeCache(file, localRequire, { keepCache: () => keep }));
      const onExit = once.mock.calls.find(([event]) => event === 'exit')?.[1] as (() => void) | undefined;
      once.mockRestore();
      process.removeListener('exit', onExit!);
      onExit!();
      expect(existsSync(`${file}.v8-cache`)).toBe(keep);
    }
  });
});
