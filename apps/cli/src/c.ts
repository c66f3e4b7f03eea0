/**
 * `c`: `c run` in its usual spellings runs from this bundle without yargs (see fast-run.ts); every other command
 * loads dist/c-commands.cjs, the full yargs command line. Each Node start-up here costs ~30-70 ms and compiling code
 * the command does not use adds to it, so this bundle holds only the run path.
 */
import { createRequire } from 'node:module';
import { version } from '../package.json';
import { parseFastRun } from './fast-run';
import { main as runMain } from './run-main';

/** The full command line: the sibling bundle c-commands.cjs (tsup builds it from command-line.ts). */
function commandLine(): { main(args: readonly string[]): Promise<void> } {
  return createRequire(import.meta.url)('./c-commands.cjs') as { main(args: readonly string[]): Promise<void> };
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`c version ${version}\n`);
} else {
  const fastRun = parseFastRun(args);
  if (fastRun) void runMain(fastRun.argv);
  else void commandLine().main(args);
}
