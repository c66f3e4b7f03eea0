/**
 * `c` (built as dist/c-main.cjs, run by the bin dist/c.cjs from a V8 code cache: src/bin.ts): `c run` and the
 * everyday commands (ps, images, rm, exec, logs, pull…: fast-commands.ts) in their usual spellings run from this
 * bundle without yargs (see fast-run.ts); anything else loads dist/c-commands.cjs, the full yargs command line.
 * Each Node start-up here costs ~30-70 ms and compiling code the command does not use adds to it, so this bundle
 * holds only those paths (each command's module is evaluated only when it runs).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';
import { parseFastCommand, type ParsedCommand } from './fast-commands';
import { parseFastRun } from './fast-run';
import { globalsFrom } from './lazy';
import { reportError } from './report-error';
import { main as runMain } from './run-main';

/** The full command line: the sibling bundle c-commands.cjs (tsup builds it from command-line.ts). */
function commandLine(): { main(args: readonly string[]): Promise<void> } {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'c-commands.cjs');
  return loadWithCodeCache(file, require) as { main(args: readonly string[]): Promise<void> };
}

// `c … | head`: once the reader is gone, stop quietly like any Unix tool killed by SIGPIPE (Node ignores the signal,
// so the write fails with EPIPE instead), rather than print a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(128 + 13);
});

/** A command parsed by fast-commands.ts: its handler, and failures reported as the full command line does. */
async function runFast({ command, argv }: ParsedCommand): Promise<void> {
  const globals = globalsFrom(argv);
  try {
    await (await command.handler())(argv, globals);
  } catch (error) {
    process.exitCode = reportError(error, globals.debug);
  }
}

// (`c --version` never gets here: the bin answers it, src/bin.ts.)
const args = process.argv.slice(2);
const fastRun = parseFastRun(args);
const fast = fastRun ? undefined : parseFastCommand(args);
if (fastRun) void runMain(fastRun.argv);
else if (fast) void runFast(fast);
else void commandLine().main(args);
