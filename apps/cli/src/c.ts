/**
 * `c` (built as dist/c-main.cjs, run by the bin dist/c.cjs from a V8 code cache: src/bin.ts): `c run` in its usual spellings runs from this bundle without yargs (see fast-run.ts); every other command
 * loads dist/c-commands.cjs, the full yargs command line. Each Node start-up here costs ~30-70 ms and compiling code
 * the command does not use adds to it, so this bundle holds only the run path.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';
import { version } from '../package.json';
import { parseFastRun } from './fast-run';
import { main as runMain } from './run-main';

/** The full command line: the sibling bundle c-commands.cjs (tsup builds it from command-line.ts). */
function commandLine(): { main(args: readonly string[]): Promise<void> } {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'c-commands.cjs');
  return loadWithCodeCache(file) as { main(args: readonly string[]): Promise<void> };
}

// `c … | head`: once the reader is gone, stop quietly like any Unix tool killed by SIGPIPE (Node ignores the signal,
// so the write fails with EPIPE instead), rather than print a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(128 + 13);
});

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`c version ${version}\n`);
} else {
  const fastRun = parseFastRun(args);
  if (fastRun) void runMain(fastRun.argv);
  else void commandLine().main(args);
}
