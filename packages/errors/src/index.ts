/**
 * The one error taxonomy of c. Every failure that crosses a package boundary is a `CError` with a `code`.
 * The CLI maps codes to exit codes once (apps/cli), the daemon maps them to HTTP statuses once (apps/daemon).
 */

export const ERROR_CODES = [
  /** A named object (image, blob, container, snapshot, file) does not exist. */
  'NOT_FOUND',
  /** The caller's input is malformed: a reference, a flag, a manifest, a Dockerfile. */
  'INVALID_ARGUMENT',
  /** The object exists already, or is in a state that forbids the operation (image in use, running). */
  'CONFLICT',
  /** Credentials are missing or were refused. */
  'UNAUTHORIZED',
  /** The operation is not allowed for this caller (registry 403, EPERM). */
  'PERMISSION_DENIED',
  /** Content did not match its digest or declared size. */
  'DIGEST_MISMATCH',
  /** Something would exceed a bound (manifest size, layer size, entry count, decompression ratio). */
  'LIMIT_EXCEEDED',
  /** Untrusted input tried to escape its confinement (tar slip, symlink escape). */
  'UNSAFE_CONTENT',
  /** A valid request for something c does not support (schema1, an unknown media type). */
  'UNSUPPORTED',
  /** A network or remote-server failure that survived retries. */
  'UNAVAILABLE',
  /** An operation was cancelled or interrupted. */
  'CANCELLED',
  /** A system call failed. */
  'SYSCALL',
  /** A bug or an unexpected state. */
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface CErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** What the user can do about it, one sentence. */
  hint?: string;
  /** Structured details (path, digest, errno...) for logs and API payloads. */
  details?: Record<string, unknown>;
}

/** An error with a stable `code`. `message` says what failed and where; `hint` says what to do. */
export class CError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: CErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** The message followed by the hint, the way a person should read it. */
  describe(): string {
    return this.hint ? `${this.message}: ${this.hint}` : this.message;
  }
}

export function isCError(value: unknown, code?: ErrorCode): value is CError {
  return value instanceof CError && (code === undefined || value.code === code);
}

/** Wrap anything thrown into a CError, keeping CErrors as they are. */
export function toCError(value: unknown, fallbackCode: ErrorCode = 'INTERNAL'): CError {
  if (value instanceof CError) return value;
  if (value instanceof Error) return new CError(fallbackCode, value.message, { cause: value });
  return new CError(fallbackCode, String(value));
}

/** Shorthands for the codes raised most often. */
export const notFound = (message: string, options?: CErrorOptions) => new CError('NOT_FOUND', message, options);
export const invalidArgument = (message: string, options?: CErrorOptions) =>
  new CError('INVALID_ARGUMENT', message, options);
export const conflict = (message: string, options?: CErrorOptions) => new CError('CONFLICT', message, options);
export const unsupported = (message: string, options?: CErrorOptions) => new CError('UNSUPPORTED', message, options);
