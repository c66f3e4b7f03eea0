// Privileged: process.terminal with --console-socket (SCM_RIGHTS, as podman/containerd use) and with the caller's stdio.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, isRoot, makeBundle, uniqueId, workspace } from './helpers';

const ws = workspace('tty');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

const hasPython = spawnSync('python3', ['-c', 'import socket; socket.recv_fds']).status === 0;

// A console-socket receiver like conmon's: accept, take the fd from SCM_RIGHTS, copy the pty's output to stdout.
const RECEIVER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
print("name=" + msg.decode(), flush=True)
while True:
    try:
        data = os.read(fds[0], 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace")); sys.stdout.flush()
`;

describe.skipIf(!isRoot())('c-runtime terminals', () => {
  it.skipIf(!hasPython)('sends the pty master over --console-socket and the process\'s stdio is that tty', async () => {
    const socketPath = join(ws.dir, 'console.sock');
    const receiver = spawn('python3', ['-c', RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve) => receiver.stdout.once('data', () => resolve()));
      const bundle = makeBundle(ws.dir, ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo is-a-tty; sleep 0.2'], (s) => {
        s.process!.terminal = true;
      });
      const id = uniqueId('tty');
      const created = await cli(ws.state, ['create', '--bundle', bundle.dir, '--console-socket', socketPath, id]);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      expect((await cli(ws.state, ['start', id])).code).toBe(0);
      await new Promise<void>((resolve) => receiver.once('exit', () => resolve()));
      expect(out).toMatch(/name=\/dev\/ptmx/);
      expect(out).toMatch(/is-a-tty/);
      await cli(ws.state, ['delete', '--force', id]);
    } finally {
      receiver.kill('SIGKILL');
    }
  });

  it('run without a console socket copies the pty to the caller', async () => {
    const bundle = makeBundle(ws.dir, ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo is-a-tty; exit 4'], (s) => {
      s.process!.terminal = true;
    });
    const r = await cli(ws.state, ['run', '--bundle', bundle.dir, uniqueId('ttyrun')]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/is-a-tty\r?\n/);
  });

  it('refuses a detached terminal without a console socket', async () => {
    const bundle = makeBundle(ws.dir, ['true'], (s) => {
      s.process!.terminal = true;
    });
    const r = await cli(ws.state, ['create', '--bundle', bundle.dir, uniqueId('ttyno')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--console-socket/);
  });
});
