import { readFileSync } from 'node:fs';

/** c's version, from this package's package.json (found next to src/ and dist/ alike). */
export function readOwnVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

// Set by the build (tsup `define`); absent when running from source (tests).
declare const __C_GIT_COMMIT__: string | undefined;
declare const __C_BUILD_TIME__: string | undefined;

/** The commit and time of the build, as `docker version` shows them. */
export function buildInfo(): { gitCommit: string; buildTime: string } {
  return {
    gitCommit: typeof __C_GIT_COMMIT__ === 'string' ? __C_GIT_COMMIT__ : 'unknown',
    buildTime: typeof __C_BUILD_TIME__ === 'string' ? __C_BUILD_TIME__ : '',
  };
}
