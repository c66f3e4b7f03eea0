/** `c run` as parsed by fast-run.ts (no yargs on this path: see c.ts). */
import { run } from './commands/run';
import { globalsFrom } from './lazy';
import { reportError } from './report-error';

export async function main(argv: Record<string, unknown>): Promise<void> {
  const globals = globalsFrom(argv);
  try {
    await run(argv, globals);
  } catch (error) {
    process.exitCode = reportError(error, globals.debug);
  }
}
