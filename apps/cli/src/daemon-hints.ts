/**
 * The daemon sends docker's `{"message"}` without c's "what to do" part; the CLI adds it back, so every failure
 * still reads `Error: <what failed>: <what to do>`.
 */
import { CError, type ErrorCode } from '@c/errors';

const BY_MESSAGE: Array<[RegExp, string]> = [
  [/^No such image/i, 'check the name with `c images`, or pull it with `c pull`'],
  [/^No such container/i, 'list containers with `c ps -a`'],
  [/must be forced|is running|stop the container/i, 'add -f to force it'],
];

const BY_CODE: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: 'log in with `c login REGISTRY`, or check the credentials',
  PERMISSION_DENIED: 'check the credentials and your access to that repository',
  NOT_FOUND: 'check the name',
  CONFLICT: 'resolve the conflict (or add -f to force it) and retry',
  UNAVAILABLE: 'check that the registry or the daemon is reachable, then retry',
  INVALID_ARGUMENT: "see 'c --help'",
  UNSUPPORTED: 'this daemon does not offer it yet',
  INTERNAL: 'see the daemon log (<root>/daemon.log)',
};

/** The same error with a hint when it had none. */
export function withHint(error: CError): CError {
  if (error.hint) return error;
  const auth = /\b401\b|unauthori[sz]ed|authentication required/i.test(error.message) ? BY_CODE.UNAUTHORIZED : undefined;
  const hint = BY_MESSAGE.find(([pattern]) => pattern.test(error.message))?.[1] ?? auth ?? BY_CODE[error.code];
  if (!hint) return error;
  const copy = new CError(error.code, error.message, { hint, details: error.details, cause: error.cause });
  copy.stack = error.stack;
  return copy;
}
