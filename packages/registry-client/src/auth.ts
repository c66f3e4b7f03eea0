/**
 * Registry authentication state: the challenge each registry answered the `/v2/` ping with, and bearer
 * tokens cached per registry + scope set, refreshed when they expire or are refused.
 */
import { CError } from '@c/errors';
import { pickChallenge, type AuthChallenge } from './challenge';
import type { CredentialStore, RegistryCredentials } from './credentials';
import { mergeScopes } from './scope';

/** A buffered HTTP exchange (retries included) that the authenticator uses for token requests. */
export type TokenExchange = (request: {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
}) => Promise<{ status: number; body: Uint8Array }>;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** What the registry asks for: nothing (`none`), or a challenge. */
type RegistryAuthMode = { kind: 'none' } | { kind: 'challenge'; challenge: AuthChallenge };

const DEFAULT_TOKEN_LIFETIME_S = 60;

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export class Authenticator {
  private readonly modes = new Map<string, RegistryAuthMode>();
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly credentials: CredentialStore | undefined,
    private readonly exchange: TokenExchange,
    private readonly now: () => number,
    private readonly clientId: string,
    /** True when plain HTTP is acceptable for this host (loopback, insecure registries). */
    private readonly plainHttpAllowed: (host: string) => boolean,
  ) {}

  knows(registry: string): boolean {
    return this.modes.has(registry);
  }

  /** Records the answer to a ping (or to any 401): its challenge, or that no auth is needed. */
  recordPing(registry: string, status: number, wwwAuthenticate: string | string[] | undefined): void {
    const challenge = status === 401 ? pickChallenge(wwwAuthenticate) : undefined;
    this.modes.set(registry, challenge ? { kind: 'challenge', challenge } : { kind: 'none' });
  }

  /** The Authorization header value for a request needing `scopes`, or undefined for none. */
  async authorization(registry: string, scopes: readonly string[]): Promise<string | undefined> {
    const mode = this.modes.get(registry);
    if (!mode || mode.kind === 'none') return undefined;
    const { challenge } = mode;
    if (challenge.scheme === 'basic') {
      const creds = await this.credentials?.get(registry);
      return creds?.username !== undefined && creds.password !== undefined
        ? basicAuthorization(creds.username, creds.password)
        : undefined;
    }
    if (challenge.scheme === 'bearer') {
      const token = await this.token(registry, challenge, mergeScopes(scopes));
      return `Bearer ${token.token}`;
    }
    return undefined;
  }

  /**
   * Handles a 401: records the new challenge, drops the token that was refused, and returns the scopes to
   * retry with (the request's plus any the challenge names), or undefined when a retry cannot help.
   */
  async unauthorized(registry: string, scopes: readonly string[], wwwAuthenticate: string | string[] | undefined): Promise<string[] | undefined> {
    const challenge = pickChallenge(wwwAuthenticate);
    if (!challenge) return undefined;
    this.modes.set(registry, { kind: 'challenge', challenge });
    if (challenge.scheme === 'basic') {
      const creds = await this.credentials?.get(registry);
      return creds?.username !== undefined ? [...scopes] : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    const wanted = mergeScopes(scopes, (challenge.params.scope ?? '').split(' '));
    this.tokens.delete(this.cacheKey(registry, wanted));
    return wanted;
  }

  /** Verifies credentials against a registry whose ping answer is already recorded (for `c login`). */
  async verify(registry: string, creds: RegistryCredentials): Promise<void> {
    const mode = this.modes.get(registry);
    if (!mode || mode.kind === 'none') return;
    if (mode.challenge.scheme === 'bearer') {
      await this.requestToken(registry, mode.challenge, mergeScopes((mode.challenge.params.scope ?? '').split(' ')), creds);
    }
    // Basic: the caller re-pings with the header, since only the registry itself can say yes.
  }

  private cacheKey(registry: string, scopes: readonly string[]): string {
    return `${registry}|${scopes.join(' ')}`;
  }

  private async token(registry: string, challenge: AuthChallenge, scopes: string[]): Promise<CachedToken> {
    const key = this.cacheKey(registry, scopes);
    const cached = this.tokens.get(key);
    if (cached) {
      const settled = await cached.catch(() => undefined);
      if (settled && settled.expiresAt > this.now()) return settled;
      if (this.tokens.get(key) === cached) this.tokens.delete(key);
      const again = this.tokens.get(key);
      if (again) return again; // someone else is already refreshing it
    }
    const pending = (async () => {
      const creds = await this.credentials?.get(registry);
      return this.requestToken(registry, challenge, scopes, creds);
    })();
    this.tokens.set(key, pending);
    pending.catch(() => {
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
    });
    return pending;
  }

  private async requestToken(registry: string, challenge: AuthChallenge, scopes: string[], creds: RegistryCredentials | undefined): Promise<CachedToken> {
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new CError('UNAVAILABLE', `registry ${registry} sent a bearer challenge without a valid realm (${JSON.stringify(realm)})`, {
        hint: 'the registry is misconfigured; report it to its operator',
      });
    }
    const hasSecret = creds?.identityToken !== undefined || creds?.password !== undefined;
    if (hasSecret && url.protocol !== 'https:' && !this.plainHttpAllowed(url.host)) {
      // A registry (or someone in the middle) must not be able to get the password sent in clear text.
      throw new CError('UNSAFE_CONTENT', `registry ${registry} asks for credentials over plain HTTP (realm ${url.origin}); refusing to send them`, {
        hint: `if this is intended, add ${url.host} to insecureRegistries`,
        details: { registry, realm: url.href },
      });
    }
    const service = challenge.params.service;
    const started = this.now();
    let response: { status: number; body: Uint8Array };
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant, as the docker CLI does for identity tokens.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: this.clientId });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      response = await this.exchange({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (creds?.username !== undefined && creds.password !== undefined) {
        url.searchParams.set('account', creds.username);
        headers.authorization = basicAuthorization(creds.username, creds.password);
      }
      response = await this.exchange({ method: 'GET', url, headers });
    }
    if (response.status === 401 || response.status === 403) {
      const who = creds?.username ? `the credentials of ${creds.username}` : creds?.identityToken ? 'the saved identity token' : 'anonymous access';
      throw new CError('UNAUTHORIZED', `registry ${registry} refused ${who} (token endpoint ${url.origin}${url.pathname} answered ${response.status})`, {
        hint: `log in with \`c login ${registry}\``,
        details: { registry, scopes },
      });
    }
    if (response.status !== 200) {
      throw new CError('UNAVAILABLE', `token endpoint ${url.origin}${url.pathname} for ${registry} answered HTTP ${response.status}`, {
        hint: 'try again later',
      });
    }
    return parseTokenResponse(response.body, started, `${url.origin}${url.pathname}`);
  }
}

function parseTokenResponse(body: Uint8Array, started: number, where: string): CachedToken {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CError('UNAVAILABLE', `token endpoint ${where} returned invalid JSON`, { cause: error });
  }
  const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new CError('UNAVAILABLE', `token endpoint ${where} returned no token`, { hint: 'the registry is misconfigured' });
  }
  const expiresIn =
    typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  // Refresh a little early so a token does not expire in flight.
  const margin = Math.min(5_000, (expiresIn * 1000) / 10);
  return { token, expiresAt: started + expiresIn * 1000 - margin };
}
