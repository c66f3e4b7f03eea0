/**
 * `c run … | head`: the reader goes away mid-stream. The CLI stops quietly (no stack trace), and the daemon, whose
 * attach connection breaks under it, keeps serving.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTar } from '../busybox-rootfs';
import { CLI_PATH, cliEnvironment, expectSuccess, tearDownCli, type CliEnvironment } from '../registry/support/cli';

describe.skipIf(!existsSync('/bin/busybox'))('c run piped into a reader that quits', () => {
  let c: CliEnvironment;
  let work: string;
  const image = 'cli-pipe/busybox:1';

  beforeAll(async () => {
    c = cliEnvironment();
    work = mkdtempSync(join(tmpdir(), 'c-e2e-pipe-'));
    const tar = busyboxTar(work, ['sh', 'echo', 'seq']);
    expectSuccess(await c.run(['import', tar, image]), 'c import');
  }, 120_000);
  // Removes the containers first: a `--rm` container whose client died may still be exiting or being removed.
  afterAll(() => tearDownCli(c, work));

  it('stops quietly when stdout closes, and the daemon survives the broken attach', async () => {
    for (let round = 0; round < 3; round++) {
      // The shell gives `c` a pipe whose reader (head) exits after a few bytes while the container still writes.
      const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
        const child = spawn('sh', ['-c', `"${process.execPath}" "${CLI_PATH}" run --rm ${image} seq 1 200000 | head -c 20`], {
          env: { ...process.env, C_ROOT: c.root, DOCKER_CONFIG: c.dockerConfig },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(result.stdout).toBe('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n'.slice(0, 20));
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled|node:events/);
    }
    // The daemon is still there and answers.
    expect(await c.run(['run', '--rm', image, 'echo', 'still here'])).toMatchObject({ code: 0, stdout: 'still here\n' });
  }, 120_000);
});
