/**
 * Looking into containers: top (processes of the cgroup), stats (cgroup counters), changes (the snapshot's
 * upper dir against the image), export and archive get/put (`c cp`), all path-safe.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { CError } from '@c/errors';
import { applyLayer, storeLayout, type ByteSource } from '@c/layers';
import { secureJoin } from '@c/runtime';
import { layerDirs } from './rootfs-files';
import { liveRoot, mountTemporarily, readOnlyMount, type RootfsHandle } from './rootfs-access';
import { parsePsOutput, psArgv, validatePsArgs } from './ps-output';
import type { ContainerService } from './service';
import type { ContainerRecord } from './types';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export interface ContainerStats {
  read: string;
  pids_stats: { current: number; limit?: number };
  memory_stats: { usage: number; max_usage?: number; limit?: number; failcnt?: number };
  cpu_stats: { cpu_usage: { total_usage: number }; online_cpus: number };
}

/** Kind 0 = modified, 1 = added, 2 = deleted (docker's `container diff`). */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

export interface ArchiveStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const text = readText(path)?.trim();
  if (text === undefined || text === 'max' || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The host directory of `controller` for a process (v1), or its v2 directory. */
function cgroupDir(pid: number, controller: string): string | undefined {
  for (const line of (readText(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (controllers!.split(',').includes(controller)) {
      const dir = join('/sys/fs/cgroup', controller === 'cpuacct' ? 'cpu,cpuacct' : controller, path);
      if (existsSync(dir)) return dir;
      const plain = join('/sys/fs/cgroup', controller, path);
      if (existsSync(plain)) return plain;
    }
    if (controllers === '' && existsSync(join('/sys/fs/cgroup', path, 'cgroup.procs')) && controller === '') return join('/sys/fs/cgroup', path);
  }
  return undefined;
}

const execFileAsync = promisify(execFile);
const UNLIMITED = 2 ** 62;
const ENGINE_MOUNT_POINTS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

export class Introspector {
  constructor(private readonly service: ContainerService) {}

  /** The processes in the container's cgroup, like `docker top` with `ps -ef`'s columns. */
  top(input: string): TopResult {
    const { record, lifecycle } = this.service.runtimeContext(input);
    const runtime = lifecycle.store.read(record.Id);
    const pids = lifecycle.cgroups(runtime.cgroupsPath).pids().sort((a, b) => a - b);
    const processes: string[][] = [];
    for (const pid of pids) {
      const stat = readText(`/proc/${pid}/stat`);
      const status = readText(`/proc/${pid}/status`);
      if (stat === undefined || status === undefined) continue;
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '?';
      const cmd = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
      processes.push([uid, String(pid), rest[1] ?? '?', cmd || `[${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}]`]);
    }
    return { Titles: ['UID', 'PID', 'PPID', 'CMD'], Processes: processes };
  }

  /**
   * `docker top CONTAINER PS_ARGS`: the host's `ps` with docker's options, narrowed to the container's processes
   * (`-q PIDS`, or every process when the options cannot be combined with `-q`, e.g. `f`), then filtered by PID.
   */
  async topWithPs(input: string, psArgs: string): Promise<TopResult> {
    validatePsArgs(psArgs);
    const { record, lifecycle } = this.service.runtimeContext(input);
    const pids = lifecycle.cgroups(lifecycle.store.read(record.Id).cgroupsPath).pids();
    const args = psArgv(psArgs);
    const run = (argv: string[]) => execFileAsync('ps', argv, { maxBuffer: 64 * 1024 * 1024 });
    let output: string;
    try {
      output = (await run(pids.length > 0 ? [...args, '-q', pids.join(',')] : args)).stdout;
    } catch {
      try {
        output = (await run(args)).stdout;
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
        throw new CError('INVALID_ARGUMENT', `ps ${psArgs}: ${stderr || (error as Error).message}`, { hint: 'check the ps options (docker top CONTAINER -o pid,comm)' });
      }
    }
    return parsePsOutput(output, pids);
  }

  /** One sample of the container's cgroup counters (cgroup v1 here; v2 files when the host is unified). */
  stats(input: string): ContainerStats {
    const { record } = this.service.runtimeContext(input);
    const pid = record.State.Pid;
    const memory = cgroupDir(pid, 'memory');
    const pids = cgroupDir(pid, 'pids');
    const cpu = cgroupDir(pid, 'cpuacct');
    const v2 = cgroupDir(pid, '');
    const limit = (n: number | undefined) => (n === undefined || n >= UNLIMITED ? undefined : n);
    const memoryStats: ContainerStats['memory_stats'] = memory
      ? {
          usage: readNumber(join(memory, 'memory.usage_in_bytes')) ?? 0,
          max_usage: readNumber(join(memory, 'memory.max_usage_in_bytes')),
          limit: limit(readNumber(join(memory, 'memory.limit_in_bytes'))),
          failcnt: readNumber(join(memory, 'memory.failcnt')),
        }
      : { usage: v2 ? (readNumber(join(v2, 'memory.current')) ?? 0) : 0, limit: v2 ? limit(readNumber(join(v2, 'memory.max'))) : undefined };
    const pidsDir = pids ?? v2;
    const cpuUsage = cpu
      ? (readNumber(join(cpu, 'cpuacct.usage')) ?? 0)
      : v2
        ? Number(/usage_usec (\d+)/.exec(readText(join(v2, 'cpu.stat')) ?? '')?.[1] ?? 0) * 1000
        : 0;
    return {
      read: new Date().toISOString(),
      pids_stats: { current: pidsDir ? (readNumber(join(pidsDir, 'pids.current')) ?? 0) : 0, limit: pidsDir ? readNumber(join(pidsDir, 'pids.max')) : undefined },
      memory_stats: memoryStats,
      cpu_stats: { cpu_usage: { total_usage: cpuUsage }, online_cpus: readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length },
    };
  }

  /** What changed in the container's filesystem compared with its image. */
  async changes(input: string): Promise<Change[]> {
    const record = this.service.get(input);
    const source = await this.service.snapshotter.diffSource(record.C.snapshotKey);
    const out: Change[] = [];
    if (source.kind === 'upper') {
      const mounts = await this.service.snapshotter.mounts(record.C.snapshotKey);
      const lowers = layerDirs(mounts).slice(1);
      const inLower = (rel: string) => lowers.some((dir) => lexists(join(dir, rel)));
      const walk = (dir: string, rel: string) => {
        for (const name of readdirSync(dir).sort()) {
          const path = join(dir, name);
          const relPath = `${rel}/${name}`;
          const st = lstatSync(path);
          if (st.isCharacterDevice() && st.rdev === 0) {
            out.push({ Path: relPath, Kind: 2 });
            continue;
          }
          out.push({ Path: relPath, Kind: inLower(relPath) ? 0 : 1 });
          if (st.isDirectory()) walk(path, relPath);
        }
      };
      walk(source.upper, '');
    } else {
      const base = source.base;
      const walk = (dir: string, rel: string) => {
        for (const name of readdirSync(dir).sort()) {
          const relPath = `${rel}/${name}`;
          const st = lstatSync(join(dir, name));
          const before = base ? lstatOrUndefined(join(base, relPath)) : undefined;
          if (before === undefined) out.push({ Path: relPath, Kind: 1 });
          else if (before.mtimeMs !== st.mtimeMs || before.size !== st.size || before.mode !== st.mode) out.push({ Path: relPath, Kind: 0 });
          if (st.isDirectory()) walk(join(dir, name), relPath);
        }
      };
      walk(source.tree, '');
      if (base) {
        const gone = (dir: string, rel: string) => {
          for (const name of readdirSync(dir).sort()) {
            const relPath = `${rel}/${name}`;
            if (!lexists(join(source.tree, relPath))) out.push({ Path: relPath, Kind: 2 });
            else if (lstatSync(join(dir, name)).isDirectory()) gone(join(dir, name), relPath);
          }
        };
        gone(base, '');
      }
    }
    // Mount points the engine itself puts there are not the container's changes (docker hides them as well).
    return out.filter((c) => !ENGINE_MOUNT_POINTS.has(c.Path)).sort((a, b) => a.Path.localeCompare(b.Path));
  }

  /** A tar of the container's whole filesystem (without /proc, /sys and other runtime mounts). */
  async export(input: string): Promise<Readable> {
    const record = this.service.get(input);
    const handle = await this.readOnlyRoot(record);
    return this.tarStream(handle, handle.root, '.');
  }

  /** A tar of one path inside the container, named by its last component (docker's archive GET). */
  async archiveGet(input: string, path: string): Promise<{ stat: ArchiveStat; tar: Readable }> {
    const record = this.service.get(input);
    const handle = await this.readOnlyRoot(record);
    try {
      const clean = path.replace(/\/+$/, '') || '/';
      const resolved = secureJoin(handle.root, clean);
      const st = lstatOrUndefined(resolved);
      if (st === undefined) {
        throw new CError('NOT_FOUND', `Could not find the file ${path} in container ${record.Name.slice(1)}`, { hint: 'check the path', details: { path } });
      }
      const name = clean === '/' ? '.' : basename(resolved);
      const stat: ArchiveStat = {
        name: clean === '/' ? '/' : basename(clean),
        size: st.size,
        mode: st.mode,
        mtime: st.mtime.toISOString(),
        linkTarget: '',
      };
      return { stat, tar: this.tarStream(handle, clean === '/' ? resolved : dirname(resolved), name) };
    } catch (error) {
      await handle.release();
      throw error;
    }
  }

  /** Extracts a tar into a directory of the container (docker's archive PUT); entries cannot escape it. */
  async archivePut(input: string, path: string, tar: ByteSource): Promise<void> {
    const record = this.service.get(input);
    const handle = record.State.Running
      ? liveRoot(record.State.Pid)
      : await mountTemporarily((await this.service.snapshotter.mounts(record.C.snapshotKey))[0]!, await this.tmpDir());
    try {
      const target = secureJoin(handle.root, path);
      const st = lstatOrUndefined(target);
      if (st === undefined || !st.isDirectory()) {
        throw new CError('NOT_FOUND', `Could not find the directory ${path} in container ${record.Name.slice(1)}`, { hint: 'the destination must be an existing directory', details: { path } });
      }
      if (record.HostConfig.ReadonlyRootfs) {
        throw new CError('PERMISSION_DENIED', `container ${record.Name.slice(1)} has a read-only root filesystem`, { hint: 'copy into a writable bind mount instead' });
      }
      await applyLayer(tar, target, { whiteouts: 'delete' });
    } finally {
      await handle.release();
    }
  }

  private async tmpDir(): Promise<string> {
    const dir = storeLayout(this.service.root).tmp;
    await mkdir(dir, { recursive: true });
    return dir;
  }

  private async readOnlyRoot(record: ContainerRecord): Promise<RootfsHandle> {
    const mounts = await this.service.snapshotter.mounts(record.C.snapshotKey);
    return mountTemporarily(readOnlyMount(mounts), await this.tmpDir());
  }

  /** `tar -c` of `name` in `dir`; the temporary mount is released when the stream ends or fails. */
  private tarStream(handle: RootfsHandle, dir: string, name: string): Readable {
    const child = spawn('tar', ['--numeric-owner', '--xattrs', '-C', dir, '-cf', '-', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const out = child.stdout;
    child.once('close', (code) => {
      void handle.release();
      if (code !== 0) out.destroy(new CError('INTERNAL', `tar of ${name} failed (exit ${code}): ${stderr.trim()}`, { hint: 'see the message from tar' }));
    });
    out.once('close', () => {
      if (child.exitCode === null) child.kill();
    });
    return out;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function lexists(path: string): boolean {
  return lstatOrUndefined(path) !== undefined;
}
