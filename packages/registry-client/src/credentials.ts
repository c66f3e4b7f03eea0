/**
 * Registry credentials from the docker CLI's config file (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): `auths`, `credsStore`, `credHelpers`. Also writes them, for `c login/logout`,
 * keeping every other key of the file as it was.
 */
// fs.promises, not node:fs/promises: read on first use, so `c run` (which bundles this) does not load it at start-up.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CError } from '@c/errors';
import { helperErase, helperGet, helperStore } from './credential-helper';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
}

/** Where the client gets credentials for a registry (`docker.io`, `localhost:5000`). */
export interface CredentialStore {
  get(registry: string): Promise<RegistryCredentials | undefined>;
}

/** A fixed map, for programmatic use and tests. */
export class StaticCredentials implements CredentialStore {
  constructor(private readonly byRegistry: Record<string, RegistryCredentials>) {}
  async get(registry: string): Promise<RegistryCredentials | undefined> {
    return this.byRegistry[registry] ?? this.byRegistry[normalizeRegistryKey(registry)];
  }
}

/** Docker Hub's key in config.json, kept for compatibility with the docker CLI. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `https://host:5000/v2/` → `host:5000`; every Docker Hub alias → `docker.io`. */
export function normalizeRegistryKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** The key the docker CLI uses for a registry in config.json and with helpers. */
export function configKeyFor(registry: string): string {
  const normalized = normalizeRegistryKey(registry);
  return normalized === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : normalized;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [other: string]: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

export interface DockerConfigOptions {
  /** The directory holding config.json; default `$DOCKER_CONFIG`, else `~/.docker`. */
  configDir?: string;
  /** Environment for locating the config and running helpers (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** How long a credential helper may take (default 10 s). */
  helperTimeoutMs?: number;
}

export class DockerConfigCredentials implements CredentialStore {
  readonly configPath: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly helperTimeoutMs: number;

  constructor(options: DockerConfigOptions = {}) {
    this.env = options.env ?? process.env;
    const dir = options.configDir ?? this.env.DOCKER_CONFIG ?? join(this.env.HOME ?? homedir(), '.docker');
    this.configPath = join(dir, 'config.json');
    this.helperTimeoutMs = options.helperTimeoutMs ?? 10_000;
  }

  async get(registry: string): Promise<RegistryCredentials | undefined> {
    const config = await this.readConfig();
    const key = configKeyFor(registry);
    const helper = this.helperFor(config, registry);
    if (helper) {
      const found = await helperGet(helper, key, this.helperTimeoutMs, this.env);
      if (found) {
        // The helper protocol marks identity tokens with the username `<token>`.
        return found.username === '<token>'
          ? { identityToken: found.secret }
          : { username: found.username, password: found.secret };
      }
    }
    const entry = this.findAuthEntry(config, registry);
    return entry ? decodeAuthEntry(entry, this.configPath) : undefined;
  }

  /** Stores credentials (in the helper when one is configured, else base64 in `auths`). */
  async saveCredentials(registry: string, credentials: { username: string; password: string }): Promise<void> {
    const config = await this.readConfig();
    const key = configKeyFor(registry);
    const helper = this.helperFor(config, registry);
    config.auths = { ...config.auths };
    this.removeAuthEntries(config, registry);
    if (helper) {
      await helperStore(helper, key, { username: credentials.username, secret: credentials.password }, this.helperTimeoutMs, this.env);
      config.auths[key] = {};
    } else {
      const auth = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
      config.auths[key] = { auth };
    }
    await this.writeConfig(config);
  }

  /** Forgets a registry's credentials; true when something was removed. */
  async removeCredentials(registry: string): Promise<boolean> {
    const config = await this.readConfig();
    const helper = this.helperFor(config, registry);
    if (helper) await helperErase(helper, configKeyFor(registry), this.helperTimeoutMs, this.env);
    const removed = this.removeAuthEntries(config, registry);
    if (removed || helper) await this.writeConfig(config);
    return removed;
  }

  private helperFor(config: DockerConfigFile, registry: string): string | undefined {
    const wanted = normalizeRegistryKey(registry);
    for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
      if (normalizeRegistryKey(key) === wanted && helper) return helper;
    }
    return config.credsStore || undefined;
  }

  private findAuthEntry(config: DockerConfigFile, registry: string): AuthEntry | undefined {
    const auths = config.auths ?? {};
    const exact = auths[configKeyFor(registry)];
    if (exact) return exact;
    const wanted = normalizeRegistryKey(registry);
    return Object.entries(auths).find(([key]) => normalizeRegistryKey(key) === wanted)?.[1];
  }

  private removeAuthEntries(config: DockerConfigFile, registry: string): boolean {
    const wanted = normalizeRegistryKey(registry);
    let removed = false;
    for (const key of Object.keys(config.auths ?? {})) {
      if (normalizeRegistryKey(key) === wanted) {
        delete config.auths![key];
        removed = true;
      }
    }
    return removed;
  }

  private async readConfig(): Promise<DockerConfigFile> {
    let text: string;
    try {
      text = await fs.readFile(this.configPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CError('UNAVAILABLE', `cannot read docker config ${this.configPath}: ${(error as Error).message}`, { cause: error });
    }
    if (text.trim() === '') return {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as DockerConfigFile;
    } catch (error) {
      throw new CError('INVALID_ARGUMENT', `docker config ${this.configPath} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
        hint: 'fix or remove the file',
      });
    }
  }

  /** Write-then-rename, so a crash never leaves a half-written config; 0600 since it holds secrets. */
  private async writeConfig(config: DockerConfigFile): Promise<void> {
    await fs.mkdir(dirname(this.configPath), { recursive: true, mode: 0o700 });
    const temp = `${this.configPath}.${process.pid}.${Date.now().toString(36)}.tmp`;
    try {
      await fs.writeFile(temp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
      await fs.rename(temp, this.configPath);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw new CError('UNAVAILABLE', `cannot write docker config ${this.configPath}: ${(error as Error).message}`, { cause: error });
    }
  }
}

function decodeAuthEntry(entry: AuthEntry, where: string): RegistryCredentials | undefined {
  const out: RegistryCredentials = {};
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new CError('INVALID_ARGUMENT', `malformed "auth" value in ${where}: expected base64 of user:password`, {
        hint: 'log in again with `c login`',
      });
    }
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  } else {
    if (typeof entry.username === 'string') out.username = entry.username;
    if (typeof entry.password === 'string') out.password = entry.password;
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') out.identityToken = entry.identitytoken;
  return out.username !== undefined || out.password !== undefined || out.identityToken !== undefined ? out : undefined;
}
