import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  const id = String(argv.container);
  const inspect = await client.containers.inspect(id);
  const tail = typeof argv.tail === 'string' && argv.tail !== 'all' ? Number(argv.tail) : undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    for await (const frame of client.containers.logs(inspect.Id, {
      follow: Boolean(argv.follow),
      timestamps: Boolean(argv.timestamps),
      tty: inspect.Config.Tty,
      signal: controller.signal,
      ...(tail !== undefined && Number.isInteger(tail) ? { tail } : {}),
      ...(typeof argv.since === 'string' ? { since: argv.since } : {}),
      ...(typeof argv.until === 'string' ? { until: argv.until } : {}),
    })) {
      (frame.stream === 2 ? process.stderr : process.stdout).write(frame.payload);
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
}
