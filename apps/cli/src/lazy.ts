/** Command handlers are loaded only when their command runs, so start-up parses no more than it must. */
import type { GlobalOptions } from './context';

export type Handler = (argv: Record<string, unknown>, globals: GlobalOptions) => Promise<void>;

/** The global options out of a parsed argv (yargs' or the fast run parser's). */
export function globalsFrom(argv: Record<string, unknown>): GlobalOptions {
  const rootFlag = (argv.root as string | undefined) ?? process.env.C_ROOT;
  return {
    root: rootFlag ?? '/var/lib/c',
    rootGiven: rootFlag !== undefined && rootFlag !== '',
    host: argv.host as string | undefined,
    debug: Boolean(argv.debug),
  };
}

/** Defers loading a command module until the command runs; `name` picks one of several handlers in a module. */
export function lazy<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M & string = 'run') {
  return async (argv: Record<string, unknown>) => {
    // The container's command arrives after `--` (see argv-split.ts).
    if (Array.isArray(argv['--'])) argv.command = [...((argv.command as unknown[] | undefined) ?? []), ...(argv['--'] as unknown[])];
    const module = await load();
    await (module[name] as Handler)(argv, globalsFrom(argv));
  };
}
