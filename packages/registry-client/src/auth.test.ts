import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { RegistryClient } from './client';
import { StaticCredentials } from './credentials';
import { MediaType } from '@c/image';
import { offlineWithNock } from './test-support/nock';

const HUB = 'https://registry-1.docker.io';
const AUTH = 'https://auth.docker.io';
const HUB_CHALLENGE = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const busybox = { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' };

function manifestHead(scope: nock.Interceptor, authorization: string): void {
  scope.matchHeader('authorization', authorization).reply(200, '', {
    'content-type': MediaType.OciIndex,
    'docker-content-digest': DIGEST,
    'content-length': '500',
  });
}

offlineWithNock();

describe('bearer token dance', () => {
  it('pings, gets an anonymous token from auth.docker.io and retries with Bearer', async () => {
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH)
      .get('/token')
      .query({ service: 'registry.docker.io', scope: 'repository:library/busybox:pull' })
      .matchHeader('authorization', (v) => v === undefined)
      .reply(200, { token: 'anon-token', expires_in: 300 });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest'), 'Bearer anon-token');
    const client = new RegistryClient();
    const resolved = await client.resolve(busybox);
    expect(resolved).toEqual({ descriptor: { mediaType: MediaType.OciIndex, digest: DIGEST, size: 500 }, mediaType: MediaType.OciIndex });
  });

  it('sends credentials to the token endpoint with Basic and accepts access_token', async () => {
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH)
      .get('/token')
      .query({ service: 'registry.docker.io', scope: 'repository:me/app:pull', account: 'me' })
      .basicAuth({ user: 'me', pass: 's3cret' })
      .reply(200, { access_token: 'user-token' });
    manifestHead(nock(HUB).head('/v2/me/app/manifests/v1'), 'Bearer user-token');
    const client = new RegistryClient({ credentials: new StaticCredentials({ 'docker.io': { username: 'me', password: 's3cret' } }) });
    await client.resolve({ registry: 'docker.io', repository: 'me/app', tag: 'v1' });
  });

  it('reuses a cached token for the same scope and refreshes it after expires_in', async () => {
    let now = 1_000_000;
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query(true).reply(200, { token: 'first', expires_in: 60 });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest').times(2), 'Bearer first');
    nock(AUTH).get('/token').query(true).reply(200, { token: 'second', expires_in: 60 });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest'), 'Bearer second');
    const client = new RegistryClient({ now: () => now });
    await client.resolve(busybox);
    await client.resolve(busybox); // same token, no new token request
    now += 61_000;
    await client.resolve(busybox);
  });

  it('defaults expires_in to 60 seconds', async () => {
    let now = 0;
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query(true).reply(200, { token: 'one' });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest').times(2), 'Bearer one');
    nock(AUTH).get('/token').query(true).reply(200, { token: 'two' });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest'), 'Bearer two');
    const client = new RegistryClient({ now: () => now });
    await client.resolve(busybox);
    now += 30_000;
    await client.resolve(busybox);
    now += 31_000;
    await client.resolve(busybox);
  });

  it('fetches a new token when a 401 mid-session names a new scope', async () => {
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query({ service: 'registry.docker.io', scope: 'repository:library/busybox:pull' }).reply(200, { token: 'pull-only' });
    nock(HUB)
      .head('/v2/library/busybox/manifests/latest')
      .matchHeader('authorization', 'Bearer pull-only')
      .reply(401, '', {
        'www-authenticate': `${HUB_CHALLENGE},scope="repository:library/busybox:pull repository:library/base:pull"`,
      });
    nock(AUTH)
      .get('/token')
      .query((q) => JSON.stringify(q.scope) === JSON.stringify(['repository:library/base:pull', 'repository:library/busybox:pull']))
      .reply(200, { token: 'both' });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest'), 'Bearer both');
    const client = new RegistryClient();
    await client.resolve(busybox);
  });

  it('refetches a token the registry rejects (revoked early) and gives up after one retry', async () => {
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query(true).reply(200, { token: 'revoked', expires_in: 300 });
    nock(HUB).head('/v2/library/busybox/manifests/latest').reply(401, '', { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query(true).reply(200, { token: 'still-bad', expires_in: 300 });
    nock(HUB).head('/v2/library/busybox/manifests/latest').matchHeader('authorization', 'Bearer still-bad').reply(401, '', { 'www-authenticate': HUB_CHALLENGE });
    // HEAD cannot explain itself, so the client asks with GET (one token retry of its own) for the error body.
    nock(HUB).get('/v2/library/busybox/manifests/latest').matchHeader('authorization', 'Bearer still-bad').reply(401, '', { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query(true).reply(200, { token: 'third', expires_in: 300 });
    nock(HUB)
      .get('/v2/library/busybox/manifests/latest')
      .matchHeader('authorization', 'Bearer third')
      .reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': HUB_CHALLENGE });
    const client = new RegistryClient();
    const error = await client.resolve(busybox).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((error as Error).message).toContain('authentication required');
  });

  it('reports a refused token request as UNAUTHORIZED naming the user', async () => {
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query(true).reply(401, { details: 'incorrect username or password' });
    const client = new RegistryClient({ credentials: new StaticCredentials({ 'docker.io': { username: 'me', password: 'wrong' } }) });
    const error = await client.resolve(busybox).catch((e: unknown) => e);
    expect(isCError(error, 'UNAUTHORIZED')).toBe(true);
    expect((error as Error).message).toMatch(/docker\.io refused the credentials of me/);
  });

  it('exchanges an identity token with the OAuth2 refresh_token grant', async () => {
    nock(HUB).get('/v2/').reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH)
      .post('/token', (body: Record<string, string>) => body.grant_type === 'refresh_token' && body.refresh_token === 'idt' && body.scope === 'repository:library/busybox:pull' && body.service === 'registry.docker.io')
      .reply(200, { access_token: 'oauth' });
    manifestHead(nock(HUB).head('/v2/library/busybox/manifests/latest'), 'Bearer oauth');
    const client = new RegistryClient({ credentials: new StaticCredentials({ 'docker.io': { identityToken: 'idt' } }) });
    await client.resolve(busybox);
  });

  it('refuses to send credentials to a plain-HTTP token realm of an HTTPS registry', async () => {
    nock('https://registry.example.com').get('/v2/').reply(401, '', { 'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="s"' });
    const client = new RegistryClient({ credentials: new StaticCredentials({ 'registry.example.com': { username: 'u', password: 'p' } }) });
    await expect(client.resolve({ registry: 'registry.example.com', repository: 'a/b', tag: 't' })).rejects.toMatchObject({
      code: 'UNSAFE_CONTENT',
      message: expect.stringContaining('over plain HTTP'),
    });
  });
});

describe('basic auth', () => {
  const REG = 'https://registry.example.com';
  const ref = { registry: 'registry.example.com', repository: 'team/app', tag: '1.0' };

  it('sends Basic credentials after a Basic challenge', async () => {
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Basic realm="Registry Realm"' });
    manifestHead(nock(REG).head('/v2/team/app/manifests/1.0'), `Basic ${Buffer.from('alice:pw').toString('base64')}`);
    const client = new RegistryClient({ credentials: new StaticCredentials({ 'registry.example.com': { username: 'alice', password: 'pw' } }) });
    await client.resolve(ref);
  });

  it('fails with UNAUTHORIZED and a login hint without credentials', async () => {
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Basic realm="Registry Realm"' });
    nock(REG).head('/v2/team/app/manifests/1.0').reply(401, '', { 'www-authenticate': 'Basic realm="Registry Realm"' });
    nock(REG).get('/v2/team/app/manifests/1.0').reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    const error = await new RegistryClient().resolve(ref).catch((e: unknown) => e);
    expect(isCError(error, 'UNAUTHORIZED')).toBe(true);
    expect((error as { hint?: string }).hint).toContain('c login registry.example.com');
  });

  it('sends no Authorization to a registry that needs none', async () => {
    nock(REG).get('/v2/').reply(200, {});
    nock(REG, { badheaders: ['authorization'] }).head('/v2/team/app/manifests/1.0').reply(200, '', {
      'content-type': MediaType.OciManifest,
      'docker-content-digest': DIGEST,
      'content-length': '10',
    });
    const client = new RegistryClient({ credentials: new StaticCredentials({ 'registry.example.com': { username: 'alice', password: 'pw' } }) });
    await client.resolve(ref);
  });
});

describe('login', () => {
  it('accepts valid Basic credentials and refuses bad ones with UNAUTHORIZED', async () => {
    const REG = 'https://private.example.com';
    const good = `Basic ${Buffer.from('bob:right').toString('base64')}`;
    nock(REG, { badheaders: ['authorization'] }).get('/v2/').times(2).reply(401, '', { 'www-authenticate': 'Basic realm="r"' });
    nock(REG).get('/v2/').matchHeader('authorization', good).reply(200, {});
    nock(REG).get('/v2/').matchHeader('authorization', (v) => v !== undefined && v !== good).reply(401, '', { 'www-authenticate': 'Basic realm="r"' });
    const client = new RegistryClient();
    await client.login('private.example.com', { username: 'bob', password: 'right' });
    const error = await client.login('private.example.com', { username: 'bob', password: 'wrong' }).catch((e: unknown) => e);
    expect(isCError(error, 'UNAUTHORIZED')).toBe(true);
  });

  it('verifies Bearer credentials at the token endpoint', async () => {
    nock(HUB).get('/v2/').times(2).reply(401, {}, { 'www-authenticate': HUB_CHALLENGE });
    nock(AUTH).get('/token').query({ service: 'registry.docker.io', account: 'me' }).basicAuth({ user: 'me', pass: 'ok' }).reply(200, { token: 't' });
    nock(AUTH).get('/token').query({ service: 'registry.docker.io', account: 'me' }).basicAuth({ user: 'me', pass: 'bad' }).reply(401, {});
    const client = new RegistryClient();
    await client.login('docker.io', { username: 'me', password: 'ok' });
    await expect(client.login('docker.io', { username: 'me', password: 'bad' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
