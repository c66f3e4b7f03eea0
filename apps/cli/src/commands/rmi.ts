import { toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { reportError } from '../report-error';

/** Like docker: every name is tried; failures are reported one by one and the exit code is the last failure's. */
export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  for (const image of argv.images as string[]) {
    try {
      for (const item of await client.images.remove(image, { force: Boolean(argv.force) })) {
        process.stdout.write('Untagged' in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`);
      }
    } catch (error) {
      process.exitCode = reportError(toCError(error), globals.debug);
    }
  }
}
