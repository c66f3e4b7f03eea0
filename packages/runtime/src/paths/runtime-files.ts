// Where the init and the CLI are, whoever asks: this module runs from src/ (tests, tsc), from dist/ (the CLI's own
// bundle) and inlined into another package's bundle (the daemon's dist/), so import.meta.url alone cannot say.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CError } from '@c/errors';

export type RuntimeFile = 'c-runtime-init.js' | 'c-runtime.js' | 'c-runtime-build-worker.js';

const OVERRIDES: Record<RuntimeFile, string> = {
  'c-runtime-init.js': 'C_RUNTIME_INIT',
  'c-runtime.js': 'C_RUNTIME_CLI',
  'c-runtime-build-worker.js': 'C_RUNTIME_BUILD_WORKER',
};

const WHAT: Record<RuntimeFile, string> = {
  'c-runtime-init.js': 'the container init',
  'c-runtime.js': 'the c-runtime CLI',
  'c-runtime-build-worker.js': 'the container build thread',
};

export interface ResolveOptions {
  /** The module asking (default: this one). */
  from?: string | URL;
  env?: NodeJS.ProcessEnv;
}

/**
 * The candidates in order: the override alone; else a sibling of the asking module (dist/ itself), then
 * @c/runtime's dist/, each as `.cjs` before `.js`.
 */
export function runtimeFileCandidates(file: RuntimeFile, options: ResolveOptions = {}): string[] {
  const env = options.env ?? process.env;
  const override = env[OVERRIDES[file]];
  if (override !== undefined && override !== '') return [override];
  const from = options.from ?? import.meta.url;
  const fromPath = typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from);
  const dirs = [dirname(fromPath)];
  try {
    const manifest = createRequire(fromPath).resolve('@c/runtime/package.json');
    dirs.push(join(dirname(manifest), 'dist'));
  } catch {
    // @c/runtime is not resolvable from there (a copied bundle): only the sibling can work.
  }
  // The CommonJS build first in each place: it starts faster (see tsup.config.ts); the ESM one is the fallback.
  const names = [file.replace(/\.js$/, '.cjs'), file];
  return [...new Set(dirs.flatMap((dir) => names.map((name) => join(dir, name))))];
}

/** The first candidate that exists; NOT_FOUND naming every path tried otherwise. */
export function resolveRuntimeFile(file: RuntimeFile, options: ResolveOptions = {}): string {
  const candidates = runtimeFileCandidates(file, options);
  const found = candidates.find((path) => existsSync(path));
  if (found !== undefined) return found;
  throw new CError('NOT_FOUND', `${WHAT[file]} (${file}) not found; tried ${candidates.join(', ')}`, {
    hint: `build it (pnpm --filter @c/runtime build) or set ${OVERRIDES[file]} to its path`,
    details: { path: candidates[0] },
  });
}

/** The container init script ($C_RUNTIME_INIT overrides it). */
export function defaultInitScript(): string {
  return resolveRuntimeFile('c-runtime-init.js');
}

/** The c-runtime CLI script ($C_RUNTIME_CLI overrides it). */
export function defaultCliScript(): string {
  return resolveRuntimeFile('c-runtime.js');
}

/** The container build thread's script ($C_RUNTIME_BUILD_WORKER overrides it). */
export function defaultBuildWorkerScript(): string {
  return resolveRuntimeFile('c-runtime-build-worker.js');
}
