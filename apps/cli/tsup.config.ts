import { defineLibConfig } from '@c/tooling/tsup';

// The CLI ships one executable entry; commands are split into chunks loaded only when they run.
// yargs and its dependencies are bundled in: loading one file instead of ~60 ESM modules saves ~100 ms per start.
export default defineLibConfig({
  entry: { c: 'src/c.ts' },
  dts: false,
  splitting: true,
  noExternal: ['yargs', 'yargs-parser', 'cliui', 'string-width', 'strip-ansi', 'ansi-regex', 'wrap-ansi', 'ansi-styles', 'emoji-regex', 'get-east-asian-width', 'y18n', 'escalade', 'get-caller-file'],
  banner: { js: '#!/usr/bin/env node' },
});
