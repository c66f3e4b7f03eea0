/**
 * The docker-credential-helpers protocol: `docker-credential-<name> get|store|erase`, request on stdin,
 * JSON answer on stdout. A helper that hangs is killed after a timeout.
 */
import { CError } from '@c/errors';

export interface HelperCredentials {
  username: string;
  secret: string;
}

interface HelperResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Most bytes of helper output (stdout and stderr together) read before the helper is killed. */
const MAX_HELPER_OUTPUT = 64 * 1024;

async function runHelper(name: string, action: string, input: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<HelperResult> {
  const program = `docker-credential-${name}`;
  // node:child_process when a helper runs: a pull without one never loads it.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout kills the helper's children too (a shell script's `sleep`).
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], env, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const stop = (error: CError) => {
      if (timedOut) return;
      timedOut = true;
      clearTimeout(timer);
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      stop(
        new CError('UNAVAILABLE', `credential helper ${program} ${action} did not answer within ${timeoutMs} ms`, {
          hint: 'the helper may be waiting for a keychain unlock; check it by hand',
        }),
      );
    }, timeoutMs);
    // A credential is a few KiB at most: a helper that keeps writing is broken (or hostile), not slow.
    const append = (stream: 'stdout' | 'stderr', data: string) => {
      if (stream === 'stdout') stdout += data;
      else stderr += data;
      if (stdout.length + stderr.length > MAX_HELPER_OUTPUT) {
        stop(
          new CError('LIMIT_EXCEEDED', `credential helper ${program} ${action} wrote more than ${MAX_HELPER_OUTPUT} bytes`, {
            hint: 'check the helper by running it by hand',
          }),
        );
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => append('stdout', d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => append('stderr', d));
    child.stdin.on('error', () => {}); // the helper may exit before reading stdin
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new CError('UNAVAILABLE', `cannot run credential helper ${program}: ${error.code === 'ENOENT' ? 'not found on PATH' : error.message}`, {
          cause: error,
          hint: `install ${program}, or remove it from credsStore/credHelpers in the docker config`,
        }),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (!timedOut) resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

function isNotFound(result: HelperResult): boolean {
  return /credentials not found/i.test(result.stdout + result.stderr);
}

function helperFailure(name: string, action: string, result: HelperResult): CError {
  // stdout is where a helper puts secrets: only stderr may reach the message (and the logs behind it).
  const output = result.stderr.trim().slice(0, 500) || 'no message on stderr';
  return new CError('UNAVAILABLE', `credential helper docker-credential-${name} ${action} failed (exit ${result.code}): ${output}`, {
    hint: 'check the helper by running it by hand',
  });
}

/** Credentials for `serverUrl`, or undefined when the helper holds none. */
export async function helperGet(name: string, serverUrl: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<HelperCredentials | undefined> {
  const result = await runHelper(name, 'get', serverUrl, timeoutMs, env);
  if (result.code !== 0) {
    if (isNotFound(result)) return undefined;
    throw helperFailure(name, 'get', result);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch (error) {
    throw new CError('UNAVAILABLE', `credential helper docker-credential-${name} returned invalid JSON for ${serverUrl}`, { cause: error });
  }
  const { Username, Secret } = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof Secret !== 'string' || Secret === '') return undefined;
  return { username: typeof Username === 'string' ? Username : '', secret: Secret };
}

export async function helperStore(name: string, serverUrl: string, creds: HelperCredentials, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<void> {
  const input = JSON.stringify({ ServerURL: serverUrl, Username: creds.username, Secret: creds.secret });
  const result = await runHelper(name, 'store', input, timeoutMs, env);
  if (result.code !== 0) throw helperFailure(name, 'store', result);
}

export async function helperErase(name: string, serverUrl: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runHelper(name, 'erase', serverUrl, timeoutMs, env);
  if (result.code !== 0 && !isNotFound(result)) throw helperFailure(name, 'erase', result);
}
