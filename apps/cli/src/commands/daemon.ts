/** `c daemon [--root DIR] [-H unix:///PATH]`: c-daemon in the foreground, on the socket `c` itself would use. */
import type { GlobalOptions } from '../context';
import { resolveDaemonTarget } from '../daemon/host';
import { daemonArgs, runDaemonInForeground } from '../daemon/launch';

export async function run(_argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const target = resolveDaemonTarget({ host: globals.host, env: process.env, root: globals.root, rootGiven: globals.rootGiven });
  process.exitCode = await runDaemonInForeground(daemonArgs(globals.root, target.socketPath));
}
