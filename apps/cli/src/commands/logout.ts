import type { GlobalOptions } from '../context';
import { imageService } from '../service';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const result = await imageService(globals).logout(typeof argv.server === 'string' ? argv.server : undefined);
  process.stdout.write(
    result.removed ? `Removing login credentials for ${result.registry}\n` : `Not logged in to ${result.registry}\n`,
  );
}
