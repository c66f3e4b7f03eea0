import { renderTemplate } from './template';

/** `inspect` output: a JSON array with docker's 4-space indent, or one formatted line per object. */
export function printInspected(found: readonly unknown[], format: string | undefined): void {
  if (format) process.stdout.write(renderTemplate(format, found));
  else process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
}
