import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { availableParallelism } from 'node:os';
import { DEFAULT_INIT_POOL, DEFAULT_INIT_POOL_REFILL_MS, DEFAULT_ROOT, DEFAULT_SOCKET, parseDaemonArgs, parseHost, resolveGroup } from './args';

describe('c-daemon arguments', () => {
  it('defaults to /run/c/c.sock and /var/lib/c', () => {
    expect(parseDaemonArgs([], {})).toEqual({
      sockets: [DEFAULT_SOCKET],
      root: DEFAULT_ROOT,
      group: undefined,
      initPool: DEFAULT_INIT_POOL,
      initPoolRefillMs: DEFAULT_INIT_POOL_REFILL_MS,
      buildThreads: Math.min(4, availableParallelism()),
      help: false,
      version: false,
    });
  });

  it('reads -H/--host (repeatable, = form) and --root, with C_ROOT as the default root', () => {
    const config = parseDaemonArgs(['-H', 'unix:///tmp/a.sock', '--host=/tmp/b.sock', '--root', '/srv/c'], { C_ROOT: '/env' });
    expect(config.sockets).toEqual(['/tmp/a.sock', '/tmp/b.sock']);
    expect(config.root).toBe('/srv/c');
    expect(parseDaemonArgs([], { C_ROOT: '/from/env' }).root).toBe('/from/env');
    expect(parseDaemonArgs(['--root=rel'], {}).root).toMatch(/^\/.*\/rel$/);
  });

  it('--init-pool N (0 disables) over $C_INIT_POOL over the default; refuses what is not a small number', () => {
    expect(DEFAULT_INIT_POOL).toBe(2);
    expect(parseDaemonArgs([], { C_INIT_POOL: '0' }).initPool).toBe(0);
    expect(parseDaemonArgs(['--init-pool', '5'], { C_INIT_POOL: '0' }).initPool).toBe(5);
    expect(parseDaemonArgs(['--init-pool=0'], {}).initPool).toBe(0);
    for (const bad of ['-1', 'two', '1.5', '65']) {
      expect(() => parseDaemonArgs(['--init-pool', bad], {})).toThrow(/--init-pool must be a number from 0 to 64/);
    }
    expect(() => parseDaemonArgs([], { C_INIT_POOL: 'x' })).toThrow(/C_INIT_POOL must be/);
    expect(parseDaemonArgs([], { C_INIT_POOL_REFILL_MS: '0' }).initPoolRefillMs).toBe(0);
    expect(() => parseDaemonArgs([], { C_INIT_POOL_REFILL_MS: 'soon' })).toThrow(/C_INIT_POOL_REFILL_MS must be/);
  });

  it('--build-threads N (0: the event loop) over $C_BUILD_THREADS over one per core up to 4', () => {
    expect(parseDaemonArgs([], { C_BUILD_THREADS: '0' }).buildThreads).toBe(0);
    expect(parseDaemonArgs(['--build-threads', '3'], { C_BUILD_THREADS: '0' }).buildThreads).toBe(3);
    expect(parseDaemonArgs(['--build-threads=1'], {}).buildThreads).toBe(1);
    expect(() => parseDaemonArgs(['--build-threads', 'many'], {})).toThrow(/--build-threads must be a number from 0 to 64, not "many"/);
    expect(() => parseDaemonArgs([], { C_BUILD_THREADS: '-2' })).toThrow(/C_BUILD_THREADS must be a number from 0 to 64/);
  });

  it('refuses TCP and malformed hosts, unknown flags and missing values', () => {
    try {
      parseHost('tcp://0.0.0.0:2375');
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'UNSUPPORTED')).toBe(true);
    }
    expect(() => parseHost('unix://relative.sock')).toThrow(/must be absolute/);
    expect(() => parseHost('c.sock')).toThrow(/expected unix/);
    expect(() => parseDaemonArgs(['--tls'], {})).toThrow(/unknown option --tls/);
    expect(() => parseDaemonArgs(['-H'], {})).toThrow(/-H needs a value/);
  });

  it('reads --group and resolves names and numbers to a gid', () => {
    expect(parseDaemonArgs(['-G', 'docker'], {}).group).toBe('docker');
    const etcGroup = 'root:x:0:\ndocker:x:998:alice,bob\nbroken:x:\n';
    expect(resolveGroup('docker', etcGroup)).toBe(998);
    expect(resolveGroup('1234', etcGroup)).toBe(1234);
    expect(() => resolveGroup('broken', etcGroup)).toThrow(/group broken does not exist/);
    expect(() => resolveGroup('nope', etcGroup)).toThrow(/group nope does not exist/);
  });

  it('recognises --help and --version', () => {
    expect(parseDaemonArgs(['--help'], {}).help).toBe(true);
    expect(parseDaemonArgs(['-v'], {}).version).toBe(true);
  });
});
