/**
 * The API client of a command: pings the daemon the flags point at and, when nothing answers on a socket c may
 * own (not one named with -H/$C_HOST), starts the daemon and waits for it.
 */
import { EngineClient } from '@c/api';
import { CError, isCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { resolveDaemonTarget } from './host';
import { startDaemonInBackground } from './launch';

const START_TIMEOUT_MS = 20_000;

export async function connect(globals: GlobalOptions): Promise<EngineClient> {
  const target = resolveDaemonTarget({ host: globals.host, env: process.env, root: globals.root, rootGiven: globals.rootGiven });
  const client = new EngineClient({ socketPath: target.socketPath });
  try {
    await client.ping();
    return client;
  } catch (error) {
    if (!target.autoStart || !isCError(error, 'UNAVAILABLE')) throw error;
  }
  const started = startDaemonInBackground(globals.root, target.socketPath);
  process.stderr.write(`c: started the daemon (pid ${started.pid}, log ${started.log})\n`);
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await client.ping();
      return client;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new CError('UNAVAILABLE', `the daemon started for ${target.socketPath} did not answer within ${START_TIMEOUT_MS / 1000} s`, {
    hint: `see ${started.log}`,
    cause: last,
  });
}
