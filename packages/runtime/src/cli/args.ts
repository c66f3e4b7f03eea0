import { CError } from '@c/errors';

/** A flag a command accepts: `value` flags take an argument (`--f X` or `--f=X`), `list` ones may repeat. */
export interface FlagSpec {
  name: string;
  short?: string;
  kind: 'bool' | 'value' | 'list';
}

export interface ParsedArgs {
  flags: Map<string, string | boolean | string[]>;
  positionals: string[];
}

/**
 * A small getopt: long flags with `=` or a separate value, short aliases, `--` ends flags. Parsing stops at the
 * first positional when `stopAtPositional` is set (so `exec ID sh -c ...` keeps the command's own flags).
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], stopAtPositional = false): ParsedArgs {
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(`--${spec.name}`, spec);
    if (spec.short) byName.set(`-${spec.short}`, spec);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      if (stopAtPositional) {
        positionals.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const eq = arg.indexOf('=');
    // runc's CLI library accepts single-dash long flags (-bundle); normalise them.
    let key = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!byName.has(key) && /^-[^-]{2,}/.test(key)) key = `-${key}`;
    const spec = byName.get(key);
    if (spec === undefined) {
      throw new CError('INVALID_ARGUMENT', `flag provided but not defined: ${arg}`, { hint: 'see c-runtime --help' });
    }
    if (spec.kind === 'bool') {
      flags.set(spec.name, eq >= 0 ? arg.slice(eq + 1) !== 'false' : true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new CError('INVALID_ARGUMENT', `flag needs an argument: ${arg}`, { hint: `pass a value after ${arg}` });
      value = next;
      i++;
    }
    if (spec.kind === 'list') {
      const list = (flags.get(spec.name) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(spec.name, list);
    } else {
      flags.set(spec.name, value);
    }
  }
  return { flags, positionals };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagBool(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

export function flagList(args: ParsedArgs, name: string): string[] {
  const v = args.flags.get(name);
  return Array.isArray(v) ? v : [];
}
