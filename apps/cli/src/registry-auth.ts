/**
 * Docker's credential model: the client reads its own config.json (or credential helper) and sends the
 * credentials for the image's registry with each pull or push (`X-Registry-Auth`); the daemon keeps none.
 */
import type { AuthConfig } from '@c/api';
import { parseReference } from '@c/image';
import { DockerConfigCredentials, type CredentialStore } from '@c/registry-client';

/** The saved credentials for `image`'s registry as an AuthConfig, or undefined (anonymous). */
export async function registryAuthFor(image: string, store: CredentialStore = new DockerConfigCredentials()): Promise<AuthConfig | undefined> {
  const registry = parseReference(image).registry;
  const saved = await store.get(registry);
  if (!saved) return undefined;
  const auth: AuthConfig = { serveraddress: registry };
  if (saved.username !== undefined) auth.username = saved.username;
  if (saved.password !== undefined) auth.password = saved.password;
  if (saved.identityToken !== undefined) auth.identitytoken = saved.identityToken;
  return auth;
}
