/**
 * The API client of a command: pings the daemon the flags point at and, when nothing answers on a socket c may
 * own (not one named with -H/$C_HOST), starts the daemon and waits for it. `connectWith` skips the ping.
 */
import { EngineClient } from '@c/api';
import { CError, isCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { resolveDaemonTarget } from './host';
import { startDaemonInBackground } from './launch';

const START_TIMEOUT_MS = 60_000;
/** A daemon that accepts but does not answer a ping within this is stuck: say so rather than start a second one. */
const PING_TIMEOUT_MS = 10_000;

/** Only "nothing listens there" (no socket file, or nobody accepting) means c may start a daemon. */
function nobodyListens(error: unknown): boolean {
  if (!isCError(error, 'UNAVAILABLE')) return false;
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

export async function connect(globals: GlobalOptions): Promise<EngineClient> {
  const target = resolveDaemonTarget({ host: globals.host, env: process.env, root: globals.root, rootGiven: globals.rootGiven });
  const client = new EngineClient({ socketPath: target.socketPath });
  const pinger = new EngineClient({ socketPath: target.socketPath, timeoutMs: PING_TIMEOUT_MS });
  try {
    await pinger.ping();
    return client;
  } catch (error) {
    if (!target.autoStart || !nobodyListens(error)) throw error;
  }
  const started = startDaemonInBackground(globals.root, target.socketPath);
  process.stderr.write(`c: started the daemon (pid ${started.pid}, log ${started.log})\n`);
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    const exit = started.exit();
    if (exit) {
      // No point waiting out the timeout for a daemon that is gone: its log says why.
      throw new CError('UNAVAILABLE', `the daemon started for ${target.socketPath} exited at start-up (${exit.signal ?? `status ${exit.code}`})`, {
        hint: `see ${started.log}`,
        cause: last,
      });
    }
    try {
      await pinger.ping();
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

/**
 * Run `first` (a request that is harmless to send twice when it never arrived) against the daemon without pinging
 * it first: one round trip less on `c run`'s path. When nothing listens there and c may start the daemon, start it
 * as `connect` does and run `first` again.
 */
export async function connectWith<T>(globals: GlobalOptions, first: (client: EngineClient) => Promise<T>): Promise<{ client: EngineClient; result: T }> {
  const target = resolveDaemonTarget({ host: globals.host, env: process.env, root: globals.root, rootGiven: globals.rootGiven });
  const client = new EngineClient({ socketPath: target.socketPath });
  try {
    return { client, result: await first(client) };
  } catch (error) {
    if (!target.autoStart || !nobodyListens(error)) throw error;
  }
  const started = await connect(globals);
  return { client: started, result: await first(started) };
}
