/**
 * One c-daemon on a temp socket and root with a busybox image imported through the docker CLI, for the e2e files
 * that need a daemon, the real docker CLI and dockerode. `close()` removes every container, stops the daemon,
 * unmounts what is left under the temp dir and deletes it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxTar } from '../../busybox-rootfs';
import { ensureDaemonBuilt, startDaemonProcess, type DaemonProcess } from './daemon-process';

export const DOCKER = '/usr/local/bin/docker';
const APPLETS = ['sh', 'cat', 'echo', 'ls', 'sleep', 'ps', 'true', 'stty', 'dd', 'head', 'yes', 'seq', 'printf', 'wc', 'touch', 'mkdir', 'rm'];

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Session {
  dir: string;
  socket: string;
  root: string;
  image: string;
  daemon: DaemonProcess;
  /** The docker CLI against this daemon; `input` is piped to its stdin (closed at once when absent). */
  docker(args: string[], input?: string): Promise<Result>;
  close(): Promise<void>;
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));
}

export async function openSession(prefix: string, image = 'busybox-image'): Promise<Session> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'docker-config'));
  await ensureDaemonBuilt();
  const socket = join(dir, 'run', 'c.sock');
  const root = join(dir, 'root');
  const daemon = await startDaemonProcess(socket, root);
  const docker = (args: string[], input?: string): Promise<Result> =>
    new Promise((resolve) => {
      const child = spawn(DOCKER, ['-H', `unix://${socket}`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  const session: Session = {
    dir,
    socket,
    root,
    image,
    daemon,
    docker,
    close: async () => {
      const left = await docker(['ps', '-aq']);
      for (const id of left.stdout.split('\n').filter(Boolean)) await docker(['rm', '-f', id]);
      await daemon.stop();
      for (const mount of mountsUnder(dir).reverse()) await new Promise((r) => spawn('umount', ['-l', mount]).once('close', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    const imported = await docker(['import', '--change', 'CMD ["sh"]', busyboxTar(dir, APPLETS), image]);
    if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}
