import { toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { printInspected } from '../output/inspect';
import { reportError } from '../report-error';

/** Like docker: prints what was found as one JSON array (4-space indent), then an error per missing image. */
export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const image of argv.images as string[]) {
    try {
      found.push(await client.images.inspect(image));
    } catch (error) {
      errors.push(error);
    }
  }
  printInspected(found, typeof argv.format === 'string' ? argv.format : undefined);
  for (const error of errors) process.exitCode = reportError(toCError(error), globals.debug);
}
