/**
 * A store root with a busybox image imported through the ImageService (Debian's static /bin/busybox, applet
 * symlinks, /etc/passwd), a ContainerService over it, and counters for what must not leak: mounts, cgroups,
 * processes.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createContainerService, createImageService, type ContainerService, type CreateContainerServiceOptions } from '@c/engine';

const APPLETS = ['sh', 'cat', 'echo', 'ls', 'sleep', 'ps', 'true', 'false', 'touch', 'id', 'hostname', 'env', 'pwd', 'wc', 'mkdir', 'rm', 'test'];

export function makeRootfs(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(dir, 'bin/busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/user']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nuser:x:1000:\nstaff:x:50:user\n');
}

/** `tar -C dir -cf - .`, collected (Node drops a child's unread output once it exits). */
async function tarOf(dir: string): Promise<Readable> {
  const child = spawn('tar', ['--numeric-owner', '-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

export interface Env {
  dir: string;
  root: string;
  service: ContainerService;
  cleanup: () => Promise<void>;
}

/** `options`: how the ContainerService is opened (buildThreads...), over the root made here. */
export async function setup(prefix: string, options: Omit<CreateContainerServiceOptions, 'root'> = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), `c-ctr-${prefix}-`));
  const root = join(dir, 'root');
  const rootfs = join(dir, 'rootfs');
  makeRootfs(rootfs);
  const images = createImageService({ root });
  await images.import(await tarOf(rootfs), 'busybox:e2e', { changes: ['CMD ["sh"]'] });
  const env: Env = {
    dir,
    root,
    service: await openService(root, options),
    // Uses env.service at cleanup time: a test may replace it (an engine restart).
    cleanup: async () => {
      await removeAll(env.service);
      env.service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

export function openService(root: string, options: Omit<CreateContainerServiceOptions, 'root'> = {}): Promise<ContainerService> {
  return createContainerService({ ...options, root });
}

export async function removeAll(service: ContainerService): Promise<void> {
  for (const c of service.list({ all: true })) await service.remove(c.Id, { force: true }).catch(() => undefined);
}

/** Mount points under `dir` (from the host's mount table). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));
}

/** Cgroup directories c made for containers (`/c/<id>`), over every v1 hierarchy and the v2 mount. */
export function containerCgroups(): string[] {
  const out: string[] = [];
  if (!existsSync('/sys/fs/cgroup')) return out;
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const base = join('/sys/fs/cgroup', hierarchy, 'c');
    if (!existsSync(base)) continue;
    try {
      for (const entry of readdirSync(base, { withFileTypes: true })) if (entry.isDirectory()) out.push(join(base, entry.name));
    } catch {
      // not a directory hierarchy
    }
  }
  return out;
}

/** Processes whose cgroup is one of c's container cgroups. */
export function containerProcesses(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (/:\/c\/[0-9a-f]{64}/.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}

/** The container cgroups of these containers only: other suites and packages may run containers meanwhile. */
export function cgroupsOf(ids: readonly string[]): string[] {
  return containerCgroups().filter((path) => ids.some((id) => path.endsWith(`/${id}`)));
}

/** The processes in these containers' cgroups only. */
export function processesOf(ids: readonly string[]): number[] {
  return containerProcesses().filter((pid) => {
    try {
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      return ids.some((id) => cgroup.includes(`/c/${id}`));
    } catch {
      return false; // gone
    }
  });
}

/**
 * Polls `check` until it holds; throws naming `what` after `ms`. Waits on a condition instead of a fixed sleep: a
 * loaded 2-core CI machine can stretch any short fixed wait.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function logText(service: ContainerService, id: string): Promise<string> {
  let text = '';
  for await (const e of service.logs(id)) text += e.line;
  return text;
}
