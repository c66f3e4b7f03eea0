import { familiarName, parseReference, withDefaultTag } from '@c/image';
import { interruptSignal, interrupted, type GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { ProgressPrinter } from '../output/progress';
import { registryAuthFor } from '../registry-auth';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const image = String(argv.image);
  const quiet = Boolean(argv.quiet);
  const ref = withDefaultTag(parseReference(image));
  const client = await connect(globals);
  const auth = await registryAuthFor(image);
  const printer = quiet ? undefined : new ProgressPrinter(process.stdout);
  const signal = interruptSignal();
  try {
    for await (const message of client.images.push(image, { ...(auth ? { auth } : {}), signal })) printer?.update(message);
  } catch (error) {
    throw interrupted(error, signal, `push of ${image}`);
  }
  printer?.finish();
  if (quiet) process.stdout.write(`${familiarName(ref)}\n`);
}
