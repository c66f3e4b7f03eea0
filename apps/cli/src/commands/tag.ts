import { CError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';

/** `TARGET[:TAG]` → repo and tag for `POST /images/{name}/tag` (a `:` after the last `/` starts the tag). */
export function splitTarget(target: string): { repo: string; tag: string } {
  if (target.includes('@')) throw new CError('INVALID_ARGUMENT', `refusing to create a tag with a digest reference: ${target}`, { hint: 'give TARGET_IMAGE[:TAG]' });
  const colon = target.lastIndexOf(':');
  return colon > target.lastIndexOf('/') ? { repo: target.slice(0, colon), tag: target.slice(colon + 1) } : { repo: target, tag: 'latest' };
}

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const { repo, tag } = splitTarget(String(argv.target));
  const client = await connect(globals);
  await client.images.tag(String(argv.source), repo, tag);
}
