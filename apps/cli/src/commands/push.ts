import { interruptSignal, type GlobalOptions } from '../context';
import { ProgressPrinter } from '../output/progress';
import { imageService } from '../service';
import { familiarRepository, normalizeReference } from '../names';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const image = String(argv.image);
  const quiet = Boolean(argv.quiet);
  const out = process.stdout;
  if (!quiet) out.write(`The push refers to repository [${familiarRepository(normalizeReference(image))}]\n`);
  const printer = quiet ? undefined : new ProgressPrinter(out, 'push');
  const result = await imageService(globals).push(image, {
    ...(printer ? { onProgress: (event) => event.kind === undefined || event.kind === 'layer' ? printer.update(event) : undefined } : {}),
    signal: interruptSignal(),
  });
  if (quiet) {
    out.write(`${result.reference}\n`);
    return;
  }
  printer?.finish();
  out.write(`${result.tag ?? 'latest'}: digest: ${result.digest} size: ${result.size}\n`);
}
