/**
 * A new container's record and the files it owns next to it (the bundle, /etc/hostname, /etc/hosts,
 * /etc/resolv.conf, which the spec bind-mounts into the container).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount, SnapshotDriver } from '@c/layers';
import { parseBinds } from './binds';
import { commandOf } from './config';
import type { ContainerConfig, ContainerRecord, HostConfig } from './types';

/** docker's zero time, for StartedAt/FinishedAt of a container that never ran. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** Writes the container's hostname, hosts and resolv.conf (a copy of the host's) into its directory. */
export function writeEtcFiles(dir: string, hostname: string): EtcFiles {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  writeFileSync(files.hostname, `${hostname}\n`);
  writeFileSync(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  if (existsSync('/etc/resolv.conf')) copyFileSync('/etc/resolv.conf', files.resolvConf);
  else writeFileSync(files.resolvConf, '');
  return files;
}

/** The bundle directory with an empty rootfs mount point; the rootfs itself is the snapshot's mount. */
export function makeBundleDir(dir: string): string {
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true, mode: 0o700 });
  return bundle;
}

export function graphDriverData(mounts: readonly Mount[]): Record<string, string> {
  const root = mounts[0];
  if (root === undefined) return {};
  if (root.type !== 'overlay') return { Source: root.source };
  const option = (name: string) => root.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? '';
  return { LowerDir: option('lowerdir'), UpperDir: option('upperdir'), WorkDir: option('workdir') };
}

export interface NewRecordInputs {
  id: string;
  name: string;
  created: Date;
  imageId: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  dir: string;
  files: EtcFiles;
  driver: SnapshotDriver;
  mounts: readonly Mount[];
  snapshotKey: string;
  parentChainId: string | undefined;
}

export function newRecord(inputs: NewRecordInputs): ContainerRecord {
  const { id, config, hostConfig, files } = inputs;
  const { path, args } = commandOf(config);
  const record: ContainerRecord = {
    Id: id,
    Name: inputs.name,
    Created: inputs.created.toISOString(),
    Path: path,
    Args: args,
    State: {
      Status: 'created',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 0,
      Error: '',
      StartedAt: ZERO_TIME,
      FinishedAt: ZERO_TIME,
    },
    Image: inputs.imageId,
    ResolvConfPath: files.resolvConf,
    HostnamePath: files.hostname,
    HostsPath: files.hosts,
    LogPath: join(inputs.dir, `${id}-json.log`),
    RestartCount: 0,
    Driver: inputs.driver,
    Platform: 'linux',
    Config: config,
    HostConfig: hostConfig,
    Mounts: parseBinds(hostConfig.Binds ?? []),
    GraphDriver: { Name: inputs.driver, Data: graphDriverData(inputs.mounts) },
    C: { snapshotKey: inputs.snapshotKey, manuallyStopped: false, ...(inputs.parentChainId !== undefined ? { parentChainId: inputs.parentChainId } : {}) },
  };
  if (config.Healthcheck?.Test && config.Healthcheck.Test[0] !== 'NONE') {
    record.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
  }
  return record;
}
