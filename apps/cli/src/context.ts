/** What every command gets besides its own arguments. */
export interface GlobalOptions {
  /** The store root: --root, else $C_ROOT, else /var/lib/c. */
  root: string;
  debug: boolean;
}

/** Aborts on the first Ctrl-C so transfers stop cleanly (partial blobs are kept and resumed next time). */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  return controller.signal;
}
