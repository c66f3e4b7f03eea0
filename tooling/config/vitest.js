// Shared vitest preset: tests import workspace packages from source (the `c-source` export condition),
// so `vitest` needs no prior build of dependencies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** With C_TEST_REPORT_DIR set (by tooling/scripts/test-all.sh), each package also writes a JSON report there. */
function reportOptions() {
  const dir = process.env.C_TEST_REPORT_DIR;
  if (!dir) return {};
  const name = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).name.replace(/[@/]/g, '_');
  return { reporters: ['default', 'json'], outputFile: { json: join(dir, `${name}.json`) } };
}

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
      ...reportOptions(),
      ...test,
    },
    ...rest,
  });
}
