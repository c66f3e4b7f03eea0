import { CError } from '@c/errors';

/** The API version the daemon advertises. The docker 28 CLI refuses daemons below 1.40; 1.43 is docker 24. */
export const API_VERSION = '1.43';
/** The oldest API version the daemon still accepts in a `/vX.Y/` path prefix (docker's own minimum). */
export const MIN_API_VERSION = '1.24';

/** A parsed `major.minor` API version. */
export interface ApiVersion {
  readonly major: number;
  readonly minor: number;
}

const VERSION_PATTERN = /^(\d{1,4})\.(\d{1,4})$/;

/** Parses `1.43`; throws INVALID_ARGUMENT for anything else (`1`, `1.43.0`, `v1.43`). */
export function parseApiVersion(text: string): ApiVersion {
  const match = VERSION_PATTERN.exec(text);
  if (!match) {
    throw new CError('INVALID_ARGUMENT', `invalid API version "${text}"`, {
      hint: 'use the form MAJOR.MINOR, for example 1.43',
    });
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** Negative when a < b, zero when equal, positive when a > b. Compares numerically: 1.9 < 1.43. */
export function compareApiVersions(a: string, b: string): number {
  const left = parseApiVersion(a);
  const right = parseApiVersion(b);
  return left.major - right.major || left.minor - right.minor;
}

/** A request path split into its optional `/vX.Y` prefix and the route path behind it. */
export interface VersionedPath {
  /** The version named in the prefix, or undefined for an unversioned path. */
  readonly version: string | undefined;
  /** The path without the prefix; always starts with `/`. */
  readonly path: string;
}

// Docker's router matches `/v{version:[0-9.]+}` before each route; anything else is an unversioned path.
const PREFIX_PATTERN = /^\/v([0-9.]+)(\/.*)?$/;

/** Splits `/v1.43/images/json` into `{ version: '1.43', path: '/images/json' }`. The path is not decoded. */
export function splitVersionedPath(path: string): VersionedPath {
  const match = PREFIX_PATTERN.exec(path);
  if (!match) return { version: undefined, path };
  return { version: match[1], path: match[2] ?? '/' };
}

/** Bounds of the versions a server accepts. */
export interface ApiVersionRange {
  readonly min: string;
  readonly max: string;
}

/**
 * Checks a requested version against the served range, with docker's wording, so clients that match on it keep working.
 * Throws INVALID_ARGUMENT (HTTP 400) when the version is malformed, too new or too old.
 */
export function checkApiVersion(
  requested: string,
  range: ApiVersionRange = { min: MIN_API_VERSION, max: API_VERSION },
): void {
  parseApiVersion(requested);
  if (compareApiVersions(requested, range.max) > 0) {
    throw new CError(
      'INVALID_ARGUMENT',
      `client version ${requested} is too new. Maximum supported API version is ${range.max}`,
      { hint: `use an API version between ${range.min} and ${range.max}` },
    );
  }
  if (compareApiVersions(requested, range.min) < 0) {
    throw new CError(
      'INVALID_ARGUMENT',
      `client version ${requested} is too old. Minimum supported API version is ${range.min}, please upgrade your client to a newer version`,
      { hint: `use an API version between ${range.min} and ${range.max}` },
    );
  }
}
