/**
 * Container lifecycle commands that act on a list of containers: like docker, each name is tried, what worked is
 * printed (the name as given), each failure is one error line, and the exit code is 1 when any failed.
 */
import type { EngineClient } from '@c/api';
import { toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { createContainer, runFlagsFrom } from '../containers/create';
import { connect } from '../daemon/connect';
import { EXIT_USAGE } from '../exit-codes';
import { reportError } from '../report-error';
import { attachAndStart } from './run';

type Handler = (argv: Record<string, unknown>, globals: GlobalOptions) => Promise<void>;

async function eachContainer(
  argv: Record<string, unknown>,
  globals: GlobalOptions,
  act: (client: EngineClient, id: string) => Promise<string | undefined>,
): Promise<void> {
  const client = await connect(globals);
  let failed = false;
  for (const id of ([] as unknown[]).concat(argv.containers ?? []).map(String)) {
    try {
      const line = await act(client, id);
      if (line !== undefined) process.stdout.write(`${line}\n`);
    } catch (error) {
      failed = true;
      reportError(toCError(error), globals.debug);
    }
  }
  if (failed) process.exitCode = 1;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export const stop: Handler = (argv, globals) =>
  eachContainer(argv, globals, async (client, id) => {
    const t = num(argv.time);
    await client.containers.stop(id, t === undefined ? {} : { t });
    return id;
  });

export const restart: Handler = (argv, globals) =>
  eachContainer(argv, globals, async (client, id) => {
    const t = num(argv.time);
    await client.containers.restart(id, t === undefined ? {} : { t });
    return id;
  });

export const kill: Handler = (argv, globals) =>
  eachContainer(argv, globals, async (client, id) => {
    await client.containers.kill(id, typeof argv.signal === 'string' ? { signal: argv.signal } : {});
    return id;
  });

export const rm: Handler = (argv, globals) =>
  eachContainer(argv, globals, async (client, id) => {
    await client.containers.remove(id, { force: Boolean(argv.force), v: Boolean(argv.volumes) });
    return id;
  });

export const pause: Handler = (argv, globals) => eachContainer(argv, globals, async (client, id) => (await client.containers.pause(id), id));
export const unpause: Handler = (argv, globals) => eachContainer(argv, globals, async (client, id) => (await client.containers.unpause(id), id));

/** `c wait`: prints each container's exit code once it stops. */
export const wait: Handler = (argv, globals) =>
  eachContainer(argv, globals, async (client, id) => String((await client.containers.wait(id, { condition: 'not-running' })).StatusCode));

export const rename: Handler = async (argv, globals) => {
  const client = await connect(globals);
  await client.containers.rename(String(argv.container), String(argv.name));
};

/** `c create`: prints the new container's id. Failures are c's own: 125, as in docker. */
export const create: Handler = async (argv, globals) => {
  try {
    const flags = await runFlagsFrom(argv);
    const client = await connect(globals);
    process.stdout.write(`${await createContainer(client, flags, typeof argv.name === 'string' ? argv.name : undefined)}\n`);
  } catch (error) {
    reportError(toCError(error), globals.debug);
    process.exitCode = EXIT_USAGE;
  }
};

/** `c start [-a] [-i]`: with -a, stays attached and exits with the container's status, like `c run`. */
export const start: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const ids = ([] as unknown[]).concat(argv.containers ?? []).map(String);
  if (argv.attach || argv.interactive) {
    const id = ids[0] ?? '';
    const inspect = await client.containers.inspect(id);
    process.exitCode = await attachAndStart(client, inspect.Id, { tty: inspect.Config.Tty, stdin: Boolean(argv.interactive), rm: false }, globals);
    return;
  }
  await eachContainer(argv, globals, async (c, id) => (await c.containers.start(id), id));
};

/** `c attach`: the container's output (and stdin, unless --no-stdin) until it exits; exits with its status. */
export const attach: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const inspect = await client.containers.inspect(String(argv.container));
  const { pumpStreams } = await import('../containers/stdio');
  const stdin = argv.stdin !== false && inspect.Config.OpenStdin;
  const waited = client.containers.wait(inspect.Id, { condition: 'not-running' });
  const stream = await client.containers.attach(inspect.Id, { stdin, stdout: true, stderr: true, stream: true });
  const end = await pumpStreams(stream.socket, { tty: inspect.Config.Tty, stdin });
  if (end === 'detached') return;
  process.exitCode = (await waited).StatusCode;
};
