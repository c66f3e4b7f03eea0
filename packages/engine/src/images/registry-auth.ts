/**
 * Credentials for one pull or push (docker's model: the client sends them in `X-Registry-Auth` with every
 * request, and the daemon keeps none). They are offered only to the registry of the image being moved.
 */
import { CError } from '@c/errors';
import { normalizeRegistryKey } from '@c/registry-client';
import type { CallCredentialStore, RegistryCallCredentials } from './ports';
import type { RegistryAuth } from './types';

/** A credential store for one call: answers `registry` (any alias of it) with `auth`, every other host with nothing. */
export function callCredentials(registry: string, auth: RegistryAuth | undefined): CallCredentialStore | undefined {
  const credentials = auth ? toCredentials(auth, registry) : undefined;
  if (!credentials) return undefined;
  const home = normalizeRegistryKey(registry);
  return { get: async (host) => (normalizeRegistryKey(host) === home ? credentials : undefined) };
}

function toCredentials(auth: RegistryAuth, registry: string): RegistryCallCredentials | undefined {
  let { username, password } = auth;
  // Old clients send only `auth`: base64 of "user:password", as in config.json.
  if (username === undefined && auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new CError('INVALID_ARGUMENT', `the registry credentials for ${registry} have an "auth" field that is not base64 of user:password`, {
        hint: 'send username and password, or auth = base64("user:password")',
      });
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (auth.identitytoken) return { ...(username ? { username } : {}), identityToken: auth.identitytoken };
  if (username === undefined && password === undefined) return undefined;
  return { username: username ?? '', password: password ?? '' };
}
