import { toCError, type ErrorCode } from '@c/errors';

/**
 * The one map from CError codes to HTTP statuses. Docker clients act on the status (the CLI pulls only after a 404
 * from create, `docker inspect` moves on to the next object type on 404), so the mapping must stay Docker's.
 */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID_ARGUMENT: 400,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  // A valid request for something c does not implement: Docker's errdefs.NotImplemented.
  UNSUPPORTED: 501,
  DIGEST_MISMATCH: 500,
  LIMIT_EXCEEDED: 500,
  UNSAFE_CONTENT: 500,
  UNAVAILABLE: 500,
  CANCELLED: 500,
  SYSCALL: 500,
  INTERNAL: 500,
};

export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** The status and Docker-style body for anything thrown by a handler. Non-CErrors are internal errors. */
export function errorResponse(error: unknown): { status: number; body: { message: string } } {
  const cerror = toCError(error);
  return { status: statusForCode(cerror.code), body: { message: cerror.message } };
}
