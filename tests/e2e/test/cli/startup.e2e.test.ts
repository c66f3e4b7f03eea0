/**
 * What `c` loads at start-up, seen from the code caches the bin writes next to each bundle it runs: `c --version`
 * reads no bundle, `c run` without a terminal runs from dist/c-run.cjs alone, the everyday commands run from
 * dist/c-main.cjs without the yargs bundle (dist/c-commands.cjs), and anything the fast parsers leave alone (help, a
 * flag without its value) still gets the full command line. Runs a copy of the built dist so the caches start out
 * missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { busyboxTar } from '../busybox-rootfs';
import { CLI_PATH, cliEnvironment, expectSuccess, type CliEnvironment, type CliResult } from '../registry/support/cli';

const BUNDLES = ['c.cjs', 'c-run.cjs', 'c-main.cjs', 'c-commands.cjs'];
const IMAGE = 'startup/busybox:1';
const { version } = JSON.parse(readFileSync(join(dirname(CLI_PATH), '..', 'package.json'), 'utf8')) as { version: string };

describe('c start-up paths', () => {
  let c: CliEnvironment;
  let copy: string;
  let work: string;

  beforeAll(async () => {
    c = cliEnvironment();
    work = mkdtempSync(join(tmpdir(), 'c-e2e-startup-image-'));
    // Starts the store's daemon through the real bin; the copy below then talks to it.
    expectSuccess(await c.run(['import', busyboxTar(work, ['sh', 'true', 'cat']), IMAGE]), 'c import');
  }, 120_000);
  afterAll(async () => {
    await c?.run(['rm', '-f', 'startup-detached']);
    c?.cleanup();
    if (copy) rmSync(copy, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
    copy = mkdtempSync(join(tmpdir(), 'c-e2e-startup-'));
    for (const file of BUNDLES) copyFileSync(join(dirname(CLI_PATH), file), join(copy, file));
  });

  const runCopy = (args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(copy, 'c.cjs'), ...args], {
        env: { ...process.env, C_ROOT: c.root, DOCKER_CONFIG: c.dockerConfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  const loaded = (bundle: string) => existsSync(join(copy, `${bundle}.v8-cache`));

  it('the executable runs Node with --no-rehash-snapshot (decision 0017); `node c.cjs` does not', async () => {
    const probe = join(copy, 'exec-argv.cjs');
    const out = join(copy, 'exec-argv.json');
    writeFileSync(probe, `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.execArgv));`);
    const env = { ...process.env, NODE_OPTIONS: `--require ${probe}`, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const direct = spawnSync(join(copy, 'c.cjs'), ['--version'], { env, encoding: 'utf8' });
    expect(direct).toMatchObject({ status: 0, stdout: `c version ${version}\n` });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(['--no-rehash-snapshot']);
    const throughNode = spawnSync(process.execPath, [join(copy, 'c.cjs'), '--version'], { env, encoding: 'utf8' });
    expect(throughNode.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([]);
  });

  it('answers c --version from the bin alone', async () => {
    expect(await runCopy(['--version'])).toMatchObject({ code: 0, stdout: `c version ${version}\n` });
    expect(loaded('c-main.cjs')).toBe(false);
    expect(loaded('c-commands.cjs')).toBe(false);
  });

  const noSuchContainer = /^Error: No such container: no-such-container/;
  it.each([
    [['ps', '-a', '--no-trunc'], 0, /^CONTAINER ID +IMAGE/, /^$/],
    [['container', 'ls', '-q'], 0, /^$/, /^$/],
    [['images', '-q'], 0, /^[0-9a-f]{12}\n$/, /^$/],
    [['version', '--format', '{{.Server.ApiVersion}}'], 0, /^Client:[^]*\n1\.\d+\n$/, /^$/],
    [['rm', '-f', 'no-such-container'], 1, /^$/, noSuchContainer],
    [['stop', '-t', '0', 'no-such-container'], 1, /^$/, noSuchContainer],
    [['logs', 'no-such-container'], 1, /^$/, noSuchContainer],
    [['exec', '-it', 'no-such-container', 'sh'], 1, /^$/, noSuchContainer],
    [['container', 'kill', '-s', 'HUP', 'no-such-container'], 1, /^$/, noSuchContainer],
    [['wait', 'no-such-container'], 1, /^$/, noSuchContainer],
    [['inspect', '--type', 'container', 'no-such-container'], 1, /^\[\]\n$/, /^Error: No such object: no-such-container/],
    [['image', 'rm', 'no-such-image'], 1, /^$/, /^Error: No such image: no-such-image/],
  ])('runs c %j without the yargs bundle', async (args, code, stdout, stderr) => {
    const result = await runCopy(args);
    expect(result.code, result.stderr).toBe(code);
    expect(result.stdout).toMatch(stdout);
    expect(result.stderr).toMatch(stderr);
    expect(loaded('c-main.cjs')).toBe(true);
    expect(loaded('c-commands.cjs')).toBe(false);
  });

  it('picks the run code cache by the command word, not by any argument that reads "run"', async () => {
    const result = await runCopy(['logs', 'run']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No such container: run/);
    expect(existsSync(join(copy, 'c-main.cjs.run.v8-cache'))).toBe(false);
  });

  it('runs c run without a terminal from c-run.cjs alone (no c-main.cjs, no yargs)', async () => {
    const result = await runCopy(['run', '--rm', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 4']);
    expect(result).toMatchObject({ code: 4, stdout: 'out\n', stderr: 'err\n' });
    const detached = await runCopy(['run', '-d', '--name', 'startup-detached', IMAGE, 'true']);
    expect(detached.code, detached.stderr).toBe(0);
    expect(detached.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(loaded('c-run.cjs')).toBe(true);
    expect(loaded('c-main.cjs')).toBe(false);
    expect(existsSync(join(copy, 'c-main.cjs.run.v8-cache'))).toBe(false);
    expect(loaded('c-commands.cjs')).toBe(false);
  });

  it('hands c run with stdin or a missing image to c-main.cjs, with a code cache of its own, and keeps c-run.cjs’s cache unwritten', async () => {
    const piped = await runCopy(['run', '--rm', '-i', IMAGE, 'cat']);
    expect(piped.code, piped.stderr).toBe(0);
    const result = await runCopy(['run', '--rm', '127.0.0.1:1/nothing:1', 'true']);
    expect(result.code, result.stderr).toBe(125);
    expect(result.stderr).toMatch(/^Unable to find image '127\.0\.0\.1:1\/nothing:1' locally\n/);
    expect(existsSync(join(copy, 'c-main.cjs.run.v8-cache'))).toBe(true);
    // Written by a run that handed back, c-run.cjs's cache would lack the lean path's functions for good.
    expect(loaded('c-run.cjs')).toBe(false);
    expect(loaded('c-main.cjs')).toBe(false);
    expect(loaded('c-commands.cjs')).toBe(false);
  });

  it('leaves help and malformed spellings to the full command line', async () => {
    const help = await runCopy(['ps', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--no-trunc|--trunc/);
    expect(loaded('c-commands.cjs')).toBe(true);

    const missingValue = await runCopy(['ps', '--format']);
    expect(missingValue.code).toBe(125);
    expect(missingValue.stderr).toMatch(/^Error: .*format.*: see 'c --help'\n$/);
  });
});
