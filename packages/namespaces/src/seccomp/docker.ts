import { release } from 'node:os';
import { CError } from '@c/errors';
import { archTable, type ArchTable } from '../arch/index';
import type { SeccompArg, SeccompProfile, SeccompRule } from './compile';

/**
 * Docker's seccomp profile format (moby profiles/seccomp, also podman's /usr/share/containers/seccomp.json): an
 * OCI profile plus `archMap` and per-rule `includes`/`excludes` on capabilities, architectures and kernel version.
 */
export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  flags?: string[];
  syscalls?: DockerSeccompRule[] | null;
}

export interface DockerSeccompRule {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  includes?: DockerSeccompFilter | null;
  excludes?: DockerSeccompFilter | null;
  comment?: string;
}

export interface DockerSeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  /** "5.8": the rule applies from this kernel version on. */
  minKernel?: string | null;
}

export interface DockerSeccompContext {
  /** The container's capabilities ('CAP_SYS_ADMIN'…): `includes.caps` need all, `excludes.caps` drop on any. */
  capabilities: readonly string[];
  /** Target architecture (default: the running one). */
  arch?: ArchTable;
  /** Kernel version for `minKernel` (default: os.release()). */
  kernelVersion?: string;
}

/** Docker's architecture names (GOARCH style) for our tables. */
const DOCKER_ARCH: Record<ArchTable['name'], string> = { x86_64: 'amd64', aarch64: 'arm64' };

function parseKernel(version: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) throw new CError('INVALID_ARGUMENT', `kernel version ${JSON.stringify(version)} is not "major.minor…"`);
  return [Number(match[1]), Number(match[2])];
}

function kernelAtLeast(actual: [number, number], wanted: string): boolean {
  const [major, minor] = parseKernel(wanted);
  return actual[0] > major || (actual[0] === major && actual[1] >= minor);
}

/**
 * Resolves a Docker-format profile for one container into an OCI profile (what runc gets from dockerd): keeps
 * the rules whose includes/excludes match the capabilities, architecture and kernel, in their original order,
 * and lists the native architecture with its sub-architectures.
 */
export function fromDockerSeccompProfile(profile: DockerSeccompProfile, context: DockerSeccompContext): SeccompProfile {
  const arch = context.arch ?? archTable();
  const dockerArch = DOCKER_ARCH[arch.name];
  const caps = new Set(context.capabilities.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`)));
  const kernel = parseKernel(context.kernelVersion ?? release());

  const applies = (rule: DockerSeccompRule): boolean => {
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(dockerArch)) return false;
    if (exc.arches?.length && exc.arches.includes(dockerArch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (exc.caps?.length && exc.caps.some((c) => caps.has(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
    return true;
  };

  const syscalls: SeccompRule[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!applies(rule)) continue;
    const names = rule.names?.length ? rule.names : rule.name ? [rule.name] : [];
    if (names.length === 0) continue;
    syscalls.push({
      names: [...names],
      action: rule.action,
      ...(rule.errnoRet === undefined ? {} : { errnoRet: rule.errnoRet }),
      ...(rule.args?.length ? { args: rule.args.map((a) => ({ ...a })) } : {}),
    });
  }

  const mapped = profile.archMap?.find((m) => m.architecture === arch.scmpArch);
  const architectures = mapped
    ? [mapped.architecture, ...(mapped.subArchitectures ?? [])]
    : profile.architectures?.length
      ? [...profile.architectures]
      : [arch.scmpArch];

  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet === undefined ? {} : { defaultErrnoRet: profile.defaultErrnoRet }),
    architectures,
    ...(profile.flags?.length ? { flags: [...profile.flags] } : {}),
    syscalls,
  };
}
