import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Everything a test created, undone in reverse order even when the test failed. */
export class Cleanup {
  private readonly steps: (() => void | Promise<void>)[] = [];
  add(step: () => void | Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      try {
        await step?.();
      } catch (error) {
        console.error('cleanup step failed:', error);
      }
    }
  }
}

export function sh(argv: string[], input?: string, timeoutMs = 30_000): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', input, timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Async variant: the DNS servers and HTTP servers under test live in this process, so a blocking spawnSync
 * would starve them. Killed with SIGKILL after `timeoutMs`.
 */
export function run(argv: string[], timeoutMs = 30_000): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

export function must(argv: string[], input?: string): string {
  const r = sh(argv, input);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A named netns standing in for a container: /run/netns/<name> is what a container's /proc/<pid>/ns/net would be. */
export function addNetns(cleanup: Cleanup, name: string): string {
  sh(['ip', 'netns', 'del', name]);
  must(['ip', 'netns', 'add', name]);
  cleanup.add(() => {
    sh(['ip', 'netns', 'del', name]);
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    try {
      rmdirSync('/etc/netns'); // only when empty: other namespaces' files stay
    } catch {
      // not empty, or not there
    }
  });
  return `/run/netns/${name}`;
}

/** Run a long-lived process inside a netns; killed (by its own pid) at cleanup. */
export function spawnIn(cleanup: Cleanup, netns: string, argv: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: 'ignore' });
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  return child;
}

/** A document root for busybox httpd with index.html = `body` and a CGI that prints the peer address. */
export function httpRoot(cleanup: Cleanup, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'c-net-www-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), body);
  mkdirSync(join(dir, 'cgi-bin'));
  writeFileSync(join(dir, 'cgi-bin', 'peer'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n');
  chmodSync(join(dir, 'cgi-bin', 'peer'), 0o755);
  return dir;
}

/** busybox httpd in the foreground inside `netns` on `port`; resolves once it accepts connections. */
export async function startHttpd(cleanup: Cleanup, netns: string, root: string, port = 80, address = '127.0.0.1'): Promise<void> {
  spawnIn(cleanup, netns, ['busybox', 'httpd', '-f', '-p', String(port), '-h', root]);
  for (let i = 0; i < 100; i++) {
    if ((await wgetIn(netns, `http://${address}:${port}/`, 1)) !== undefined) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`httpd in ${netns} did not come up on port ${port}`);
}

/**
 * `busybox wget` from inside a netns; returns the body or undefined on failure (its own -T crashes busybox 1.35).
 * Checks that expect an answer use the default, generous for a loaded machine; checks that expect none pass a short one.
 */
export async function wgetIn(netns: string, url: string, timeoutSeconds = 15): Promise<string | undefined> {
  const r = await run(['ip', 'netns', 'exec', netns, 'busybox', 'wget', '-q', '-O', '-', url], timeoutSeconds * 1000);
  return r.status === 0 ? r.stdout : undefined;
}

/** GET from the host (this process's netns). */
export async function hostGet(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) }); // generous: a loaded CI machine
  return response.text();
}

/** An HTTP server in the host namespace on `address` (a bridge gateway: never an external address). */
export async function hostServer(cleanup: Cleanup, address: string, body: string): Promise<number> {
  const server: Server = createServer((req, res) => res.end(`${body} ${req.socket.remoteAddress}`));
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address_ = server.address();
  if (address_ === null || typeof address_ === 'string') throw new Error('no port');
  return address_.port;
}

export function links(): string[] {
  return must(['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((name) => name !== '')
    .sort();
}
