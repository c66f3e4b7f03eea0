/**
 * The CLI's daemon auto-start when the daemon cannot come up: the CLI says so at once (with the log's path) instead
 * of waiting out its 60 s start timeout.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnvironment, type CliEnvironment } from '../registry/support/cli';

describe('c auto-starting a daemon that fails', () => {
  let env: CliEnvironment | undefined;
  afterEach(() => env?.cleanup());

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
