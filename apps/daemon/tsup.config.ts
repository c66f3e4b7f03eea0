import { defineLibConfig } from '@c/tooling/tsup';

// The library entry (startDaemon, routers) and the executable. Workspace packages are bundled from source (the
// `c-source` condition), so `c-daemon` runs without building its dependencies first and loads as one file;
// third-party packages (koffi's native binary among them) stay external.
export default defineLibConfig({
  entry: { index: 'src/index.ts', 'c-daemon': 'src/c-daemon.ts' },
  banner: { js: '#!/usr/bin/env node' },
  noExternal: [/^@c\//],
  esbuildOptions(options) {
    options.conditions = ['c-source'];
  },
});
