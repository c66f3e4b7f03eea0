import { defineLibConfig } from '@c/tooling/tsup';

// The library entry (startDaemon, routers) and the executable. Workspace packages are bundled from source (the
// `c-source` condition), so `c-daemon` runs without building its dependencies first and loads as one file;
// pure-JS third-party code is bundled too. koffi loads a native binary by a computed path, which a bundle breaks:
// it stays external and is a dependency of this package so that it resolves from dist/.
export default defineLibConfig({
  entry: { index: 'src/index.ts', 'c-daemon': 'src/c-daemon.ts' },
  banner: { js: '#!/usr/bin/env node' },
  noExternal: [/^@c\//],
  external: ['koffi'],
  esbuildOptions(options) {
    options.conditions = ['c-source'];
  },
});
