/**
 * Reading flags without yargs, for the fast parsers (fast-run.ts, fast-commands.ts). Only spellings whose meaning
 * is certain are taken; for anything else a reader answers -1 and the caller hands the whole command line to yargs,
 * so help, errors and the odd corners stay yargs' own.
 */
import type { FlagSpec } from './containers/create-flags';

/** Every spelling (long name and aliases, without dashes) → its spec. */
export function bySpelling(specs: readonly FlagSpec[]): Map<string, FlagSpec> {
  const map = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of [spec.name, ...(spec.aliases ?? [])]) map.set(name, spec);
  return map;
}

function store(argv: Record<string, unknown>, spec: FlagSpec, raw: string | boolean): boolean {
  const previous = argv[spec.name];
  if (spec.type === 'boolean') {
    // yargs turns a repeated boolean into a list; not worth copying.
    if (previous !== undefined) return false;
    argv[spec.name] = raw;
    return true;
  }
  // yargs does not take `-x -y` as x's value (or only sometimes): leave those to it, and '' for numbers too.
  if (typeof raw !== 'string' || raw.startsWith('-')) return false;
  // yargs checks choices (and each of a repeated flag's values) with its own message.
  if (spec.choices && (previous !== undefined || !spec.choices.includes(raw))) return false;
  let value: unknown = raw;
  if (spec.type === 'number') {
    value = Number(raw);
    if (raw === '' || Number.isNaN(value)) return false;
  }
  if (spec.array) argv[spec.name] = [...((previous as unknown[] | undefined) ?? []), value];
  else argv[spec.name] = previous === undefined ? value : ([] as unknown[]).concat(previous, value);
  return true;
}

/** yargs takes `true`/`false` after a boolean flag as its value (`-d false`): a spelling left to it. */
const takenByBoolean = (next: string | undefined): boolean => next === 'true' || next === 'false';

/**
 * Reads one flag at args[i] into `argv` (long names as keys); returns the index of the last argument it used, or
 * -1 when the fast path must give up. `known` decides which flags count.
 */
export function readFlag(args: readonly string[], i: number, known: (name: string) => FlagSpec | undefined, argv: Record<string, unknown>): number {
  const arg = args[i]!;
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = known(name);
    if (!spec) {
      // `--no-trunc`: only for the booleans that default to true (the ones whose help mentions --no-…).
      const negated = name.startsWith('no-') && eq === -1 ? known(name.slice(3)) : undefined;
      if (negated?.type !== 'boolean' || negated.default !== true || negated.name !== name.slice(3)) return -1;
      return !takenByBoolean(args[i + 1]) && store(argv, negated, false) ? i : -1;
    }
    if (spec.type === 'boolean') return eq === -1 && !takenByBoolean(args[i + 1]) && store(argv, spec, true) ? i : -1;
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
      if (!store(argv, spec, true)) return -1;
      continue;
    }
    // A value flag inside a cluster (-it5) is not a spelling we take on.
    if (k !== letters.length - 1) return -1;
    const value = args[i + 1];
    return value !== undefined && store(argv, spec, value) ? i + 1 : -1;
  }
  return takenByBoolean(args[i + 1]) ? -1 : i;
}

/**
 * Reads the global flags that precede the command (`c -H X --root R ps`); returns the index of the command word,
 * or -1 when the fast path must give up.
 */
export function readGlobalFlags(args: readonly string[], globals: Map<string, FlagSpec>, argv: Record<string, unknown>): number {
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    if (args[i] === '-' || args[i] === '--') return -1;
    i = readFlag(args, i, (name) => globals.get(name), argv);
    if (i === -1) return -1;
  }
  return i;
}
