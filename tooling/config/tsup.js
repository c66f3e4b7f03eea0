// One tsup base for every package: ESM, .d.ts, Node 20, sourcemaps.
import { defineConfig } from 'tsup';

/** @param {Partial<import('tsup').Options>} [overrides] */
export function defineLibConfig(overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
