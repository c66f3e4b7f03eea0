import { homedir } from 'node:os';
import { join } from 'node:path';
import { CError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { DockerConfigCredentials } from '@c/registry-client';
import { connect } from '../daemon/connect';
import { prompt, readAll } from '../input';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const server = typeof argv.server === 'string' ? argv.server : undefined;
  let username = typeof argv.username === 'string' ? argv.username : undefined;
  let password = typeof argv.password === 'string' ? argv.password : undefined;
  if (password !== undefined && argv['password-stdin']) {
    throw new CError('INVALID_ARGUMENT', '--password and --password-stdin are mutually exclusive', { hint: 'use one of them' });
  }
  if (argv['password-stdin']) {
    if (!username) {
      throw new CError('INVALID_ARGUMENT', 'Must provide --username with --password-stdin', { hint: 'add -u USER' });
    }
    password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
  } else if (password !== undefined) {
    process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  if (username === undefined || password === undefined) {
    if (!process.stdin.isTTY) {
      throw new CError('INVALID_ARGUMENT', 'Cannot perform an interactive login from a non TTY device', {
        hint: 'pass -u USER and --password-stdin',
      });
    }
    username ??= await prompt('Username: ', false);
    password ??= await prompt('Password: ', true);
  }
  if (!username || !password) {
    throw new CError('INVALID_ARGUMENT', 'login needs a username and a password', { hint: 'pass -u USER and --password-stdin' });
  }
  const registry = registryHost(server);
  const client = await connect(globals);
  await client.auth({ username, password, serveraddress: registry });
  await new DockerConfigCredentials().saveCredentials(registry, { username, password });
  const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  process.stderr.write(`WARNING! Your password will be stored unencrypted in ${join(configDir, 'config.json')}.\n`);
  process.stdout.write('Login Succeeded\n');
}

/** `docker.io`, `https://index.docker.io/v1/` and the like all name Docker Hub. */
export function registryHost(input: string | undefined): string {
  if (!input) return 'docker.io';
  const host = input.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io') return 'docker.io';
  return host;
}
