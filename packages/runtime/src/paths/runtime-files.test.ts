import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRuntimeFile, runtimeFileCandidates } from './runtime-files';

// A fake install: @c/runtime with a built dist/, and a "daemon" whose bundle inlines this module and reaches
// @c/runtime through node_modules (a pnpm symlink), as apps/daemon does.
let root: string;
let runtime: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'c-runtime-paths-'));
  runtime = join(root, 'runtime');
  mkdirSync(join(runtime, 'dist'), { recursive: true });
  mkdirSync(join(runtime, 'src/paths'), { recursive: true });
  writeFileSync(join(runtime, 'package.json'), JSON.stringify({ name: '@c/runtime', type: 'module', exports: { './package.json': './package.json' } }));
  for (const file of ['c-runtime-init.js', 'c-runtime.js']) writeFileSync(join(runtime, 'dist', file), '');
  mkdirSync(join(root, 'daemon/dist'), { recursive: true });
  mkdirSync(join(root, 'daemon/node_modules/@c'), { recursive: true });
  symlinkSync(runtime, join(root, 'daemon/node_modules/@c/runtime'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const noEnv = { env: {} };

describe('resolveRuntimeFile', () => {
  it('finds dist/ from the source tree (the package resolves itself by name)', () => {
    const from = join(runtime, 'src/paths/runtime-files.ts');
    expect(resolveRuntimeFile('c-runtime-init.js', { ...noEnv, from })).toBe(join(runtime, 'dist/c-runtime-init.js'));
    expect(resolveRuntimeFile('c-runtime.js', { ...noEnv, from })).toBe(join(runtime, 'dist/c-runtime.js'));
  });

  it('takes the sibling when running from dist/ itself, the CommonJS build first', () => {
    const from = new URL(`file://${join(runtime, 'dist/c-runtime.js')}`);
    expect(runtimeFileCandidates('c-runtime-init.js', { ...noEnv, from })).toEqual([join(runtime, 'dist/c-runtime-init.cjs'), join(runtime, 'dist/c-runtime-init.js')]);
    expect(resolveRuntimeFile('c-runtime-init.js', { ...noEnv, from })).toBe(join(runtime, 'dist/c-runtime-init.js'));
    writeFileSync(join(runtime, 'dist/c-runtime-init.cjs'), '');
    expect(resolveRuntimeFile('c-runtime-init.js', { ...noEnv, from })).toBe(join(runtime, 'dist/c-runtime-init.cjs'));
  });

  it("finds @c/runtime's dist/ from another package's bundle through node_modules", () => {
    const from = join(root, 'daemon/dist/c-daemon.js');
    expect(runtimeFileCandidates('c-runtime-init.js', { ...noEnv, from })).toEqual([
      join(root, 'daemon/dist/c-runtime-init.cjs'),
      join(root, 'daemon/dist/c-runtime-init.js'),
      join(runtime, 'dist/c-runtime-init.cjs'),
      join(runtime, 'dist/c-runtime-init.js'),
    ]);
    expect(resolveRuntimeFile('c-runtime-init.js', { ...noEnv, from })).toBe(join(runtime, 'dist/c-runtime-init.js'));
  });

  it('prefers $C_RUNTIME_INIT / $C_RUNTIME_CLI over everything', () => {
    const from = join(runtime, 'src/paths/runtime-files.ts');
    const own = join(root, 'my-init.js');
    writeFileSync(own, '');
    expect(resolveRuntimeFile('c-runtime-init.js', { from, env: { C_RUNTIME_INIT: own } })).toBe(own);
    expect(resolveRuntimeFile('c-runtime.js', { from, env: { C_RUNTIME_CLI: own } })).toBe(own);
    expect(() => resolveRuntimeFile('c-runtime-init.js', { from, env: { C_RUNTIME_INIT: join(root, 'gone.js') } })).toThrow(/gone\.js/);
  });

  it('fails with NOT_FOUND naming every path tried and how to fix it', () => {
    rmSync(join(runtime, 'dist'), { recursive: true });
    const from = join(root, 'daemon/dist/c-daemon.js');
    let failure: unknown;
    try {
      resolveRuntimeFile('c-runtime-init.js', { ...noEnv, from });
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ code: 'NOT_FOUND' });
    expect(String((failure as Error).message)).toContain(join(runtime, 'dist/c-runtime-init.js'));
    expect((failure as { hint?: string }).hint).toMatch(/pnpm --filter @c\/runtime build.*C_RUNTIME_INIT/);
  });

  it("this package's own source resolves to its dist/", () => {
    const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    expect(runtimeFileCandidates('c-runtime-init.js', noEnv)).toContain(join(packageRoot, 'dist/c-runtime-init.js'));
  });
});
