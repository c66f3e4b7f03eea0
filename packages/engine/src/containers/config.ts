/**
 * Merging an image's config with docker-run-like options into the container's Config and HostConfig, the way
 * `docker create` does: options override the image, `--entrypoint` drops the image's Cmd, env entries override
 * by key, labels merge.
 */
import { CError } from '@c/errors';
import type { ContainerConfig as ImageContainerConfig } from '@c/image';
import { parseBinds } from './binds';
import { parseRestartPolicy } from './restart-policy';
import type { ContainerConfig, CreateContainerOptions, HostConfig } from './types';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `KEY=value` lists merged by key, later entries winning, order of first appearance kept. */
export function mergeEnv(...lists: (readonly string[] | undefined)[]): string[] {
  const byKey = new Map<string, string>();
  for (const list of lists) {
    for (const entry of list ?? []) {
      const eq = entry.indexOf('=');
      const key = eq < 0 ? entry : entry.slice(0, eq);
      if (key === '') throw new CError('INVALID_ARGUMENT', `invalid environment variable "${entry}"`, { hint: 'use KEY=value' });
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()];
}

export function mergeConfig(image: ImageContainerConfig | undefined, imageName: string, id: string, options: CreateContainerOptions): ContainerConfig {
  const entrypoint = options.entrypoint !== undefined ? options.entrypoint : (image?.Entrypoint ?? null);
  // docker: a new entrypoint resets the image's Cmd unless a command is given too.
  const cmd = options.cmd !== undefined && options.cmd.length > 0 ? options.cmd : options.entrypoint !== undefined ? null : (image?.Cmd ?? null);
  let env = mergeEnv(image?.Env, options.env);
  if (!env.some((e) => e.startsWith('PATH='))) env = [DEFAULT_PATH, ...env];
  const config: ContainerConfig = {
    Hostname: options.hostname ?? id.slice(0, 12),
    Domainname: options.domainname ?? '',
    User: options.user ?? image?.User ?? '',
    AttachStdin: options.openStdin === true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: options.tty === true,
    OpenStdin: options.openStdin === true,
    StdinOnce: options.openStdin === true && options.stdinOnce === true,
    Env: env,
    Cmd: cmd && cmd.length > 0 ? [...cmd] : null,
    Image: imageName,
    Volumes: image?.Volumes ? { ...image.Volumes } : null,
    WorkingDir: options.workingDir ?? image?.WorkingDir ?? '',
    Entrypoint: entrypoint && entrypoint.length > 0 ? [...entrypoint] : null,
    Labels: { ...(image?.Labels ?? {}), ...(options.labels ?? {}) },
  };
  const exposed = [...Object.keys(image?.ExposedPorts ?? {}), ...(options.exposedPorts ?? []), ...Object.keys(options.portBindings ?? {})];
  // docker: every published port is exposed too.
  if (exposed.length > 0) config.ExposedPorts = Object.fromEntries(exposed.map((k) => [k.includes('/') ? k : `${k}/tcp`, {}]));
  const stopSignal = options.stopSignal ?? image?.StopSignal;
  if (stopSignal !== undefined) config.StopSignal = stopSignal;
  const stopTimeout = options.stopTimeout ?? image?.StopTimeout;
  if (stopTimeout !== undefined) config.StopTimeout = stopTimeout;
  const health = options.healthcheck ?? image?.Healthcheck;
  if (health !== undefined) config.Healthcheck = structuredClone(health);
  if (config.Entrypoint === null && config.Cmd === null) {
    throw new CError('INVALID_ARGUMENT', `no command specified for image ${imageName}`, {
      hint: 'give a command after the image name, or use an image with a CMD or ENTRYPOINT',
    });
  }
  return config;
}

/** `--network` default: docker's bridge when the engine has networking, else an isolated namespace with only lo. */
export function hostConfigOf(options: CreateContainerOptions, defaultNetworkMode = 'none'): HostConfig {
  parseBinds(options.binds ?? []);
  const restart = parseRestartPolicy(options.restartPolicy);
  if (options.autoRemove && restart.Name !== 'no') {
    throw new CError('CONFLICT', 'Conflicting options: --restart and --rm', { hint: 'use either a restart policy or auto-remove' });
  }
  for (const [what, value] of [['memory', options.memory], ['cpus', options.cpus], ['pids limit', options.pidsLimit]] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new CError('INVALID_ARGUMENT', `invalid ${what}: ${value}`, { hint: `give a positive ${what}` });
    }
  }
  if (options.memory !== undefined && options.memory > 0 && options.memory < 6 * 1024 * 1024) {
    throw new CError('INVALID_ARGUMENT', 'Minimum memory limit allowed is 6MB', { hint: 'raise --memory to at least 6m' });
  }
  const logConfig: HostConfig['LogConfig'] = { Type: 'json-file', Config: {} };
  if (options.logMaxSize !== undefined) logConfig.Config['max-size'] = options.logMaxSize;
  if (options.logMaxFile !== undefined) logConfig.Config['max-file'] = options.logMaxFile;
  return {
    Binds: options.binds && options.binds.length > 0 ? [...options.binds] : null,
    LogConfig: logConfig,
    RestartPolicy: restart,
    AutoRemove: options.autoRemove === true,
    CapAdd: options.capAdd && options.capAdd.length > 0 ? [...options.capAdd] : null,
    CapDrop: options.capDrop && options.capDrop.length > 0 ? [...options.capDrop] : null,
    ReadonlyRootfs: options.readOnly === true,
    Memory: options.memory ?? 0,
    NanoCpus: Math.round((options.cpus ?? 0) * 1e9),
    PidsLimit: options.pidsLimit ?? 0,
    NetworkMode: options.networkMode === undefined || options.networkMode === '' || options.networkMode === 'default' ? defaultNetworkMode : options.networkMode,
    Privileged: false,
    PortBindings: structuredClone(options.portBindings ?? {}),
    PublishAllPorts: options.publishAllPorts === true,
    Dns: [...(options.dns ?? [])],
    DnsSearch: [...(options.dnsSearch ?? [])],
    DnsOptions: [...(options.dnsOptions ?? [])],
    ExtraHosts: options.extraHosts && options.extraHosts.length > 0 ? [...options.extraHosts] : null,
  };
}

/** docker's Path and Args: the entrypoint followed by the command, split into the program and its arguments. */
export function commandOf(config: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  return { path: argv[0] ?? '', args: argv.slice(1) };
}
