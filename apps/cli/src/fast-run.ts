/**
 * `c run` without yargs. The common spellings (`c [-H X] run --rm -it -e A=1 --name n IMAGE CMD...`) are parsed
 * here from the same flag table yargs uses; anything else (help, `--no-x`, an unknown flag, a missing value) returns
 * undefined and the full parser takes over, so behaviour and error messages stay yargs'.
 */
import { GLOBAL_FLAGS, RUN_FLAGS, type FlagSpec } from './containers/create-flags';
import { bySpelling, readFlag, readGlobalFlags } from './fast-flags';

export interface ParsedRun {
  /** yargs-shaped: long names as keys, `image`, and `command` (the container's argv). */
  argv: Record<string, unknown>;
}

let runFlags: Map<string, FlagSpec> | undefined;
let globalFlags: Map<string, FlagSpec> | undefined;

/** `args` are the process arguments after `c`. */
export function parseFastRun(args: readonly string[]): ParsedRun | undefined {
  runFlags ??= bySpelling(RUN_FLAGS);
  globalFlags ??= bySpelling(GLOBAL_FLAGS);
  const any = (name: string) => globalFlags!.get(name) ?? runFlags!.get(name);
  const argv: Record<string, unknown> = {};
  // Global flags, then `run` or `container run`.
  let i = readGlobalFlags(args, globalFlags, argv);
  if (i === -1) return undefined;
  if (args[i] === 'container') i++;
  if (args[i] !== 'run') return undefined;
  for (i++; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg === '-h' || arg === '--help') return undefined;
    i = readFlag(args, i, any, argv);
    if (i === -1) return undefined;
  }
  const image = args[i];
  if (image === undefined || image.startsWith('-')) return undefined;
  argv.image = image;
  argv.command = args.slice(i + 1);
  return { argv };
}
