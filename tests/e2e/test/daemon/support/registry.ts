/** A throwaway docker-registry (Debian's distribution 2.8) on a free 127.0.0.1 port with temp storage. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onFreePort } from '../../registry/support/registry-server';

export interface LocalRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  stop(): Promise<void>;
}

/** Polls `check` until it holds; `what()` names what was awaited (read at the end, with the output so far). */
async function waitFor(check: () => Promise<boolean>, what: () => string, gaveUp: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${gaveUp() ? 'gave up' : 'timed out'} waiting for ${what()}`);
}

/** `htpasswd`: a file made with `htpasswd -Bbn`; the registry then refuses anonymous access with 401. */
export async function startRegistry(dir: string, options: { htpasswd?: string } = {}): Promise<LocalRegistry> {
  return onFreePort((port) => startRegistryOn(port, dir, options));
}

async function startRegistryOn(port: number, dir: string, options: { htpasswd?: string }): Promise<LocalRegistry> {
  const host = `127.0.0.1:${port}`;
  await mkdir(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'storage')} }, delete: { enabled: true } }`,
      `http: { addr: "${host}" }`,
      ...(options.htpasswd ? [`auth: { htpasswd: { realm: c-e2e, path: ${options.htpasswd} } }`] : []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // 'close' comes after the last of stderr: a failed bind's message is complete by then.
  let closed = false;
  child.once('close', () => (closed = true));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      async () => (await fetch(`http://${host}/v2/`)).status === (options.htpasswd ? 401 : 200),
      () => `docker-registry on ${host} (${stderr})`,
      () => closed,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, stop };
}
