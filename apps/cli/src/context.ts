/** What every command gets besides its own arguments. */
export interface GlobalOptions {
  /** The store root: --root, else $C_ROOT, else /var/lib/c. */
  root: string;
  /** True when the root came from --root or $C_ROOT (then the default socket lives under it). */
  rootGiven: boolean;
  /** -H/--host as given (unix:///path), else undefined. */
  host: string | undefined;
  debug: boolean;
}

import { CError } from '@c/errors';

/** Aborts on the first Ctrl-C so transfers stop cleanly (partial blobs are kept and resumed next time). */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  return controller.signal;
}

/** After Ctrl-C, whatever the aborted stream threw becomes one CANCELLED error (exit 130). */
export function interrupted(error: unknown, signal: AbortSignal, what: string): unknown {
  if (!signal.aborted) return error;
  return new CError('CANCELLED', `${what} interrupted`, { hint: 'run it again to resume: what was fetched is kept', cause: error });
}
