import type { GlobalOptions } from '../context';
import { imageService } from '../service';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  await imageService(globals).tag(String(argv.source), String(argv.target));
}
