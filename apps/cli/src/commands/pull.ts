import type { EngineClient } from '@c/api';
import { parseReference, withDefaultTag, formatReference } from '@c/image';
import { interruptSignal, interrupted, type GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { ProgressPrinter } from '../output/progress';
import { registryAuthFor } from '../registry-auth';

/** Pulls through the daemon, printing docker's progress (or nothing with `quiet`); returns the full reference. */
export async function pullImage(client: EngineClient, image: string, options: { quiet: boolean; platform?: string; out: NodeJS.WritableStream & { isTTY?: boolean } }): Promise<string> {
  const ref = parseReference(image);
  if (!options.quiet && !ref.tag && !ref.digest) options.out.write('Using default tag: latest\n');
  const printer = options.quiet ? undefined : new ProgressPrinter(options.out);
  const auth = await registryAuthFor(image);
  const signal = interruptSignal();
  try {
    for await (const message of client.images.pull(image, { ...(options.platform ? { platform: options.platform } : {}), ...(auth ? { auth } : {}), signal })) {
      printer?.update(message);
    }
  } catch (error) {
    throw interrupted(error, signal, `pull of ${image}`);
  }
  printer?.finish();
  return formatReference(ref.digest ? ref : withDefaultTag(ref));
}

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  const full = await pullImage(client, String(argv.image), {
    quiet: Boolean(argv.quiet),
    ...(typeof argv.platform === 'string' ? { platform: argv.platform } : {}),
    out: process.stdout,
  });
  process.stdout.write(`${full}\n`);
}
