/**
 * One place that turns any failure into one line on stderr and an exit code from the table.
 */
import { isCError } from '@c/errors';
import { withHint } from './daemon-hints';
import { EXIT_FAILURE, exitCodeFor } from './exit-codes';

/** Prints `Error: <what failed>: <what to do>` and returns the exit code. */
export function reportError(error: unknown, debug: boolean, stderr: { write(text: string): unknown } = process.stderr): number {
  if (isCError(error)) {
    stderr.write(`Error: ${withHint(error).describe()}\n`);
    if (debug && error.stack) stderr.write(`${error.stack}\n`);
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`Error: ${message}: this is unexpected; rerun with --debug and report it\n`);
  if (debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return EXIT_FAILURE;
}
