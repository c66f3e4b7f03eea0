/**
 * The product's promise: step into a Debian container and `apt-get install` a package. A minbase Debian root made
 * with debootstrap is imported with `c import`; a container on the default bridge runs `apt-get update` and installs
 * `hello` from the host's configured Debian mirror through c's NAT. Skipped, saying why, only where that mirror is not
 * reachable from the host (or debootstrap is missing).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from '../registry/support/cli';
import { mountsUnder } from '../containers/support';
import { isRoot } from '../runtime/helpers';

/** The first http Debian mirror the host's apt uses (deb822 .sources or one-line lists), else deb.debian.org. */
function configuredMirror(): string {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').filter((f) => /\.(list|sources)$/.test(f)).map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^\s*(?:URIs:|deb)\s+(?:\[[^\]]*\]\s+)?(http:\/\/\S+\/debian)\/?\s*(?:$|\s)/.exec(line);
      if (match) return match[1]!;
    }
  }
  return 'http://deb.debian.org/debian';
}

/** Whether the host reaches the mirror's bookworm Release file within 10 s. */
function reachable(mirror: string): boolean {
  const probe = spawnSync('curl', ['-sf', '-o', '/dev/null', '--max-time', '10', `${mirror}/dists/bookworm/Release`]);
  return probe.status === 0;
}

/** The process group of a command runQuietly runs, for afterAll to end should the test time out meanwhile. */
let running: number | undefined;

/** Ends the whole process group (debootstrap's wget and dpkg too, not only its shell). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs a long command in a process group of its own without blocking this worker's event loop (a synchronous
 * minute-long debootstrap starved vitest's own messages meanwhile); rejects on a non-zero exit or after `timeoutMs`.
 */
function runQuietly(file: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', detached: true });
    running = child.pid;
    const timer = setTimeout(() => child.pid !== undefined && killGroup(child.pid), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

/** Removes `dir` after detaching what is mounted under it (a debootstrap killed at its timeout leaves target/proc). */
function removeTree(dir: string): void {
  for (const mountPoint of mountsUnder(dir).sort().reverse()) spawnSync('umount', ['-l', mountPoint]);
  rmSync(dir, { recursive: true, force: true });
}

/** debootstrap, once more on a failure (one dropped download fails a run); a second failure shows the end of its log. */
async function debootstrap(rootfs: string, mirror: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runQuietly('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], 450_000);
    } catch (error) {
      const log = join(rootfs, 'debootstrap/debootstrap.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '(no debootstrap.log)';
      removeTree(rootfs);
      if (attempt === 2) throw new Error(`${(error as Error).message}; the end of its log:\n${tail}`);
    }
  }
}

describe.skipIf(!isRoot())('apt-get inside a Debian container, through NAT', () => {
  let c: CliEnvironment | undefined;
  let work: string | undefined;
  afterAll(() => {
    if (running !== undefined) killGroup(running);
    c?.cleanup();
    if (work) removeTree(work);
  });

  it('installs a package from the Debian mirror and runs it', async (ctx) => {
    const mirror = configuredMirror();
    if (!existsSync('/usr/sbin/debootstrap')) ctx.skip('debootstrap is not installed (tooling/scripts/setup.sh installs it)');
    if (!reachable(mirror)) ctx.skip(`the Debian mirror ${mirror} is not reachable from this host`);
    work = mkdtempSync(join(tmpdir(), 'c-e2e-apt-'));
    const rootfs = join(work, 'rootfs');
    await debootstrap(rootfs, mirror);
    const tar = join(work, 'debian.tar');
    execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
    c = cliEnvironment();
    expectSuccess(await c.run(['import', tar, 'e2e/debian:minbase']), 'c import');
    // Default bridge: the container reaches the mirror only through c's masquerade.
    const run = await c.run([
      'run', '--rm', 'e2e/debian:minbase', 'sh', '-c',
      // apt's own retries: one dropped connection to the mirror must not fail the suite.
      'apt-get -o Acquire::Retries=3 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends hello >/dev/null && hello',
    ]);
    expect(run.stderr).not.toMatch(/Could not resolve|Failed to fetch|Temporary failure/);
    expect(run).toMatchObject({ code: 0, stdout: 'Hello, world!\n' });
  }, 1_200_000);
});
