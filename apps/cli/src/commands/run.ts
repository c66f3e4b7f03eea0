/**
 * `c run`: create (pulling when needed) → attach → wait (next-exit, or removed with --rm) → start → exit with the
 * container's status. Signals reach the container: through the terminal in TTY mode, via the kill endpoint
 * otherwise (docker's --sig-proxy). Against c-daemon the steps travel in one exchange (its `POST /c/run/stream`, or
 * `POST /c/run` for -d); a daemon without those endpoints (dockerd) gets docker's sequence of Engine API calls.
 */
import type { Duplex } from 'node:stream';
import type { ContainerCreateRequest, EngineClient } from '@c/api';
import { isCError, toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { createContainer, runFlagsFrom, withImage } from '../containers/create';
import { createBody, type RunFlags } from '../containers/create-body';
import { PROXIED_SIGNALS, RunStreamOutcome, detachedRunExit, startFailureExit } from '../containers/run-outcome';
import { followWindowSize, pumpStreams } from '../containers/stdio';
import { connectWith } from '../daemon/connect';
import { EXIT_USAGE } from '../exit-codes';
import { reportError } from '../report-error';

/** A daemon without c's run endpoints (dockerd) answers them as any unknown path. */
function endpointMissing(error: unknown): boolean {
  return isCError(error, 'NOT_FOUND') && error.message === 'page not found';
}

/** `request`'s result, or undefined when the daemon does not serve c's endpoint. */
async function unlessMissing<T>(request: () => Promise<T>): Promise<T | undefined> {
  try {
    return await request();
  } catch (error) {
    if (endpointMissing(error)) return undefined;
    throw error;
  }
}

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const name = typeof argv.name === 'string' ? argv.name : undefined;
  let flags: RunFlags;
  let body: ContainerCreateRequest;
  try {
    flags = await runFlagsFrom(argv);
    body = createBody(flags);
  } catch (error) {
    reportError(toCError(error), globals.debug);
    process.exitCode = EXIT_USAGE;
    return;
  }
  process.exitCode = flags.detach ? await runDetached(flags, body, name, globals) : await runAttached(flags, body, name, globals);
}

async function runDetached(flags: RunFlags, body: ContainerCreateRequest, name: string | undefined, globals: GlobalOptions): Promise<number> {
  let client: EngineClient;
  let id: string;
  try {
    const connected = await connectWith(globals, (c) => unlessMissing(() => withImage(c, flags.image, () => c.containers.runDetached(body, { name }))));
    client = connected.client;
    const answer = connected.result;
    if (answer) return detachedRunExit(answer, globals.debug, (text) => process.stdout.write(text));
    id = await createContainer(client, flags, name);
  } catch (error) {
    reportError(toCError(error), globals.debug);
    return EXIT_USAGE;
  }
  try {
    await client.containers.start(id);
  } catch (error) {
    return startFailureExit(error, globals.debug);
  }
  process.stdout.write(`${id}\n`);
  return 0;
}

async function runAttached(flags: RunFlags, body: ContainerCreateRequest, name: string | undefined, globals: GlobalOptions): Promise<number> {
  const options = { tty: Boolean(flags.tty), stdin: Boolean(flags.interactive), rm: Boolean(flags.rm) };
  let client: EngineClient;
  let id: string;
  try {
    const connected = await connectWith(globals, (c) =>
      unlessMissing(() =>
        withImage(c, flags.image, () => c.containers.runStream(body, { name, stdin: options.stdin, condition: options.rm ? 'removed' : 'next-exit' })),
      ),
    );
    client = connected.client;
    if (connected.result) return await followRunStream(client, connected.result.socket, options, globals);
    id = await createContainer(client, flags, name);
  } catch (error) {
    reportError(toCError(error), globals.debug);
    return EXIT_USAGE;
  }
  return attachAndStart(client, id, options, globals);
}

/** Forwards signals (no TTY) or follows the window size (TTY) for a started container; returns the undo. */
function followContainer(client: EngineClient, id: string, tty: boolean): () => void {
  if (tty) return followWindowSize((size) => client.containers.resize(id, size));
  // --sig-proxy: without a terminal, Ctrl-C and SIGTERM are the container's to handle.
  const proxies = PROXIED_SIGNALS.map((signal): [NodeJS.Signals, () => void] => [signal, () => void client.containers.kill(id, { signal }).catch(() => undefined)]);
  for (const [signal, handler] of proxies) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of proxies) process.off(signal, handler);
  };
}

/** c's run stream: output and control messages until the container's status (see @c/api's RunStreamControl). */
async function followRunStream(
  client: EngineClient,
  socket: Duplex,
  options: { tty: boolean; stdin: boolean },
  globals: GlobalOptions,
): Promise<number> {
  let unfollow = (): void => undefined;
  const outcome = new RunStreamOutcome((id) => {
    unfollow = followContainer(client, id, options.tty);
  });
  try {
    const end = await pumpStreams(socket, { tty: options.tty, stdin: options.stdin, framed: true, onControl: (payload) => outcome.control(payload) });
    if (end === 'detached') {
      process.stderr.write('\r\n');
      return 0;
    }
  } catch (error) {
    reportError(toCError(error), globals.debug);
    return EXIT_USAGE;
  } finally {
    unfollow();
  }
  return outcome.exitCode(globals.debug);
}

/** Shared with `c start -a`: returns the exit code to use. */
export async function attachAndStart(
  client: EngineClient,
  id: string,
  options: { tty: boolean; stdin: boolean; rm: boolean; alreadyCreatedWait?: boolean },
  globals: GlobalOptions,
): Promise<number> {
  const waitAbort = new AbortController();
  let waited: Promise<number>;
  let stream;
  try {
    stream = await client.containers.attach(id, { stdin: options.stdin, stdout: true, stderr: true, stream: true });
    waited = client.containers
      .wait(id, { condition: options.rm ? 'removed' : 'next-exit', signal: waitAbort.signal })
      .then((result) => {
        if (result.Error?.Message) process.stderr.write(`Error: ${result.Error.Message}\n`);
        return result.StatusCode;
      });
    // Keep an early failure of the wait from being unhandled while start runs.
    waited.catch(() => undefined);
    await client.containers.start(id);
  } catch (error) {
    waitAbort.abort();
    stream?.socket.destroy();
    return startFailureExit(error, globals.debug);
  }
  const unfollow = followContainer(client, id, options.tty);
  try {
    const end = await pumpStreams(stream.socket, { tty: options.tty, stdin: options.stdin });
    if (end === 'detached') {
      waitAbort.abort();
      process.stderr.write('\r\n');
      return 0;
    }
    return await waited;
  } catch (error) {
    reportError(toCError(error), globals.debug);
    return EXIT_USAGE;
  } finally {
    unfollow();
  }
}
