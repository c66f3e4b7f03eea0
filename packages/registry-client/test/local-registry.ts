/** Starts /usr/bin/docker-registry on a free 127.0.0.1 port with temp storage (integration tests only). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const registryAvailable = existsSync(REGISTRY_BINARY);
export const htpasswdAvailable = spawnSync('htpasswd', ['-h']).error === undefined;

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, usable as a reference's registry. */
  host: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRegistry(auth?: { username: string; password: string }): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'c-registry-it-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let authBlock = '';
  if (auth) {
    const hashed = spawnSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    if (hashed.status !== 0) throw new Error(`htpasswd failed: ${hashed.stderr}`);
    await writeFile(join(dir, 'htpasswd'), hashed.stdout);
    authBlock = `auth:\n  htpasswd: {realm: c-test, path: ${join(dir, 'htpasswd')}}\n`;
  }
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage:\n  filesystem: {rootdirectory: ${join(dir, 'storage')}}\n  delete: {enabled: true}\nhttp:\n  addr: ${host}\n${authBlock}`,
  );
  const child: ChildProcess = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) return { host, stop };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
}
