/** `c exec [-i] [-t] [-d] [-e] [-w] [-u] CONTAINER CMD...`: exits with the command's status (126/127 when it cannot run). */
import { toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { envFlag } from '../containers/env-file';
import { followWindowSize, pumpStreams } from '../containers/stdio';
import { connect } from '../daemon/connect';
import { runFailureExitCode } from '../exit-codes';
import { reportError } from '../report-error';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  const tty = Boolean(argv.tty);
  const interactive = Boolean(argv.interactive);
  const detach = Boolean(argv.detach);
  const env = ([] as unknown[]).concat(argv.env ?? []).flatMap((e) => envFlag(String(e), process.env) ?? []);
  const { Id } = await client.exec.create(String(argv.container), {
    Cmd: ([] as unknown[]).concat(argv.command ?? []).map(String),
    Tty: tty,
    AttachStdin: interactive && !detach,
    AttachStdout: !detach,
    AttachStderr: !detach,
    ...(env.length ? { Env: env } : {}),
    ...(typeof argv.workdir === 'string' ? { WorkingDir: argv.workdir } : {}),
    ...(typeof argv.user === 'string' ? { User: argv.user } : {}),
  });
  if (detach) {
    await client.exec.startDetached(Id);
    return;
  }
  let stream;
  try {
    stream = await client.exec.start(Id, { tty });
  } catch (error) {
    const cerror = toCError(error);
    reportError(cerror, globals.debug);
    process.exitCode = runFailureExitCode(cerror.message);
    return;
  }
  const stopResize = tty ? followWindowSize((size) => client.exec.resize(Id, size)) : () => undefined;
  try {
    const end = await pumpStreams(stream.socket, { tty, stdin: interactive });
    if (end === 'detached') return;
  } finally {
    stopResize();
  }
  // The stream can end a moment before the daemon records the exit status.
  for (let attempt = 0; attempt < 100; attempt++) {
    const result = await client.exec.inspect(Id);
    if (!result.Running && result.ExitCode !== null) {
      process.exitCode = result.ExitCode;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.exitCode = 0;
}
