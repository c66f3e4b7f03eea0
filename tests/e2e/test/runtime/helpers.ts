import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec } from '@c/runtime';
import type { Spec } from '@c/runtime';

const RUNTIME_PKG = fileURLToPath(new URL('../../../../packages/runtime/', import.meta.url));
/** The CommonJS build (what the `c-runtime` bin runs); dist/c-runtime.js is the same CLI as ESM. */
export const CLI = join(RUNTIME_PKG, 'dist/c-runtime.cjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Build @c/runtime's dist if it is missing or older than its sources (the init must be plain JS). */
export function ensureBuilt(): void {
  const built = existsSync(CLI) && existsSync(join(RUNTIME_PKG, 'dist/c-runtime-main.cjs')) && existsSync(join(RUNTIME_PKG, 'dist/c-runtime-init.cjs')) && existsSync(join(RUNTIME_PKG, 'dist/c-runtime-init.js')) ? statSync(CLI).mtimeMs : 0;
  // The bundle inlines @c/namespaces: its sources count too.
  if (built > Math.max(newestMtime(join(RUNTIME_PKG, 'src')), newestMtime(join(RUNTIME_PKG, '../namespaces/src')))) return;
  const r = spawnSync('pnpm', ['--filter', '@c/runtime', 'build'], { cwd: RUNTIME_PKG, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building @c/runtime failed:\n${r.stdout}\n${r.stderr}`);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const APPLETS = ['sh', 'cat', 'echo', 'ls', 'mount', 'hostname', 'id', 'sleep', 'ps', 'grep', 'head', 'tail', 'dd', 'touch', 'true', 'false', 'readlink', 'seq', 'wc', 'tty', 'env', 'pwd', 'kill', 'time', 'stat', 'test', '['];

/** A rootfs made of Debian's static busybox plus applet symlinks and a passwd file. */
export function makeRootfs(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(dir, 'bin/busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/tmp:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nuser:x:1000:\n');
}

export interface Bundle {
  dir: string;
  rootfs: string;
  spec: Spec;
  write(): void;
}

/** A bundle with a busybox rootfs and a non-terminal default spec running `args`. */
export function makeBundle(parent: string, args: string[], edit: (spec: Spec) => void = () => {}): Bundle {
  const dir = mkdtempSync(join(parent, 'bundle-'));
  const rootfs = join(dir, 'rootfs');
  makeRootfs(rootfs);
  const spec = defaultSpec({ terminal: false, args, hostname: 'e2e-box' });
  spec.root!.readonly = false;
  edit(spec);
  const bundle = { dir, rootfs, spec, write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2)) };
  bundle.write();
  return bundle;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run c-runtime with `--root stateRoot`; stdin from `input` (or closed). */
export function cli(stateRoot: string, args: string[], options: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--root', stateRoot, ...args], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`c-runtime ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    // Resolve on exit, not on close: after `create` or `run --detach` the container keeps our pipes open.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
      }, 50);
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A temp dir with a state root; `cleanup` force-deletes every container left in it, then removes everything. */
export function workspace(prefix: string): { dir: string; state: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), `c-e2e-${prefix}-`));
  const state = join(dir, 'state');
  return {
    dir,
    state,
    cleanup: async () => {
      if (existsSync(state)) {
        for (const id of readdirSync(state)) await cli(state, ['delete', '--force', id]).catch(() => undefined);
      }
      // Retries: a tool's background process (podman's exit command) may still add or drop a file meanwhile.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

let counter = 0;
export function uniqueId(prefix = 'e2e'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Date.now().toString(36)}`;
}

/**
 * /proc/self/status of a process run as uid/gid 1000 with groups 100 and 1000, capabilities {NET_BIND_SERVICE, KILL}
 * and NET_BIND_SERVICE ambient, as runc runs it (after execve a non-root process keeps only its ambient set).
 */
export const UID_1000_STATUS: readonly RegExp[] = [
  /^Uid:\s+1000\s+1000\s+1000\s+1000$/m,
  /^Gid:\s+1000\s+1000\s+1000\s+1000$/m,
  /^Groups:\s+100 1000\s*$/m,
  /^CapInh:\s+0000000000000420$/m,
  /^CapPrm:\s+0000000000000400$/m,
  /^CapEff:\s+0000000000000400$/m,
  /^CapBnd:\s+0000000000000420$/m,
  /^CapAmb:\s+0000000000000400$/m,
];
