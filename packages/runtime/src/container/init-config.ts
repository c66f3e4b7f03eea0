import { resolve } from 'node:path';
import { compileSeccompProfile } from '@c/namespaces';
import type { SeccompProfile } from '@c/namespaces';
import type { InitConfig } from '../init/protocol';
import { resolveCapabilities } from '../spec/capabilities';
import { planRlimits } from '../spec/rlimits';
import type { RlimitPolicy } from '../spec/rlimits';
import type { ValidatedSpec } from '../spec/validate';

export interface HostFacts {
  /** Capabilities this runtime can hand out (its bounding set). */
  availableCapabilities: bigint;
  /** Current hard rlimit per resource. */
  hardLimit: (resource: number) => bigint;
  /** Holds CAP_SYS_RESOURCE (may raise hard limits). */
  canRaiseRlimits: boolean;
  lastCap: number;
}

export interface PlannedInit {
  config: InitConfig;
  warnings: string[];
}

/** Everything the init will do, decided in the parent from the spec and the host's limits. */
export function planInit(
  validated: ValidatedSpec,
  bundle: string,
  execFifo: string,
  host: HostFacts,
  options: { consolePath?: string | undefined; rlimitPolicy?: RlimitPolicy } = {},
): PlannedInit {
  const { spec, process } = validated;
  const warnings: string[] = [];
  const caps = resolveCapabilities(process.capabilities, host.availableCapabilities);
  if (caps.unavailable.length > 0) warnings.push(`ignoring capabilities this host cannot grant: ${caps.unavailable.join(', ')}`);
  const rlimits = planRlimits(process.rlimits, host.hardLimit, host.canRaiseRlimits, options.rlimitPolicy ?? 'clamp');
  warnings.push(...rlimits.warnings);
  const hex = (v: bigint) => v.toString();
  const seccomp = compileSeccomp(spec.linux?.seccomp, warnings);
  const config: InitConfig = {
    namespaces: validated.namespaces.filter((n) => n.type !== 'pid').map((n) => ({ type: n.type, path: n.path })),
    rootfs: {
      bundle,
      rootfs: resolve(bundle, spec.root!.path),
      rootfsMount: validated.rootfsMount,
      mounts: validated.mounts,
      readonly: spec.root?.readonly === true,
      rootfsPropagation: spec.linux?.rootfsPropagation,
      maskedPaths: spec.linux?.maskedPaths ?? [],
      readonlyPaths: spec.linux?.readonlyPaths ?? [],
      devices: spec.linux?.devices ?? [],
      consolePath: options.consolePath,
      hostname: spec.hostname,
      domainname: spec.domainname,
      sysctl: spec.linux?.sysctl,
    },
    process: {
      args: process.args ?? [],
      env: process.env ?? [],
      cwd: process.cwd,
      terminal: process.terminal === true,
    },
    identity: {
      user: process.user,
      capabilities: {
        bounding: hex(caps.masks.bounding),
        effective: hex(caps.masks.effective),
        inheritable: hex(caps.masks.inheritable),
        permitted: hex(caps.masks.permitted),
        ambient: hex(caps.masks.ambient),
      },
      rlimits: rlimits.limits.map((r) => ({ type: r.type, resource: r.resource, soft: r.soft.toString(), hard: r.hard.toString() })),
      noNewPrivileges: process.noNewPrivileges === true,
      oomScoreAdj: process.oomScoreAdj,
      lastCap: host.lastCap,
    },
    seccomp,
    execFifo,
  };
  return { config, warnings };
}

/** Compile linux.seccomp in the parent (the init only loads the program). */
export function compileSeccomp(profile: Record<string, unknown> | undefined, warnings: string[] = []): { program: string; flags: number } | undefined {
  if (profile === undefined) return undefined;
  const compiled = compileSeccompProfile(profile as unknown as SeccompProfile);
  if (compiled.unknownSyscalls.length > 0) warnings.push(`seccomp: syscalls unknown on this architecture skipped: ${compiled.unknownSyscalls.slice(0, 10).join(', ')}`);
  return { program: compiled.program.toString('base64'), flags: compiled.flags };
}
