/**
 * Maps registry failures to CErrors: the distribution spec's error bodies (`{"errors":[{code,message,detail}]}`),
 * bare HTTP statuses, and socket errors.
 */
import { CError, type ErrorCode } from '@c/errors';

export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

const CODE_MAP: Record<string, ErrorCode> = {
  BLOB_UNKNOWN: 'NOT_FOUND',
  BLOB_UPLOAD_UNKNOWN: 'NOT_FOUND',
  MANIFEST_UNKNOWN: 'NOT_FOUND',
  NAME_UNKNOWN: 'NOT_FOUND',
  BLOB_UPLOAD_INVALID: 'INVALID_ARGUMENT',
  DIGEST_INVALID: 'DIGEST_MISMATCH',
  MANIFEST_BLOB_UNKNOWN: 'INVALID_ARGUMENT',
  MANIFEST_INVALID: 'INVALID_ARGUMENT',
  MANIFEST_UNVERIFIED: 'INVALID_ARGUMENT',
  NAME_INVALID: 'INVALID_ARGUMENT',
  SIZE_INVALID: 'INVALID_ARGUMENT',
  TAG_INVALID: 'INVALID_ARGUMENT',
  PAGINATION_NUMBER_INVALID: 'INVALID_ARGUMENT',
  RANGE_INVALID: 'INVALID_ARGUMENT',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'PERMISSION_DENIED',
  UNSUPPORTED: 'UNSUPPORTED',
  TOOMANYREQUESTS: 'UNAVAILABLE',
};

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'UNSUPPORTED';
  if (status === 409) return 'CONFLICT';
  if (status === 416) return 'INVALID_ARGUMENT';
  if (status === 408 || status === 429 || status >= 500) return 'UNAVAILABLE';
  if (status >= 400) return 'INVALID_ARGUMENT';
  return 'INTERNAL';
}

function hintFor(code: ErrorCode, registry: string): string | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return `log in with \`c login ${registry}\` or check the saved credentials`;
    case 'PERMISSION_DENIED':
      return 'check that your account may access this repository (and that the repository name is right)';
    case 'NOT_FOUND':
      return 'check the repository name, tag and digest';
    case 'UNAVAILABLE':
      return 'the registry is failing or rate-limiting; try again later';
    default:
      return undefined;
  }
}

/** Parses a registry error body; returns [] for anything that is not one. */
export function parseErrorBody(body: Uint8Array): RegistryErrorEntry[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return [];
    const errors = (parsed as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) return [];
    return errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && typeof e.code === 'string')
      .map((e) => ({
        code: String(e.code),
        message: typeof e.message === 'string' ? e.message : undefined,
        detail: e.detail,
      }));
  } catch {
    return [];
  }
}

/**
 * The CError for a failed response. `what` names the object the way a person reads it:
 * "manifest for busybox:nope not found" for 404s, "fetching blob sha256:… from registry" otherwise.
 */
export function registryError(
  status: number,
  body: Uint8Array,
  context: { registry: string; what: string; notFound?: string },
): CError {
  const entries = parseErrorBody(body);
  const first = entries[0];
  const code = (first && CODE_MAP[first.code]) ?? codeForStatus(status);
  const reason = first
    ? (first.message ?? first.code.toLowerCase().replace(/_/g, ' '))
    : `HTTP ${status}`;
  const subject = code === 'NOT_FOUND' && context.notFound ? context.notFound : `${context.what} failed`;
  return new CError(code, `${subject}: ${reason}`, {
    hint: hintFor(code, context.registry),
    details: { registry: context.registry, status, errors: entries },
  });
}

const RETRYABLE_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'TRUNCATED',
]);

export function socketErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Network failures worth another attempt. A refused connection is not one: the registry is down or the
 * address is wrong, and the user should hear so at once rather than after a minute of backoff.
 */
export function isRetryableNetworkError(error: unknown): boolean {
  const code = socketErrorCode(error);
  return code !== undefined && RETRYABLE_SOCKET_CODES.has(code);
}

/** The CError for a request that never got a response. */
export function networkError(error: unknown, registry: string, url: URL): CError {
  if (error instanceof CError) return error;
  const code = socketErrorCode(error) ?? 'unknown error';
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND'
        ? 'host not found'
        : code === 'ETIMEDOUT'
          ? 'timed out'
          : error instanceof Error
            ? error.message
            : String(error);
  const plainHttpHint =
    url.protocol === 'https:'
      ? ` (if it serves plain HTTP, add it to insecureRegistries)`
      : '';
  return new CError('UNAVAILABLE', `cannot reach registry ${registry} at ${url.origin}: ${reason}`, {
    cause: error,
    hint: `check that the registry is running and reachable from this machine${plainHttpHint}`,
    details: { registry, url: url.href, code },
  });
}
