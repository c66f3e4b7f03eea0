import { defineLibConfig } from '@c/tooling/tsup';

/**
 * The layer-apply worker (src/archive/apply-worker.ts → dist/apply-worker.cjs): one file a worker thread loads,
 * wherever the code that starts it was bundled (apply-in-worker.ts finds it next to itself or in this package).
 * Workspace packages are bundled in; koffi (a native addon) and the other dependencies resolve from this package.
 * The test setup (test-setup/apply-worker.ts) builds the same bundle from the sources.
 */
export const applyWorkerConfig = {
  entry: { 'apply-worker': 'src/archive/apply-worker.ts' },
  format: ['cjs' as const],
  outExtension: () => ({ js: '.cjs' }),
  noExternal: [/^@c\//],
  external: ['koffi'],
  // import.meta.url (eval-worker.ts resolves node:worker_threads through it) in a CommonJS file.
  shims: true,
  dts: false,
  sourcemap: false,
  clean: false,
  esbuildOptions(options: { conditions?: string[] }) {
    options.conditions = ['c-source'];
  },
};

// Two configs build at once: neither may clean the other's output.
export default [defineLibConfig({ clean: false }), defineLibConfig(applyWorkerConfig)];
