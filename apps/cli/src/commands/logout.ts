import { DockerConfigCredentials } from '@c/registry-client';
import type { GlobalOptions } from '../context';
import { registryHost } from './login';

/** Credentials live only in the client's docker config: pulls and pushes send them to the daemon per request (X-Registry-Auth). */
export async function run(argv: Record<string, unknown>, _globals: GlobalOptions): Promise<void> {
  const registry = registryHost(typeof argv.server === 'string' ? argv.server : undefined);
  const removed = await new DockerConfigCredentials().removeCredentials(registry);
  process.stdout.write(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
}
