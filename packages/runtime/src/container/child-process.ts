// node:child_process (with net and stream behind it) costs ~5 ms to load per start-up here, and the one-process
// `run` no longer needs it (spawned-process.ts): the two-process init and exec load it on first use.
import type * as ChildProcessModule from 'node:child_process';
import { createRequire } from 'node:module';

let loaded: typeof ChildProcessModule | undefined;

export function childProcess(): typeof ChildProcessModule {
  return (loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcessModule);
}
