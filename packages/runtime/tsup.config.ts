import { defineLibConfig } from '@c/tooling/tsup';

// Workspace packages are bundled in so the CLI and the init each load one file (start-up time, and the init must
// have everything loaded before pivot_root); koffi stays external (a native addon).
const bundled = {
  noExternal: [/^@c\//],
  external: ['koffi'],
  // Containers and tests on this machine run dist/ while it is rebuilt: never leave it empty.
  clean: false,
  esbuildOptions(options: { conditions?: string[] }) {
    options.conditions = ['c-source'];
  },
};

export default [
  // The library and ESM builds of the CLI and the init (kept for callers that name dist/c-runtime*.js).
  defineLibConfig({
    ...bundled,
    entry: ['src/index.ts', 'src/c-runtime.ts', 'src/c-runtime-init.ts'],
    dts: { entry: 'src/index.ts' },
  }),
  // CommonJS builds of the CLI, the init and the build thread: Node's ESM loader reads modules through the thread
  // pool and costs 10-40 ms per start-up on a loaded machine (bench/start-variants.mjs). The first two are what
  // c-runtime runs; the build thread is what the daemon's BuildThreads start (decision 0016).
  // `shims` gives import.meta.url (koffi and the init are resolved relative to it).
  defineLibConfig({
    ...bundled,
    entry: { 'c-runtime-main': 'src/c-runtime.ts', 'c-runtime-init': 'src/c-runtime-init.ts', 'c-runtime-build-worker': 'src/c-runtime-build-worker.ts' },
    format: ['cjs'],
    // c-runtime-main.cjs runs through a vm.Script (the code cache), which has no loader for import() in Node 20.
    esbuildOptions(options: { conditions?: string[]; supported?: Record<string, boolean> }) {
      options.conditions = ['c-source'];
      options.supported = { ...options.supported, 'dynamic-import': false };
    },
    outExtension: () => ({ js: '.cjs' }),
    shims: true,
    dts: false,
  }),
  // The `c-runtime` bin: runs c-runtime-main.cjs from a V8 code cache (src/cli/code-cache-loader.ts).
  defineLibConfig({
    entry: { 'c-runtime': 'src/cli/code-cache-loader.ts' },
    noExternal: ['@c/tooling'],
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    clean: false,
    dts: false,
  }),
];
