import { accessSync, constants, statSync } from 'node:fs';
import { CError } from '@c/errors';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function execError(name: string, reason: string, exitCode: number): CError {
  return new CError('NOT_FOUND', `exec: ${JSON.stringify(name)}: ${reason}`, {
    hint: exitCode === 127 ? 'check process.args[0] and PATH in the container' : 'make the file executable',
    details: { path: name, exitCode },
  });
}

function checkExecutable(path: string, name: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw execError(name, 'no such file or directory', 127);
  }
  if (!isFile) throw execError(name, 'is a directory', 126);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw execError(name, 'permission denied', 126);
  }
}

/**
 * Find `name` the way execvp does, in the current root (call it after pivot_root and the uid switch so
 * permissions are the container user's). Errors read like runc's: exec: "nope": executable file not found in $PATH.
 */
export function lookPath(name: string, env: readonly string[], cwd: string): string {
  if (name.includes('/')) {
    const path = name.startsWith('/') ? name : `${cwd.replace(/\/+$/, '')}/${name}`;
    checkExecutable(path, name);
    return path;
  }
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = `${dir === '' ? '.' : dir.replace(/\/+$/, '')}/${name}`;
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // Not here (or not executable): keep looking, like execvp.
    }
  }
  throw execError(name, 'executable file not found in $PATH', 127);
}
