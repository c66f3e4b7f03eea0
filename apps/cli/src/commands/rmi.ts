import { toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { reportError } from '../report-error';
import { imageService } from '../service';

/** Like docker: every name is tried; failures are reported one by one and the exit code is the last failure's. */
export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const service = imageService(globals);
  for (const image of argv.images as string[]) {
    try {
      for (const item of await service.remove(image, { force: Boolean(argv.force) })) {
        process.stdout.write('Untagged' in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`);
      }
    } catch (error) {
      process.exitCode = reportError(toCError(error), globals.debug);
    }
  }
}
