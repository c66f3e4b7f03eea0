import { defineLibConfig } from '@c/tooling/tsup';

// Three entries: the library, the CLI and the container init. Workspace packages are bundled in so the CLI and
// the init each load one file (start-up time, and the init must have everything loaded before pivot_root);
// koffi stays external (a native addon).
export default defineLibConfig({
  entry: ['src/index.ts', 'src/c-runtime.ts', 'src/c-runtime-init.ts'],
  noExternal: [/^@c\//],
  // Containers and tests on this machine run dist/ while it is rebuilt: never leave it empty.
  clean: false,
  external: ['koffi'],
  dts: { entry: 'src/index.ts' },
  esbuildOptions(options) {
    options.conditions = ['c-source'];
  },
});
