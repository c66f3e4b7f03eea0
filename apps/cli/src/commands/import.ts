import { createReadStream } from 'node:fs';
import { CError } from '@c/errors';
import { importImage } from '../api-extras';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { splitTarget } from './tag';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const file = String(argv.file);
  const source = file === '-' ? process.stdin : createReadStream(file);
  if (file !== '-') {
    // Open errors (missing file) surface before any work, with the path named.
    await new Promise<void>((resolve, reject) => {
      source.once('readable', resolve);
      source.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new CError(error.code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `import ${file}: ${error.message}`, {
            hint: 'give the path of a tar or tar.gz file, or - to read stdin',
          }),
        ),
      );
    });
  }
  const { repo, tag } = splitTarget(String(argv.reference));
  const client = await connect(globals);
  const id = await importImage(client, source, {
    repo,
    tag,
    ...(typeof argv.message === 'string' ? { message: argv.message } : {}),
    // A repeated -c arrives as an array, a single one as a string.
    ...(argv.change === undefined ? {} : { changes: ([] as unknown[]).concat(argv.change).map(String) }),
    ...(typeof argv.platform === 'string' ? { platform: argv.platform } : {}),
  });
  process.stdout.write(`${id}\n`);
}
