import { CError } from '@c/errors';
import type { AuthConfig } from './types/system';

/** Largest `X-Registry-Auth` header accepted; real ones are a few hundred bytes. */
export const MAX_REGISTRY_AUTH_LENGTH = 64 * 1024;

/** The `X-Registry-Auth` header value: URL-safe base64 of the JSON auth config, as the docker CLI sends it. */
export function encodeRegistryAuth(config: AuthConfig): string {
  return Buffer.from(JSON.stringify(config)).toString('base64url');
}

/**
 * Decodes an `X-Registry-Auth` header. Accepts both base64 alphabets with or without padding (clients differ).
 * An absent or empty header, or one that decodes to `{}`, means anonymous: returns undefined.
 */
export function decodeRegistryAuth(header: string | undefined): AuthConfig | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.length > MAX_REGISTRY_AUTH_LENGTH) {
    throw new CError('LIMIT_EXCEEDED', `X-Registry-Auth header is ${header.length} bytes long`, {
      hint: `send at most ${MAX_REGISTRY_AUTH_LENGTH} bytes of credentials`,
    });
  }
  if (!/^[A-Za-z0-9+/_=-]+$/.test(header.trim())) {
    throw new CError('INVALID_ARGUMENT', 'invalid X-Registry-Auth header: not base64', {
      hint: 'send base64url(JSON of {username, password, serveraddress})',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch (error) {
    throw new CError('INVALID_ARGUMENT', 'invalid X-Registry-Auth header: not JSON', {
      cause: error,
      hint: 'send base64url(JSON of {username, password, serveraddress})',
    });
  }
  const config = parseAuthConfig(parsed, 'X-Registry-Auth header');
  return Object.keys(config).length === 0 ? undefined : config;
}

const AUTH_FIELDS = ['username', 'password', 'identitytoken', 'registrytoken', 'serveraddress', 'email', 'auth'] as const;

/** Validates an auth config from an untrusted body: an object whose known fields are strings. Unknown fields are dropped. */
export function parseAuthConfig(value: unknown, where = 'auth config'): AuthConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CError('INVALID_ARGUMENT', `invalid ${where}: expected a JSON object`, {
      hint: 'send {"username": …, "password": …, "serveraddress": …}',
    });
  }
  const record = value as Record<string, unknown>;
  const config: AuthConfig = {};
  for (const field of AUTH_FIELDS) {
    const fieldValue = record[field];
    if (fieldValue === undefined || fieldValue === null || fieldValue === '') continue;
    if (typeof fieldValue !== 'string') {
      throw new CError('INVALID_ARGUMENT', `invalid ${where}: "${field}" must be a string`, {
        hint: 'send string values only',
      });
    }
    config[field] = fieldValue;
  }
  return config;
}
