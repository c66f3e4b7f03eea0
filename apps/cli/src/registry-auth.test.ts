import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerConfigCredentials } from '@c/registry-client';
import { registryAuthFor } from './registry-auth';

let dir: string;
let store: DockerConfigCredentials;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-cli-auth-'));
  store = new DockerConfigCredentials({ configDir: dir, env: {} });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('registryAuthFor', () => {
  it("sends the saved credentials of the image's own registry only", async () => {
    const basic = (text: string) => Buffer.from(text).toString('base64');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { '127.0.0.1:5000': { auth: basic('alice:s3cret pass') }, 'https://index.docker.io/v1/': { auth: basic('hub:pw') } } }),
    );
    expect(await registryAuthFor('127.0.0.1:5000/team/app:1', store)).toEqual({ serveraddress: '127.0.0.1:5000', username: 'alice', password: 's3cret pass' });
    expect(await registryAuthFor('busybox', store)).toEqual({ serveraddress: 'docker.io', username: 'hub', password: 'pw' });
    expect(await registryAuthFor('other.example.com/app', store)).toBeUndefined();
  });

  it('is anonymous without a config file (after logout)', async () => {
    expect(await registryAuthFor('127.0.0.1:5000/app', store)).toBeUndefined();
  });
});
