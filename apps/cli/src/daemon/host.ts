/**
 * Which daemon socket `c` talks to: -H/--host, then $C_HOST, then `<root>/c.sock` when a root was chosen
 * (--root or $C_ROOT: each store gets its own daemon), then /run/c/c.sock. Only the last two are auto-started.
 */
import { join } from 'node:path';
import { CError } from '@c/errors';

export const DEFAULT_SOCKET = '/run/c/c.sock';

export interface DaemonTarget {
  socketPath: string;
  /** True when c may start a daemon there itself (the socket was not named explicitly). */
  autoStart: boolean;
}

/** `unix:///path` or `/path` → `/path`. TCP is refused: the daemon listens on unix sockets only. */
export function parseHostUrl(host: string): string {
  const path = host.startsWith('unix://') ? host.slice('unix://'.length) : host;
  if (!path.startsWith('/')) {
    throw new CError('INVALID_ARGUMENT', `invalid host ${host}: expected unix:///ABSOLUTE/PATH`, {
      hint: 'c talks to its daemon over a unix socket, e.g. -H unix:///run/c/c.sock',
    });
  }
  return path;
}

export function resolveDaemonTarget(options: { host: string | undefined; env: NodeJS.ProcessEnv; root: string; rootGiven: boolean }): DaemonTarget {
  if (options.host) return { socketPath: parseHostUrl(options.host), autoStart: false };
  if (options.env.C_HOST) return { socketPath: parseHostUrl(options.env.C_HOST), autoStart: false };
  if (options.rootGiven) return { socketPath: join(options.root, 'c.sock'), autoStart: true };
  return { socketPath: DEFAULT_SOCKET, autoStart: true };
}
