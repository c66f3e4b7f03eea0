import { parseReference } from '@c/image';
import { interruptSignal, type GlobalOptions } from '../context';
import { ProgressPrinter } from '../output/progress';
import { imageService } from '../service';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const image = String(argv.image);
  const quiet = Boolean(argv.quiet);
  const out = process.stdout;
  const ref = parseReference(image);
  if (!quiet) {
    if (!ref.tag && !ref.digest) out.write('Using default tag: latest\n');
    out.write(`${ref.digest ?? ref.tag ?? 'latest'}: Pulling from ${ref.repository}\n`);
  }
  const printer = quiet ? undefined : new ProgressPrinter(out, 'pull');
  const result = await imageService(globals).pull(image, {
    ...(typeof argv.platform === 'string' ? { platform: argv.platform } : {}),
    ...(printer ? { onProgress: (event) => event.kind === undefined || event.kind === 'layer' ? printer.update(event) : undefined } : {}),
    signal: interruptSignal(),
  });
  if (!quiet) {
    printer?.finish();
    out.write(`Digest: ${result.digest}\n`);
    out.write(
      result.status === 'up-to-date'
        ? `Status: Image is up to date for ${result.reference}\n`
        : `Status: Downloaded newer image for ${result.reference}\n`,
    );
  }
  out.write(`${result.fullReference}\n`);
}
