import { fileURLToPath } from 'node:url';
import { defineLibConfig } from '@c/tooling/tsup';

// dist/c.cjs is the executable: `c run` tries dist/c-run.cjs (the lean run client) first; it loads dist/c-main.cjs (`c run` without yargs, and a dispatcher that loads
// dist/c-commands.cjs, the whole command line, for everything else) through V8 code caches kept next to them.
// Each is one self-contained file: no module resolution at start-up.
// CommonJS: Node's ESM loader costs 10-40 ms per start-up here (docs/decisions/0006); `shims` gives import.meta.url.
// yargs, its dependencies and the workspace packages the commands use are bundled in (one file per chunk instead of
// ~60 modules resolved through node_modules), and `string-width` is replaced by a small shim
// (src/shims/string-width.ts). @c/daemon stays external: it is spawned, never loaded.
export default defineLibConfig({
  entry: { c: 'src/bin.ts', 'c-run': 'src/run-client/main.ts', 'c-main': 'src/c.ts', 'c-commands': 'src/command-line.ts' },
  dts: false,
  format: ['cjs'],
  outExtension: () => ({ js: '.cjs' }),
  shims: true,
  noExternal: [/^@c\/(?!daemon)/, 'yargs', 'yargs-parser', 'cliui', 'string-width', 'strip-ansi', 'ansi-regex', 'wrap-ansi', 'ansi-styles', 'emoji-regex', 'get-east-asian-width', 'y18n', 'escalade', 'get-caller-file'],
  esbuildOptions(options) {
    options.alias = { 'string-width': fileURLToPath(new URL('./src/shims/string-width.ts', import.meta.url)) };
    options.conditions = ['c-source'];
    // Every import() becomes a require: the bundles run through a vm.Script (the code cache), which has no loader for
    // import() in Node 20.
    options.supported = { ...options.supported, 'dynamic-import': false };
  },
  // --no-rehash-snapshot: V8 keeps its startup snapshot's string hash seed instead of drawing one and rehashing the
  // snapshot's tables (a Miller-Rabin prime search in Node 20.20's V8: ~13% of a start-up, ~2.5 ms of CPU here).
  // Decision 0017 weighs what that gives up. Only the executable's shebang carries it (`node dist/c.cjs` does not).
  banner: { js: '#!/usr/bin/env -S node --no-rehash-snapshot' },
});
