import { defineLibConfig } from '@c/tooling/tsup';

// The CLI ships one executable entry; commands are split into chunks loaded only when they run.
export default defineLibConfig({
  entry: { c: 'src/c.ts' },
  dts: false,
  splitting: true,
  banner: { js: '#!/usr/bin/env node' },
});
