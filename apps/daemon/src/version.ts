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
