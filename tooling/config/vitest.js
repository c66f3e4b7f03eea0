// Shared vitest preset: tests import workspace packages from source (the `c-source` export condition),
// so `vitest` needs no prior build of dependencies.
import { defineConfig } from 'vitest/config';

/** @param {import('vitest/config').UserConfig} [overrides] */
export function defineTestConfig(overrides = {}) {
  const { test = {}, resolve = {}, ...rest } = overrides;
  return defineConfig({
    resolve: { conditions: ['c-source'], ...resolve },
    ssr: { resolve: { conditions: ['c-source'], externalConditions: ['c-source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
      ...test,
    },
    ...rest,
  });
}
