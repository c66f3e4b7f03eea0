/**
 * `c run` without yargs. The common spellings (`c [-H X] run --rm -it -e A=1 --name n IMAGE CMD...`) are parsed
 * here from the same flag table yargs uses; anything else (help, `--no-x`, an unknown flag, a missing value) returns
 * undefined and the full parser takes over, so behaviour and error messages stay yargs'.
 */
import { GLOBAL_FLAGS, RUN_FLAGS, type FlagSpec } from './containers/create-flags';

export interface ParsedRun {
  /** yargs-shaped: long names as keys, `image`, and `command` (the container's argv). */
  argv: Record<string, unknown>;
}

function bySpelling(specs: readonly FlagSpec[]): Map<string, FlagSpec> {
  const map = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of [spec.name, ...(spec.aliases ?? [])]) map.set(name, spec);
  return map;
}

let runFlags: Map<string, FlagSpec> | undefined;
let globalFlags: Map<string, FlagSpec> | undefined;

function store(argv: Record<string, unknown>, spec: FlagSpec, raw: string | true): boolean {
  if (spec.type === 'boolean') {
    argv[spec.name] = true;
    return true;
  }
  let value: unknown = raw;
  if (spec.type === 'number') {
    value = Number(raw);
    if (Number.isNaN(value)) return false;
  }
  const previous = argv[spec.name];
  if (spec.array) argv[spec.name] = [...((previous as unknown[] | undefined) ?? []), value];
  else argv[spec.name] = previous === undefined ? value : ([] as unknown[]).concat(previous, value);
  return true;
}

/**
 * Reads one flag at args[i]; returns the index of the last argument it used, or -1 when the fast path must give up.
 * `known` decides which flags count.
 */
function readFlag(args: readonly string[], i: number, known: (name: string) => FlagSpec | undefined, argv: Record<string, unknown>): number {
  const arg = args[i]!;
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    const spec = known(eq === -1 ? arg.slice(2) : arg.slice(2, eq));
    if (!spec) return -1;
    if (spec.type === 'boolean') return eq === -1 && store(argv, spec, true) ? i : -1;
    if (eq !== -1) return store(argv, spec, arg.slice(eq + 1)) ? i : -1;
    const value = args[i + 1];
    return value !== undefined && store(argv, spec, value) ? i + 1 : -1;
  }
  // -x VALUE, or a cluster of one-letter booleans (-it, -dit) whose last letter may take the next argument.
  const letters = arg.slice(1);
  for (let k = 0; k < letters.length; k++) {
    const spec = known(letters[k]!);
    if (!spec) return -1;
    if (spec.type === 'boolean') {
      store(argv, spec, true);
      continue;
    }
    // A value flag inside a cluster (-it5) is not a spelling we take on.
    if (k !== letters.length - 1) return -1;
    const value = args[i + 1];
    return value !== undefined && store(argv, spec, value) ? i + 1 : -1;
  }
  return i;
}

/** `args` are the process arguments after `c`. */
export function parseFastRun(args: readonly string[]): ParsedRun | undefined {
  runFlags ??= bySpelling(RUN_FLAGS);
  globalFlags ??= bySpelling(GLOBAL_FLAGS);
  const globalOnly = (name: string) => globalFlags!.get(name);
  const any = (name: string) => globalFlags!.get(name) ?? runFlags!.get(name);
  const argv: Record<string, unknown> = {};
  let i = 0;
  // Global flags, then `run` or `container run`.
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    if (args[i] === '-' || args[i] === '--') return undefined;
    i = readFlag(args, i, globalOnly, argv);
    if (i === -1) return undefined;
  }
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
