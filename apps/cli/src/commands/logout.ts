import { DockerConfigCredentials } from '@c/registry-client';
import type { GlobalOptions } from '../context';
import { registryHost } from './login';

/** Credentials live in the client's docker config (the daemon reads the same file when it runs as this user). */
export async function run(argv: Record<string, unknown>, _globals: GlobalOptions): Promise<void> {
  const registry = registryHost(typeof argv.server === 'string' ? argv.server : undefined);
  const removed = await new DockerConfigCredentials().removeCredentials(registry);
  process.stdout.write(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
}
