/**
 * `c save`/`c load` (docker-archive through the daemon's /images/get and /images/load), `c commit` without a name
 * (an untagged image) and `c top` with ps options, with the BUILT cli against its auto-started daemon.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTar } from '../busybox-rootfs';
import { cliEnvironment, expectSuccess, tearDownCli, type CliEnvironment } from '../registry/support/cli';

describe.skipIf(!existsSync('/bin/busybox') || process.getuid?.() !== 0)('c save, load, commit, top', () => {
  let c: CliEnvironment;
  let work: string;
  const image = 'cli-images/busybox:1';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-cli-images-'));
    c = cliEnvironment();
    expectSuccess(await c.run(['import', busyboxTar(work, ['sh', 'echo', 'cat', 'sleep']), image]), 'c import');
  });

  afterAll(() => tearDownCli(c, work));

  it('c save -o, c rmi, c load -i: the same image id, and it runs', async () => {
    const id = expectSuccess(await c.run(['image', 'inspect', '-f', '{{.Id}}', image]), 'inspect').stdout.trim();
    const file = join(work, 'saved.tar');
    expectSuccess(await c.run(['save', '-o', file, image]), 'c save');
    const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' });
    expect(listing).toContain('manifest.json');
    expect(listing).toContain(`${id.slice(7)}.json`);
    expectSuccess(await c.run(['rmi', image]), 'c rmi');
    const loaded = expectSuccess(await c.run(['load', '-i', file]), 'c load');
    expect(loaded.stdout).toBe(`Loaded image: ${image}\n`);
    expect(expectSuccess(await c.run(['image', 'inspect', '-f', '{{.Id}}', image]), 'inspect').stdout.trim()).toBe(id);
    expect(await c.run(['run', '--rm', image, 'echo', 'loaded'])).toMatchObject({ code: 0, stdout: 'loaded\n' });
  });

  it('c commit without a name prints the untagged image id; c top passes ps options', async () => {
    const started = expectSuccess(await c.run(['run', '-d', '--name', 'cli-commit', image, 'sh', '-c', 'echo x > /x; exec sleep 60']), 'c run -d');
    expect(started.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    // Until the shell has exec'd sleep (comm "sleep", not "sh"): run -d returns once the container started, and on
    // a loaded machine the shell may not have run yet.
    await expect.poll(async () => (await c.run(['top', 'cli-commit', '-o', 'pid,comm'])).stdout).toMatch(/^\d+\s+sleep\s*$/m);
    const top = expectSuccess(await c.run(['top', 'cli-commit', 'aux']), 'c top');
    expect(top.stdout.split('\n')[0]).toMatch(/^USER\s+PID\s+%CPU/);
    expect(top.stdout).toMatch(/sleep 60/);
    // Options that look like flags are ps's too, as with `docker top CONTAINER -o pid,comm`.
    const custom = expectSuccess(await c.run(['top', 'cli-commit', '-o', 'pid,comm']), 'c top -o');
    expect(custom.stdout.split('\n')[0]).toMatch(/^PID\s+COMMAND\s*$/);
    expect(custom.stdout).toMatch(/^\d+\s+sleep\s*$/m);
    const committed = expectSuccess(await c.run(['commit', '-m', 'no name', 'cli-commit']), 'c commit');
    const id = committed.stdout.trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await c.run(['images'])).stdout).toMatch(new RegExp(`^<none>\\s+<none>\\s+${id.slice(7, 19)}\\s`, 'm'));
    expect(await c.run(['run', '--rm', id, 'cat', '/x'])).toMatchObject({ code: 0, stdout: 'x\n' });
  });
});
