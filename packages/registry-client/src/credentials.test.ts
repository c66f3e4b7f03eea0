import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configKeyFor, DockerConfigCredentials, normalizeRegistryKey } from './credentials';

let dir: string;
let binDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c-regcred-'));
  binDir = await mkdtemp(join(tmpdir(), 'c-regbin-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(binDir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function writeConfig(config: unknown): Promise<void> {
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
}

/** A fake `docker-credential-test` that logs its calls and knows one server. */
async function installHelper(body: string, name = 'test'): Promise<NodeJS.ProcessEnv> {
  const script = join(binDir, `docker-credential-${name}`);
  await writeFile(script, `#!/bin/sh\n${body}\n`);
  await chmod(script, 0o755);
  return { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, DOCKER_CONFIG: dir };
}

describe('registry keys', () => {
  it('maps every Docker Hub alias to the docker CLI key and strips schemes and paths', () => {
    expect(configKeyFor('docker.io')).toBe('https://index.docker.io/v1/');
    expect(configKeyFor('registry-1.docker.io')).toBe('https://index.docker.io/v1/');
    expect(normalizeRegistryKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistryKey('http://Localhost:5000/v2/')).toBe('localhost:5000');
    expect(configKeyFor('ghcr.io')).toBe('ghcr.io');
  });
});

describe('DockerConfigCredentials.get', () => {
  it('reads $DOCKER_CONFIG/config.json auths: base64 auth, username/password, identitytoken', async () => {
    await writeConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'https://ghcr.io': { username: 'gh', password: 'tok' },
        'quay.io': { identitytoken: 'refresh-me' },
      },
    });
    const store = new DockerConfigCredentials({ env: { DOCKER_CONFIG: dir } });
    expect(store.configPath).toBe(join(dir, 'config.json'));
    expect(await store.get('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pass' });
    expect(await store.get('ghcr.io')).toEqual({ username: 'gh', password: 'tok' });
    expect(await store.get('quay.io')).toEqual({ identityToken: 'refresh-me' });
    expect(await store.get('elsewhere.io')).toBeUndefined();
  });

  it('falls back to ~/.docker/config.json and treats a missing file as no credentials', async () => {
    const store = new DockerConfigCredentials({ env: { HOME: dir } });
    expect(store.configPath).toBe(join(dir, '.docker', 'config.json'));
    expect(await store.get('docker.io')).toBeUndefined();
  });

  it('rejects a config that is not JSON with INVALID_ARGUMENT naming the file', async () => {
    await writeFile(join(dir, 'config.json'), '{nope');
    const store = new DockerConfigCredentials({ configDir: dir });
    await expect(store.get('docker.io')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(join(dir, 'config.json')) });
  });

  it('asks the credHelpers helper with the server URL on stdin', async () => {
    const env = await installHelper(`
read server
echo "$1 $server" >> "${binDir}/calls"
if [ "$server" = "registry.example.com" ]; then
  echo '{"ServerURL":"registry.example.com","Username":"helper-user","Secret":"helper-secret"}'
else
  echo "credentials not found in native keychain"; exit 1
fi`);
    await writeConfig({ credHelpers: { 'registry.example.com': 'test', 'other.example.com': 'test' }, auths: { 'other.example.com': { auth: b64('file:fallback') } } });
    const store = new DockerConfigCredentials({ env });
    expect(await store.get('registry.example.com')).toEqual({ username: 'helper-user', password: 'helper-secret' });
    // The helper has nothing for this one: the auths entry still answers.
    expect(await store.get('other.example.com')).toEqual({ username: 'file', password: 'fallback' });
    expect(await readFile(join(binDir, 'calls'), 'utf8')).toBe('get registry.example.com\nget other.example.com\n');
  });

  it('uses credsStore for every registry and maps <token> to an identity token', async () => {
    const env = await installHelper(`read server; echo '{"Username":"<token>","Secret":"idt-'"$server"'"}'`);
    await writeConfig({ credsStore: 'test' });
    const store = new DockerConfigCredentials({ env });
    expect(await store.get('docker.io')).toEqual({ identityToken: 'idt-https://index.docker.io/v1/' });
  });

  it('kills a helper that hangs and reports UNAVAILABLE', async () => {
    const env = await installHelper('sleep 30');
    await writeConfig({ credsStore: 'test' });
    const store = new DockerConfigCredentials({ env, helperTimeoutMs: 200 });
    const started = Date.now();
    await expect(store.get('docker.io')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('did not answer within 200 ms') });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kills a helper that floods its output and reports LIMIT_EXCEEDED', async () => {
    const env = await installHelper('yes credential');
    await writeConfig({ credsStore: 'test' });
    const store = new DockerConfigCredentials({ env, helperTimeoutMs: 20_000 });
    const started = Date.now();
    await expect(store.get('docker.io')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('wrote more than') });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps what a failing helper printed on stdout (where secrets go) out of the error', async () => {
    const env = await installHelper(`echo '{"Username":"u","Secret":"s3cr3t-value"}'; echo 'keychain locked' >&2; exit 1`);
    await writeConfig({ credsStore: 'test' });
    const store = new DockerConfigCredentials({ env });
    const error = (await store.get('docker.io').catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('keychain locked');
    expect(JSON.stringify(error)).not.toContain('s3cr3t-value');
    expect(error.message).not.toContain('s3cr3t-value');
  });

  it('reports a missing helper binary', async () => {
    await writeConfig({ credsStore: 'absent-helper' });
    const store = new DockerConfigCredentials({ env: { PATH: binDir, DOCKER_CONFIG: dir } });
    await expect(store.get('docker.io')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('docker-credential-absent-helper: not found on PATH') });
  });
});

describe('saving and removing', () => {
  it('writes base64 auth under the docker key, keeps other keys, mode 0600', async () => {
    await writeConfig({ auths: { 'ghcr.io': { auth: b64('a:b') } }, psFormat: 'table {{.ID}}', credHelpers: {} });
    const store = new DockerConfigCredentials({ configDir: dir });
    await store.saveCredentials('docker.io', { username: 'me', password: 'pw' });
    const saved = JSON.parse(await readFile(store.configPath, 'utf8')) as Record<string, unknown>;
    expect(saved).toEqual({
      auths: { 'ghcr.io': { auth: b64('a:b') }, 'https://index.docker.io/v1/': { auth: b64('me:pw') } },
      psFormat: 'table {{.ID}}',
      credHelpers: {},
    });
    expect((await stat(store.configPath)).mode & 0o777).toBe(0o600);
    expect(await store.get('docker.io')).toEqual({ username: 'me', password: 'pw' });

    expect(await store.removeCredentials('registry-1.docker.io')).toBe(true);
    expect(await store.get('docker.io')).toBeUndefined();
    expect(await store.get('ghcr.io')).toEqual({ username: 'a', password: 'b' });
    expect(await store.removeCredentials('docker.io')).toBe(false);
  });

  it('creates the config directory when absent', async () => {
    const store = new DockerConfigCredentials({ configDir: join(dir, 'nested', '.docker') });
    await store.saveCredentials('localhost:5000', { username: 'u', password: 'p' });
    expect(await store.get('localhost:5000')).toEqual({ username: 'u', password: 'p' });
  });

  it('stores through the helper and keeps only an empty placeholder in the file', async () => {
    const env = await installHelper(`cat > "${binDir}/$1.in"`);
    await writeConfig({ credsStore: 'test' });
    const store = new DockerConfigCredentials({ env });
    await store.saveCredentials('ghcr.io', { username: 'me', password: 'pat' });
    expect(JSON.parse(await readFile(join(binDir, 'store.in'), 'utf8'))).toEqual({ ServerURL: 'ghcr.io', Username: 'me', Secret: 'pat' });
    expect(JSON.parse(await readFile(store.configPath, 'utf8'))).toEqual({ credsStore: 'test', auths: { 'ghcr.io': {} } });
    await store.removeCredentials('ghcr.io');
    expect(await readFile(join(binDir, 'erase.in'), 'utf8')).toBe('ghcr.io');
  });
});
