// Privileged: process.terminal with --console-socket (SCM_RIGHTS, as podman/containerd use) and with the caller's stdio.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, ensureBuilt, isRoot, makeBundle, uniqueId, workspace } from './helpers';

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

/**
 * Run c-runtime with a pipe for stdin; once stdout shows `ready`, write ^C (0x03) to it: the CLI copies it into
 * the pty master, and the line discipline turns it into SIGINT for the terminal's foreground process group.
 */
function withCtrlC(state: string, args: string[], stdin: 'pipe' | 'ignore' = 'pipe'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--root', state, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes('ready') && child.stdin) {
        sent = true;
        child.stdin.write('\x03');
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`c-runtime ${args.join(' ')} did not end after ^C; stdout: ${stdout}; stderr: ${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ code, stdout, stderr }), 50);
    });
  });
}

// The payload reports its tty and tty_nr (field 7 of /proc/self/stat, 0 = no controlling terminal), then waits
// for SIGINT, which only reaches it through the terminal when the pty is its controlling terminal.
const CTTY_PROBE = 'trap "echo got-sigint; exit 42" INT; echo "tty=$(tty) tty_nr=$(cut -d" " -f7 /proc/self/stat)"; ps -o pid,tty,comm | grep "[p]s$"; echo ready; while true; do sleep 0.1; done';

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
      // 'close', not 'exit': the exit can be handled before the last of its output is read.
      await new Promise<void>((resolve) => receiver.once('close', () => resolve()));
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

  it('run -t: the pty is the controlling terminal and ^C interrupts the payload', async () => {
    const bundle = makeBundle(ws.dir, ['sh', '-c', CTTY_PROBE], (s) => {
      s.process!.terminal = true;
    });
    const r = await withCtrlC(ws.state, ['run', '--bundle', bundle.dir, uniqueId('ttyint')]);
    expect(r.stdout).toMatch(/tty_nr=[1-9]\d*\r?\n/);
    expect(r.stdout).toMatch(/got-sigint/);
    expect(r.code).toBe(42);
  });

  it('exec -t: the pty of the container\'s devpts is the controlling terminal and ^C interrupts the payload', async () => {
    const bundle = makeBundle(ws.dir, ['sleep', '60']);
    const id = uniqueId('ttyexec');
    expect((await cli(ws.state, ['run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    try {
      const r = await withCtrlC(ws.state, ['exec', '--tty', id, 'sh', '-c', CTTY_PROBE]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/tty=\/dev\/pts\/\d+ tty_nr=[1-9]\d*\r?\n/);
      expect(r.stdout).toMatch(/\d+ +136,\d+ +ps/); // ps sees a tty (major 136: pts), not "?"
      expect(r.stdout).toMatch(/got-sigint/);
      expect(r.code).toBe(42);
      // A stdin that is a file (here /dev/null) is read through libuv's thread pool, which must exist before the
      // exec joins the pid namespace (no thread can be created after): this used to abort.
      const plain = await withCtrlC(ws.state, ['exec', '--tty', id, 'sh', '-c', 'echo "tty=$(tty)"; exit 5'], 'ignore');
      expect(plain.stdout).toMatch(/tty=\/dev\/pts\/\d+/);
      expect(plain.code).toBe(5);
    } finally {
      await cli(ws.state, ['delete', '--force', id]);
    }
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
