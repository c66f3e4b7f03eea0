/**
 * `c run`: create (pulling when needed) → attach → wait (next-exit, or removed with --rm) → start → exit with the
 * container's status. Signals reach the container: through the terminal in TTY mode, via the kill endpoint
 * otherwise (docker's --sig-proxy).
 */
import type { EngineClient } from '@c/api';
import { toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { createContainer, runFlagsFrom } from '../containers/create';
import { followWindowSize, pumpStreams } from '../containers/stdio';
import { connectWith } from '../daemon/connect';
import { EXIT_USAGE, runFailureExitCode } from '../exit-codes';
import { reportError } from '../report-error';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  let client: EngineClient;
  let id: string;
  const flags = await runFlagsFrom(argv);
  try {
    ({ client, result: id } = await connectWith(globals, (c) => createContainer(c, flags, typeof argv.name === 'string' ? argv.name : undefined)));
  } catch (error) {
    reportError(toCError(error), globals.debug);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (flags.detach) {
    try {
      await client.containers.start(id);
    } catch (error) {
      const cerror = toCError(error);
      reportError(cerror, globals.debug);
      process.exitCode = runFailureExitCode(cerror.message);
      return;
    }
    process.stdout.write(`${id}\n`);
    return;
  }
  process.exitCode = await attachAndStart(client, id, { tty: Boolean(flags.tty), stdin: Boolean(flags.interactive), rm: Boolean(flags.rm) }, globals);
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
    const cerror = toCError(error);
    reportError(cerror, globals.debug);
    return runFailureExitCode(cerror.message);
  }
  const stopResize = options.tty ? followWindowSize((size) => client.containers.resize(id, size)) : () => undefined;
  // --sig-proxy: without a terminal, Ctrl-C and SIGTERM are the container's to handle.
  const proxies: Array<[NodeJS.Signals, () => void]> = options.tty
    ? []
    : (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]).map((signal) => [
        signal,
        () => void client.containers.kill(id, { signal }).catch(() => undefined),
      ]);
  for (const [signal, handler] of proxies) process.on(signal, handler);
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
    stopResize();
    for (const [signal, handler] of proxies) process.off(signal, handler);
  }
}
