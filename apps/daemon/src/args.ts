import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { CError } from '@c/errors';

export const DEFAULT_SOCKET = '/run/c/c.sock';
export const DEFAULT_ROOT = '/var/lib/c';
/** Pre-started container inits kept ready (decision 0013): each idle one holds ~44 MB. */
export const DEFAULT_INIT_POOL = 2;
/** A replacement init boots this long after a start, off the start → exit → remove path (decision 0013). */
export const DEFAULT_INIT_POOL_REFILL_MS = 250;

/** Threads that build starting containers (decision 0016): one per core, up to 4. */
export const defaultBuildThreads = (): number => Math.min(4, availableParallelism());

export interface DaemonConfig {
  /** Unix socket paths to listen on. */
  sockets: string[];
  /** The engine's state directory. */
  root: string;
  /** Group given access to the sockets (dockerd's `--group`); undefined keeps root's group. */
  group: string | undefined;
  /** Booted container inits kept ready for starts; 0 disables the pool. */
  initPool: number;
  /** How long after a start the pool boots its replacement ($C_INIT_POOL_REFILL_MS; decision 0013). */
  initPoolRefillMs: number;
  /** Worker threads that build starting containers ($C_BUILD_THREADS); 0 builds them on the event loop. */
  buildThreads: number;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: c-daemon [OPTIONS]

The c container engine daemon: serves the Docker Engine API on a unix socket.

Options:
  -H, --host unix:///PATH   socket to listen on (repeatable; default unix://${DEFAULT_SOCKET})
      --root DIR            state directory (default $C_ROOT or ${DEFAULT_ROOT})
  -G, --group NAME          group that may use the socket (mode 0660; default: root only)
      --init-pool N         pre-started container inits kept ready (default $C_INIT_POOL or ${DEFAULT_INIT_POOL}; 0: none)
      --build-threads N     threads that build starting containers (default $C_BUILD_THREADS or one per core,
                            up to 4; 0: on the event loop)
  -h, --help                print this help
  -v, --version             print the version
`;

function invalid(message: string): CError {
  return new CError('INVALID_ARGUMENT', message, { hint: 'run c-daemon --help for the options' });
}

/** `unix:///run/c.sock` or a bare absolute path → the path. TCP is refused: the API is root-equivalent. */
export function parseHost(host: string): string {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid(`invalid host ${host}: the socket path must be absolute`);
    return path;
  }
  if (host.startsWith('/')) return host;
  if (/^(tcp|http|https|fd|ssh):\/\//.test(host)) {
    throw new CError('UNSUPPORTED', `c-daemon listens on unix sockets only, not ${host}`, {
      hint: 'the API grants root on this host: use -H unix:///PATH and forward it over ssh if needed',
    });
  }
  throw invalid(`invalid host ${host}: expected unix:///PATH`);
}

function parseCount(value: string, where: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 64) throw invalid(`${where} must be a number from 0 to 64, not "${value}"`);
  return Number(value);
}

/** Parses argv (without node and the script) and the environment. */
export function parseDaemonArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const sockets: string[] = [];
  let root = env.C_ROOT || DEFAULT_ROOT;
  let group: string | undefined;
  let initPool = env.C_INIT_POOL !== undefined && env.C_INIT_POOL !== '' ? parseCount(env.C_INIT_POOL, 'C_INIT_POOL') : DEFAULT_INIT_POOL;
  const refill = env.C_INIT_POOL_REFILL_MS;
  if (refill !== undefined && refill !== '' && !/^\d+$/.test(refill)) throw invalid(`C_INIT_POOL_REFILL_MS must be a number of milliseconds, not "${refill}"`);
  const initPoolRefillMs = refill !== undefined && refill !== '' ? Number(refill) : DEFAULT_INIT_POOL_REFILL_MS;
  let buildThreads = env.C_BUILD_THREADS !== undefined && env.C_BUILD_THREADS !== '' ? parseCount(env.C_BUILD_THREADS, 'C_BUILD_THREADS') : defaultBuildThreads();
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next === '') throw invalid(`${flag} needs a value`);
      i += 1;
      return next;
    };
    switch (flag) {
      case '-H':
      case '--host':
        sockets.push(parseHost(value()));
        break;
      case '--root':
      case '--data-root':
        root = value();
        break;
      case '-G':
      case '--group':
        group = value();
        break;
      case '--init-pool':
        initPool = parseCount(value(), '--init-pool');
        break;
      case '--build-threads':
        buildThreads = parseCount(value(), '--build-threads');
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      case '-v':
      case '--version':
        version = true;
        break;
      default:
        throw invalid(`unknown option ${arg}`);
    }
  }
  return { sockets: sockets.length > 0 ? sockets : [DEFAULT_SOCKET], root: resolve(root), group, initPool, initPoolRefillMs, buildThreads, help, version };
}

/** The gid of a group name (or a numeric gid) from /etc/group-format text. */
export function resolveGroup(group: string, etcGroup: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of etcGroup.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new CError('NOT_FOUND', `group ${group} does not exist (not in /etc/group)`, {
    hint: `create it (groupadd ${group}) or pass --group with an existing group`,
  });
}
