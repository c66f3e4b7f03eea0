/**
 * Runs Debian's real docker-registry (distribution 2.8) on a free 127.0.0.1 port with temp storage, in one of
 * three auth modes: none, htpasswd (basic) or token (JWTs from a TokenServer the test runs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, the registry part of image names. */
  host: string;
  port: number;
  dir: string;
  /** What the registry printed, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function authSection(auth: RegistryAuth, dir: string): string {
  switch (auth.kind) {
    case 'none':
      return '';
    case 'htpasswd': {
      const lines = Object.entries(auth.users).map(([user, password]) =>
        execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }).trim(),
      );
      const file = join(dir, 'htpasswd');
      writeFileSync(file, `${lines.join('\n')}\n`);
      return `auth:\n  htpasswd:\n    realm: c-e2e\n    path: ${file}\n`;
    }
    case 'token':
      return [
        'auth:',
        '  token:',
        `    realm: ${auth.realm}`,
        `    service: ${auth.service}`,
        `    issuer: ${auth.issuer}`,
        `    rootcertbundle: ${auth.rootCertBundle}`,
        '',
      ].join('\n');
  }
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Starts a server on a free port, on another one should that be taken first: freePort() closes its probe before the
 * server binds, and another process may take the port in between (`start` rejects with "address already in use").
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test(String(error))) throw error;
    }
  }
}

export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<RunningRegistry> {
  return onFreePort((port) => startRegistryOn(port, auth));
}

async function startRegistryOn(port: number, auth: RegistryAuth): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'c-e2e-registry-'));
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    authSection(auth, dir),
  ].join('\n');
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // 'close' comes after the last of its output: a failed bind's message is complete by then.
  let closed = false;
  child.once('close', () => (closed = true));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000; // generous: a loaded CI machine
  for (;;) {
    const status = await ping(port);
    if (status === 200 || status === 401) break;
    if (closed || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on 127.0.0.1:${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host: `127.0.0.1:${port}`, port, dir, log: () => output, stop };
}

export const haveRegistry = existsSync(REGISTRY_BINARY);
