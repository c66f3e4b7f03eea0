import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordingSyscalls } from '@c/namespaces';
import type { ContainerCgroups } from '../container/cgroups-port';
import { main } from './main';

let dir: string;
let out: string;
let err: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-runtime-cli-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const noCgroups = (): ContainerCgroups => {
  throw new Error('no cgroups in unit tests');
};
const run = (argv: string[]) => main(argv, { sys: new RecordingSyscalls(), cgroups: noCgroups });

describe('c-runtime CLI', () => {
  it('spec writes a default config.json once', async () => {
    expect(await run(['spec', '--bundle', dir])).toBe(0);
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { process: { args: string[] } };
    expect(spec.process.args).toEqual(['sh']);
    expect(await run(['spec', '--bundle', dir])).toBe(1);
    expect(err).toMatch(/config.json exists/);
  });

  it('prints the version and features', async () => {
    expect(await run(['--version'])).toBe(0);
    expect(out).toMatch(/^c-runtime version \d+\.\d+\.\d+\nspec: 1\./);
    out = '';
    expect(await run(['features'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ociVersionMin: '1.0.0', linux: { namespaces: expect.arrayContaining(['pid', 'mount']) } });
  });

  it('refuses --systemd-cgroup and unknown commands with exit 1 and a clear message', async () => {
    expect(await run(['--systemd-cgroup', 'state', 'x'])).toBe(1);
    expect(err).toMatch(/--systemd-cgroup is not supported/);
    expect(await run(['frobnicate'])).toBe(1);
  });

  it('logs errors as JSON lines to --log and to stderr with --log-format json', async () => {
    const log = join(dir, 'log.json');
    expect(await run(['--root', dir, '--log', log, '--log-format', 'json', 'state', 'missing'])).toBe(1);
    const line = JSON.parse(readFileSync(log, 'utf8').trim()) as { level: string; msg: string; time: string };
    expect(line.level).toBe('error');
    expect(line.msg).toMatch(/container does not exist: missing/);
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
    expect(JSON.parse(err.trim())).toMatchObject({ level: 'error' });
  });

  it('delete --force of a missing container succeeds; without --force it is NOT_FOUND', async () => {
    expect(await run(['--root', dir, 'delete', '--force', 'gone'])).toBe(0);
    expect(await run(['--root', dir, 'delete', 'gone'])).toBe(1);
    expect(err).toMatch(/container does not exist: gone/);
  });

  it('rejects a bundle without config.json before creating any state', async () => {
    expect(await run(['--root', join(dir, 'state'), 'create', '--bundle', dir, 'c1'])).toBe(1);
    expect(err).toMatch(/cannot read .*config.json/);
    expect(existsSync(join(dir, 'state', 'c1'))).toBe(false);
  });
});
