// dist/c.cjs, the `c` bin: runs dist/c-main.cjs (src/c.ts) from a V8 code cache kept next to it
// (@c/tooling/code-cache-loader), so a start-up deserializes code instead of compiling it. `c --version` is
// answered here, before any bundle is read; `c run` first tries dist/c-run.cjs (src/run-client/main.ts), which
// hands back to c-main.cjs what it does not take.
import { join } from 'node:path';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';
import { version } from '../package.json';

/** The global flags that take a value (create-flags.ts GLOBAL_FLAGS), which may come before the command word. */
const GLOBAL_VALUE_FLAGS = new Set(['--root', '--host', '-H']);

/** The command: the first word that is not a global flag or its value (`container run` is `run`). */
function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      if (GLOBAL_VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    return arg === 'container' ? args[i + 1] : arg;
  }
  return undefined;
}

const args = process.argv.slice(2);
const isRun = commandWord(args) === 'run';

function runMain(): void {
  // `c run` keeps a code cache of its own: one written by another command lacks the run path's functions, which
  // V8 would then compile on every run (~3 ms of CPU). Any cache is correct for any command; this only picks one.
  loadWithCodeCache(join(__dirname, 'c-main.cjs'), require, isRun ? { cacheFile: join(__dirname, 'c-main.cjs.run.v8-cache') } : {});
}

if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) process.stdout.write(`c version ${version}\n`);
else if (isRun) {
  let handedBack = false;
  const lean = loadWithCodeCache(join(__dirname, 'c-run.cjs'), require, { keepCache: () => !handedBack }) as {
    main(args: readonly string[], fallback: () => void): Promise<void>;
  };
  void lean.main(args, () => {
    handedBack = true;
    runMain();
  });
} else runMain();
