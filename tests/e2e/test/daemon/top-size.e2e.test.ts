/**
 * `docker top` with ps options (the host's ps, narrowed to the container's processes) and container sizes
 * (`size=1` on list and inspect: SizeRw is the writable layer, SizeRootFs adds the image), through c-daemon with
 * the docker 28 CLI, dockerode and the built `c` (`c ps -s`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from './support/session';

const run = promisify(execFile);
const C_CLI = resolve(import.meta.dirname, '../../../../apps/cli/dist/c.cjs');

describe.skipIf(process.getuid?.() !== 0)('c-daemon: top with ps_args, container sizes', () => {
  let session: Session;
  let client: Docker;
  const docker = (...args: string[]) => session.docker(args);

  beforeAll(async () => {
    session = await openSession('c-e2e-top-size-');
    client = new Docker({ socketPath: session.socket });
  }, 300_000);

  afterAll(async () => {
    await session?.close();
  });

  it('docker top passes ps options: -o pid,comm and aux, only the container’s processes', async () => {
    const started = await docker('run', '-d', '--name', 'tp', session.image, 'sh', '-c', 'sleep 61 & exec sleep 62');
    expect(started.code, started.stderr).toBe(0);
    try {
      const pid = Number((await docker('inspect', '-f', '{{.State.Pid}}', 'tp')).stdout.trim());
      await expect.poll(async () => (await client.getContainer('tp').top({ ps_args: '-o pid,comm' })).Processes.length).toBe(2);
      const custom = await client.getContainer('tp').top({ ps_args: '-o pid,comm' });
      expect(custom.Titles).toEqual(['PID', 'COMMAND']);
      expect(custom.Processes.map((p: string[]) => p[1]).sort()).toEqual(['sleep', 'sleep']);
      expect(custom.Processes.map((p: string[]) => Number(p[0]))).toContain(pid);
      const aux = await docker('top', 'tp', 'aux');
      expect(aux.code, aux.stderr).toBe(0);
      const lines = aux.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^USER\s+PID\s+%CPU\s+%MEM\s+VSZ\s+RSS\s+TTY\s+STAT\s+START\s+TIME\s+COMMAND$/);
      expect(lines.slice(1).map((l) => l.replace(/^.*\d+:\d\d\s+/, '')).sort()).toEqual(['sleep 61', 'sleep 62']);
      // The default keeps the engine's columns.
      expect((await docker('top', 'tp')).stdout.split('\n')[0]).toMatch(/^UID\s+PID\s+PPID\s+CMD/);
      const refused = await docker('top', 'tp', '-o', 'user=PID');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/not allowed/);
    } finally {
      await docker('rm', '-f', 'tp');
    }
  });

  it('size=1: SizeRw counts what the container wrote, SizeRootFs adds the image; docker ps -s and c ps -s show them', async () => {
    const started = await docker('run', '-d', '--name', 'sz', session.image, 'sh', '-c', 'dd if=/dev/zero of=/big bs=1024 count=2048 2>/dev/null; exec sleep 60');
    expect(started.code, started.stderr).toBe(0);
    try {
      const container = client.getContainer('sz');
      // dockerode passes `size` through as a query parameter; its types only know abortSignal.
      const withSize = { size: true } as Docker.ContainerInspectOptions;
      await expect.poll(async () => ((await container.inspect(withSize)) as unknown as { SizeRw: number }).SizeRw).toBeGreaterThanOrEqual(2 * 1024 * 1024);
      const inspect = (await container.inspect(withSize)) as unknown as { SizeRw: number; SizeRootFs: number };
      expect(inspect.SizeRw).toBeLessThan(2.5 * 1024 * 1024);
      // busybox alone is more than 1 MB.
      expect(inspect.SizeRootFs - inspect.SizeRw).toBeGreaterThan(1_000_000);
      const rows = (await client.listContainers({ size: true })) as unknown as Array<{ Names: string[]; SizeRw: number; SizeRootFs: number }>;
      expect(rows.find((r) => r.Names.includes('/sz'))).toMatchObject({ SizeRw: inspect.SizeRw, SizeRootFs: inspect.SizeRootFs });
      expect(((await container.inspect()) as unknown as Record<string, unknown>).SizeRw).toBeUndefined();
      const ps = await docker('ps', '-s', '--format', '{{.Names}} {{.Size}}');
      expect(ps.stdout).toMatch(/^sz 2\.\d+MB \(virtual \d+(\.\d+)?MB\)$/m);
      if (existsSync(C_CLI)) {
        const c = await run(process.execPath, [C_CLI, '-H', `unix://${session.socket}`, 'ps', '-s', '--format', '{{.Names}} {{.Size}}'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
        expect(c.stdout).toMatch(/^sz 2\.\d+MB \(virtual \d+(\.\d+)?MB\)$/m);
      }
    } finally {
      await docker('rm', '-f', 'sz');
    }
  });
});
