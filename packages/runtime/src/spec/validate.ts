import { CError } from '@c/errors';
import { capabilityMask } from './capabilities';
import { rlimitNumber } from '@c/namespaces';
import type { NamespaceType, Spec, SpecMount, SpecNamespace, SpecProcess } from './types';

/** Annotation that carries the rootfs mount as JSON `{"type","source","options"}` (alternative to a "/" mount). */
export const ROOTFS_MOUNT_ANNOTATION = 'org.c.rootfs.mount';

const NAMESPACE_TYPES: readonly NamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];
/** Namespaces c-runtime can create or join today. */
const SUPPORTED_NAMESPACES: ReadonlySet<NamespaceType> = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'cgroup']);

/** A spec checked for what c-runtime needs, with the rootfs mount split off the other mounts. */
export interface ValidatedSpec {
  spec: Spec;
  process: SpecProcess;
  /** The rootfs mount (overlay etc.) to mount on root.path inside the container's mount namespace, if any. */
  rootfsMount: SpecMount | undefined;
  /** The spec's mounts without the rootfs mount, in order. */
  mounts: SpecMount[];
  namespaces: SpecNamespace[];
}

function invalid(message: string, hint: string, details: Record<string, unknown> = {}): CError {
  return new CError('INVALID_ARGUMENT', message, { hint, details });
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

export function validateProcess(process: SpecProcess | undefined, where = 'process'): SpecProcess {
  if (process === undefined || typeof process !== 'object') {
    throw invalid(`config.json has no ${where}`, 'add a "process" object with "args", "cwd" and "user"');
  }
  if (!Array.isArray(process.args) || process.args.length === 0 || process.args.some((a) => typeof a !== 'string')) {
    throw invalid(`${where}.args must be a non-empty list of strings`, 'set the command to run, e.g. ["sh"]');
  }
  if (typeof process.cwd !== 'string' || !isAbsolute(process.cwd)) {
    throw invalid(`${where}.cwd must be an absolute path, got ${JSON.stringify(process.cwd)}`, 'set "cwd": "/"');
  }
  const user = process.user;
  if (user === undefined || !Number.isInteger(user.uid) || !Number.isInteger(user.gid) || user.uid < 0 || user.gid < 0) {
    throw invalid(`${where}.user needs integer uid and gid`, 'set "user": {"uid": 0, "gid": 0}');
  }
  for (const gid of user.additionalGids ?? []) {
    if (!Number.isInteger(gid) || gid < 0) throw invalid(`${where}.user.additionalGids has an invalid gid ${gid}`, 'use non-negative integers');
  }
  if (process.env !== undefined && (!Array.isArray(process.env) || process.env.some((e) => typeof e !== 'string' || !e.includes('=')))) {
    throw invalid(`${where}.env must be a list of "KEY=value" strings`, 'fix the env entries');
  }
  const caps = process.capabilities;
  if (caps) {
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) capabilityMask(caps[set], set);
  }
  for (const rlimit of process.rlimits ?? []) {
    if (rlimitNumber(rlimit.type) === undefined) throw invalid(`unknown rlimit type "${rlimit.type}" in ${where}.rlimits`, 'use names like RLIMIT_NOFILE');
  }
  return process;
}

function parseRootfsAnnotation(value: string): SpecMount {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (cause) {
    throw new CError('INVALID_ARGUMENT', `annotation ${ROOTFS_MOUNT_ANNOTATION} is not JSON`, { cause, hint: 'use {"type":"overlay","source":"overlay","options":[...]}' });
  }
  const m = parsed as Partial<SpecMount>;
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string') {
    throw invalid(`annotation ${ROOTFS_MOUNT_ANNOTATION} needs a "type"`, 'use {"type":"overlay","source":"overlay","options":[...]}');
  }
  return { destination: '/', type: m.type, source: m.source ?? m.type, options: m.options ?? [] };
}

/**
 * Check a config.json for everything c-runtime relies on and split out the rootfs mount. The rootfs may be a plain
 * directory (root.path), or root.path may be an empty directory with the rootfs given either as the first mount
 * with destination "/" or as the annotation `org.c.rootfs.mount`.
 */
export function validateSpec(spec: Spec, options: { requireProcess?: boolean } = {}): ValidatedSpec {
  if (spec === null || typeof spec !== 'object') throw invalid('config.json is not a JSON object', 'write an OCI runtime spec');
  if (typeof spec.ociVersion !== 'string' || !/^1\./.test(spec.ociVersion)) {
    throw invalid(`config.json: unsupported ociVersion ${JSON.stringify(spec.ociVersion)}`, 'use an OCI runtime-spec 1.x config');
  }
  if (!spec.root || typeof spec.root.path !== 'string' || spec.root.path === '') {
    throw invalid('config.json has no root.path', 'set "root": {"path": "rootfs"}');
  }
  const process = options.requireProcess === false && spec.process === undefined ? (undefined as unknown as SpecProcess) : validateProcess(spec.process);

  const namespaces = spec.linux?.namespaces ?? [];
  const seen = new Set<string>();
  for (const ns of namespaces) {
    if (!NAMESPACE_TYPES.includes(ns.type)) throw invalid(`unknown namespace type "${ns.type}"`, `use one of ${NAMESPACE_TYPES.join(', ')}`);
    if (seen.has(ns.type)) throw invalid(`namespace "${ns.type}" is listed twice`, 'list each namespace once');
    seen.add(ns.type);
    if (!SUPPORTED_NAMESPACES.has(ns.type)) {
      throw new CError('UNSUPPORTED', `namespace "${ns.type}" is not supported by c-runtime yet`, {
        hint: 'remove it from linux.namespaces (user namespaces need the planned single-threaded helper)',
      });
    }
    if (ns.path !== undefined && !isAbsolute(ns.path)) throw invalid(`namespace ${ns.type} path must be absolute: ${ns.path}`, 'use /proc/<pid>/ns/<type> or a bind-mounted ns file');
  }
  if (!seen.has('mount')) {
    throw new CError('UNSUPPORTED', 'c-runtime needs a mount namespace (linux.namespaces has no "mount")', { hint: 'add {"type": "mount"}' });
  }
  if (spec.hostname !== undefined && spec.hostname !== '' && !namespaces.some((n) => n.type === 'uts' && n.path === undefined)) {
    throw invalid('config.json sets hostname without a new uts namespace', 'add {"type": "uts"} to linux.namespaces or drop hostname');
  }

  const all = spec.mounts ?? [];
  for (const m of all) {
    if (typeof m.destination !== 'string' || !isAbsolute(m.destination)) {
      throw invalid(`mount destination must be absolute: ${JSON.stringify(m.destination)}`, 'use paths like /data', { mount: m });
    }
    if (m.destination.split('/').includes('..')) throw invalid(`mount destination contains "..": ${m.destination}`, 'use a clean path');
  }
  let rootfsMount: SpecMount | undefined;
  let mounts = all;
  const annotation = spec.annotations?.[ROOTFS_MOUNT_ANNOTATION];
  if (annotation !== undefined) {
    rootfsMount = parseRootfsAnnotation(annotation);
  } else if (all[0] !== undefined && all[0].destination === '/') {
    rootfsMount = all[0];
    mounts = all.slice(1);
  }
  if (mounts.some((m) => m.destination === '/')) {
    throw invalid('only the first mount may have destination "/" (the rootfs mount)', 'move the rootfs mount first');
  }
  const propagation = spec.linux?.rootfsPropagation;
  if (propagation !== undefined && !['', 'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'].includes(propagation)) {
    throw invalid(`linux.rootfsPropagation "${propagation}" is not a propagation type`, 'use rprivate, rslave or rshared');
  }
  return { spec, process, rootfsMount, mounts, namespaces };
}
