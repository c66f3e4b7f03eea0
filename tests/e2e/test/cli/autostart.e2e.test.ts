/**
 * The CLI's daemon auto-start when the daemon cannot come up: the CLI says so at once (with the log's path) instead
 * of waiting out its 60 s start timeout.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnvironment, stopAutoStartedDaemon, type CliEnvironment } from '../registry/support/cli';

describe('c auto-starting a daemon that fails', () => {
  let env: CliEnvironment | undefined;
  afterEach(() => {
    if (env) stopAutoStartedDaemon(env.root);
    env?.cleanup();
  });

  it('c run as the first command (no ping before its create) starts the daemon and then sends the create', async () => {
    env = cliEnvironment();
    const result = await env.run(['run', '--rm', '127.0.0.1:1/c-e2e/nothing:1', 'true']);
    expect(result.stderr).toContain('c: started the daemon');
    // The create reached the started daemon: it has no such image and the pull from a closed port fails.
    expect(result.stderr).toContain("Unable to find image '127.0.0.1:1/c-e2e/nothing:1' locally");
    expect(result.code).toBe(125);
  });

  it('reports the daemon exit and its log within seconds', async () => {
    assertBuilt();
    env = cliEnvironment();
    const fakeDaemon = join(env.root, '..', 'failing-daemon.cjs');
    writeFileSync(fakeDaemon, "process.stderr.write('c-daemon: cannot start here\\n'); process.exit(3);\n");
    chmodSync(fakeDaemon, 0o755);
    const started = Date.now();
    const result = await env.run(['ps'], { env: { C_DAEMON_BIN: fakeDaemon } });
    const elapsed = Date.now() - started;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('c: started the daemon');
    expect(result.stderr).toMatch(/exited at start-up \(status 3\)/);
    expect(result.stderr).toContain(join(env.root, 'daemon.log'));
    expect(elapsed).toBeLessThan(15_000);
  });
});
