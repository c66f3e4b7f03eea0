import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ID_PATTERN = /^[0-9a-f-]{36}$/;

/**
 * The daemon's stable ID (Docker's `ID` in /info, which clients use to tell daemons apart): a UUID kept in
 * `<root>/engine-id`, created on first start.
 */
export function loadDaemonId(root: string): string {
  const path = join(root, 'engine-id');
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (ID_PATTERN.test(existing)) return existing;
  } catch {
    // First start (or an unreadable file): make a new one.
  }
  const id = randomUUID();
  mkdirSync(root, { recursive: true, mode: 0o711 });
  writeFileSync(path, `${id}\n`, { mode: 0o600 });
  return id;
}
