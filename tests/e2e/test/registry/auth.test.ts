/**
 * Logging in and out against real registries: htpasswd (basic auth) and token auth (JWTs from a token server
 * the test runs, trusted by the registry through its certificate).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from './support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from './support/registry-server';
import { buildBusyboxTar, haveBusybox } from './support/rootfs';
import { startTokenServer, type TokenServer } from './support/token-server';

const haveHtpasswd = existsSync('/usr/bin/htpasswd');
const haveOpenssl = existsSync('/usr/bin/openssl');

function savedAuths(c: CliEnvironment): Record<string, { auth?: string }> {
  const path = join(c.dockerConfig, 'config.json');
  if (!existsSync(path)) return {};
  return (JSON.parse(readFileSync(path, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
}

describe.skipIf(!haveRegistry || !haveBusybox || !haveHtpasswd)('login / logout against an htpasswd registry', () => {
  let registry: RunningRegistry;
  let c: CliEnvironment;
  let work: string;
  let image: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-auth-'));
    registry = await startRegistry({ kind: 'htpasswd', users: { alice: 's3cret pass' } });
    c = cliEnvironment();
    image = `${registry.host}/private/busybox:1`;
    expectSuccess(await c.run(['import', buildBusyboxTar(work), image]), 'c import');
  });

  afterAll(async () => {
    await registry?.stop();
    c?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses an anonymous push with one clear line and exit code 1', async () => {
    const result = await c.run(['push', image]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: .*(unauthorized|authentication|credentials|401).*: .+\n$/i);
  });

  it('refuses a wrong password and saves nothing', async () => {
    const result = await c.run(['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'wrong\n' });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: .*alice.*: /);
    expect(savedAuths(c)).toEqual({});
  });

  it('logs in with --password-stdin, writing docker-compatible config.json', async () => {
    const result = expectSuccess(
      await c.run(['login', '-u', 'alice', '--password-stdin', registry.host], { input: 's3cret pass\n' }),
      'c login',
    );
    expect(result.stdout).toBe('Login Succeeded\n');
    expect(result.stderr).not.toContain('Using --password via the CLI is insecure');
    const auths = savedAuths(c);
    expect(Buffer.from(auths[registry.host]?.auth ?? '', 'base64').toString()).toBe('alice:s3cret pass');
  });

  it('warns about -p like docker, and still logs in', async () => {
    const result = expectSuccess(await c.run(['login', '-u', 'alice', '-p', 's3cret pass', registry.host]), 'c login -p');
    expect(result.stderr).toContain('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
  });

  it('pushes and pulls with the saved credentials', async () => {
    expectSuccess(await c.run(['push', '-q', image]), 'c push');
    expectSuccess(await c.run(['rmi', image]), 'c rmi');
    expectSuccess(await c.run(['pull', '-q', image]), 'c pull');
  });

  it('logs out, after which pulls are refused', async () => {
    const result = expectSuccess(await c.run(['logout', registry.host]), 'c logout');
    expect(result.stdout).toBe(`Removing login credentials for ${registry.host}\n`);
    expect(savedAuths(c)[registry.host]).toBeUndefined();
    const again = expectSuccess(await c.run(['logout', registry.host]), 'c logout again');
    expect(again.stdout).toBe(`Not logged in to ${registry.host}\n`);
    const pull = await c.run(['pull', '-q', image]);
    expect(pull.code).toBe(1);
  });

  it('needs a username with --password-stdin (usage error)', async () => {
    const result = await c.run(['login', '--password-stdin', registry.host], { input: 'x\n' });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^Error: Must provide --username with --password-stdin: /);
  });
});

describe.skipIf(!haveRegistry || !haveBusybox || !haveOpenssl)('token auth (registry auth: token)', () => {
  let tokens: TokenServer;
  let registry: RunningRegistry;
  let c: CliEnvironment;
  let work: string;
  let image: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-token-'));
    tokens = await startTokenServer({ bob: 'hunter2' });
    registry = await startRegistry({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: tokens.rootCertBundle,
    });
    c = cliEnvironment();
    image = `${registry.host}/team/busybox:1`;
    expectSuccess(await c.run(['import', buildBusyboxTar(work), image]), 'c import');
  });

  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
    c?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a wrong password at the token endpoint', async () => {
    const result = await c.run(['login', '-u', 'bob', '--password-stdin', registry.host], { input: 'nope\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: .+\n$/);
  });

  it('logs in, pushes and pulls with bearer tokens scoped per repository', async () => {
    expectSuccess(await c.run(['login', '-u', 'bob', '--password-stdin', registry.host], { input: 'hunter2\n' }), 'login');
    expectSuccess(await c.run(['push', '-q', image]), 'c push');
    expectSuccess(await c.run(['rmi', image]), 'c rmi');
    expectSuccess(await c.run(['pull', '-q', image]), 'c pull');
    expect(tokens.requests.some((r) => r.startsWith('bob ') && r.includes('repository:team/busybox:') && r.includes('push'))).toBe(true);
    expect(tokens.requests.some((r) => r.startsWith('bob ') && r.includes('repository:team/busybox:pull'))).toBe(true);
  });

  it('gives an anonymous client no access', async () => {
    expectSuccess(await c.run(['logout', registry.host]), 'logout');
    expectSuccess(await c.run(['rmi', image]), 'c rmi');
    const result = await c.run(['pull', '-q', image]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: .+\n$/);
  });
});
