import { defineLibConfig } from '@c/tooling/tsup';

// `@c/engine/images` is its own entry so the CLI's image commands load neither the container runtime nor
// koffi-backed namespaces code until a lock or a mount needs it.
//
// The images entry also bundles the workspace packages it uses (from their sources) and fzstd: one file instead of
// six modules resolved through node_modules. Measured on bench/pull-c.mjs's import, 49 -> 33 ms (median of 15
// alternated runs, load 2.6). koffi stays external (a native module; engine depends on it for that). The main
// entry keeps them external: it shares @c/errors and @c/namespaces with @c/runtime, and two copies would break
// `instanceof CError`. Two configs, so neither may `clean` (they build at once): stale files are overwritten.
export default [
  defineLibConfig({ entry: { index: 'src/index.ts' }, clean: false }),
  defineLibConfig({
    entry: { 'images/index': 'src/images/index.ts' },
    clean: false,
    noExternal: [/^@c\/(errors|image|layers|namespaces|registry-client)$/, 'fzstd'],
    // Whitespace and syntax only (names stay, for stack traces): V8 compiles 312 instead of 419 kB at every cold
    // import, 40 -> 35 ms (median of 15 alternated imports, load ~2).
    minifyWhitespace: true,
    minifySyntax: true,
    external: ['koffi'],
    esbuildOptions(options) {
      options.conditions = ['c-source'];
    },
  }),
];
