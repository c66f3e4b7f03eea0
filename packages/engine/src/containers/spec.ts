/**
 * The OCI runtime spec for a container: @c/runtime's default spec (docker's capabilities, masked paths, default
 * mounts) with the container's process, hostname, rootfs mount, binds, resources and capability edits.
 */
import { CError } from '@c/errors';
import type { Mount } from '@c/layers';
import { DOCKER_DEFAULT_CAPABILITIES, ROOTFS_MOUNT_ANNOTATION, defaultSpec, type Spec, type SpecMount } from '@c/runtime';
import { parseBinds } from './binds';
import { commandOf } from './config';
import type { ContainerConfig, HostConfig } from './types';
import type { ResolvedUser } from './user';

/** Every capability the kernel here knows (for `--cap-add ALL`). */
const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

function normalizeCap(cap: string): string {
  const upper = cap.toUpperCase();
  if (upper === 'ALL') return upper;
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) {
    throw new CError('INVALID_ARGUMENT', `unknown capability: "${cap}"`, { hint: 'use names like NET_ADMIN or CAP_SYS_TIME' });
  }
  return full;
}

/** docker's rule: start from the defaults (or ALL), add, then drop (a drop of ALL leaves only what is added). */
export function applyCapabilityEdits(add: readonly string[], drop: readonly string[]): string[] {
  const adds = add.map(normalizeCap);
  const drops = drop.map(normalizeCap);
  let caps = adds.includes('ALL') ? [...ALL_CAPABILITIES] : [...DOCKER_DEFAULT_CAPABILITIES];
  if (drops.includes('ALL')) caps = [];
  for (const cap of adds) if (cap !== 'ALL' && !caps.includes(cap)) caps.push(cap);
  if (!drops.includes('ALL')) caps = caps.filter((c) => !drops.includes(c) || adds.includes(c));
  return caps;
}

export interface SpecInputs {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The active snapshot's mounts (one overlay or bind mount for the root). */
  rootfsMounts: readonly Mount[];
  user: ResolvedUser;
  /** Host files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf (absent: not mounted). */
  files?: { hostname?: string; hosts?: string; resolvConf?: string };
  /** Bundle-relative or absolute path of the (empty) directory the rootfs is mounted on. */
  rootPath: string;
}

function rootfsAnnotation(mounts: readonly Mount[], id: string): string {
  if (mounts.length !== 1 || mounts[0]!.target !== undefined) {
    throw new CError('UNSUPPORTED', `the snapshot of container ${id} needs ${mounts.length} mounts; c mounts one rootfs mount`, {
      hint: 'use the overlay or copy snapshotter',
    });
  }
  const m = mounts[0]!;
  return JSON.stringify({ type: m.type, source: m.source, options: m.options });
}

/** The cgroup every container of this engine gets (`/c/<id>` in every hierarchy). */
export function containerCgroupsPath(id: string): string {
  return `/c/${id}`;
}

export function buildSpec(inputs: SpecInputs): Spec {
  const { config, hostConfig } = inputs;
  const { path, args } = commandOf(config);
  const spec = defaultSpec({ terminal: config.Tty, args: [path, ...args], rootPath: inputs.rootPath, hostname: config.Hostname });
  const caps = applyCapabilityEdits(hostConfig.CapAdd ?? [], hostConfig.CapDrop ?? []);
  const env = [...config.Env];
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${config.Hostname}`);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${inputs.user.home || '/'}`);
  if (config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const proc = spec.process!;
  proc.env = env;
  proc.cwd = config.WorkingDir === '' ? '/' : config.WorkingDir;
  if (!proc.cwd.startsWith('/')) {
    throw new CError('INVALID_ARGUMENT', `the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`, { hint: 'use an absolute -w path' });
  }
  proc.user = { uid: inputs.user.uid, gid: inputs.user.gid, additionalGids: inputs.user.additionalGids };
  proc.capabilities = { bounding: caps, effective: caps, permitted: caps, ambient: [], inheritable: [] };
  // docker does not set no_new_privs by default (setuid binaries in images keep working).
  proc.noNewPrivileges = false;
  spec.root = { path: inputs.rootPath, readonly: hostConfig.ReadonlyRootfs };
  spec.annotations = { [ROOTFS_MOUNT_ANNOTATION]: rootfsAnnotation(inputs.rootfsMounts, inputs.id) };
  const mounts: SpecMount[] = spec.mounts ?? [];
  const files = inputs.files ?? {};
  for (const [destination, source] of [['/etc/resolv.conf', files.resolvConf], ['/etc/hostname', files.hostname], ['/etc/hosts', files.hosts]] as const) {
    if (source !== undefined) mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  }
  for (const bind of parseBinds(hostConfig.Binds ?? [])) {
    mounts.push({ destination: bind.Destination, type: 'bind', source: bind.Source, options: ['rbind', bind.RW ? 'rw' : 'ro', 'rprivate'] });
  }
  spec.mounts = mounts;
  const linux = spec.linux!;
  linux.cgroupsPath = containerCgroupsPath(inputs.id);
  const resources = linux.resources ?? {};
  if (hostConfig.Memory > 0) resources.memory = { limit: hostConfig.Memory };
  if (hostConfig.NanoCpus > 0) resources.cpu = { period: 100_000, quota: Math.round((hostConfig.NanoCpus / 1e9) * 100_000) };
  if (hostConfig.PidsLimit > 0) resources.pids = { limit: hostConfig.PidsLimit };
  linux.resources = resources;
  return spec;
}
