import { CError, toCError } from '@c/errors';
import type { ImageInspect } from '@c/engine/images';
import type { GlobalOptions } from '../context';
import { reportError } from '../report-error';
import { imageService } from '../service';

/** Like docker: prints what was found as one JSON array (4-space indent), then an error per missing image. */
export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  if (argv.format !== undefined) {
    throw new CError('UNSUPPORTED', 'c image inspect --format is not implemented yet', { hint: 'pipe the JSON to jq' });
  }
  const service = imageService(globals);
  const found: ImageInspect[] = [];
  const errors: unknown[] = [];
  for (const image of argv.images as string[]) {
    try {
      found.push(await service.inspect(image));
    } catch (error) {
      errors.push(error);
    }
  }
  process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  for (const error of errors) process.exitCode = reportError(toCError(error), globals.debug);
}
