import { execFileSync } from 'node:child_process';
import { defineLibConfig } from '@c/tooling/tsup';

/** The commit `docker version` reports; "unknown" outside a git checkout. */
function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

// The library entry (startDaemon, routers) and the executable. Workspace packages are bundled from source (the
// `c-source` condition), so `c-daemon` runs without building its dependencies first and loads as one file;
// pure-JS third-party code is bundled too. koffi loads a native binary by a computed path, which a bundle breaks:
// it stays external and is a dependency of this package so that it resolves from dist/.
export default defineLibConfig({
  entry: { index: 'src/index.ts', 'c-daemon': 'src/c-daemon.ts' },
  banner: { js: '#!/usr/bin/env node' },
  noExternal: [/^@c\//],
  external: ['koffi'],
  define: { __C_GIT_COMMIT__: JSON.stringify(gitCommit()), __C_BUILD_TIME__: JSON.stringify(new Date().toISOString()) },
  esbuildOptions(options) {
    options.conditions = ['c-source'];
  },
});
