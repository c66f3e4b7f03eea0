/**
 * What `create` (two-process init) and the one-process `run` do once the container exists and waits to start: its
 * runc-shaped state record, the caller's pid file, and the pty master handed over a console socket.
 */
import { closeSync, writeFileSync } from 'node:fs';
import type { Syscalls } from '@c/namespaces';
import { sendFd } from '../console/send-fd';
import type { LoadedBundle } from './load-bundle';
import { procStat } from './state';
import type { ContainerRecord, StateStore } from './state';

export interface CreatedFacts {
  id: string;
  pid: number;
  loaded: LoadedBundle;
  cgroupsPath: string;
  store: StateStore;
  sys: Syscalls;
  pidFile?: string | undefined;
  consoleSocket?: string | undefined;
  ptyMaster?: number | undefined;
}

/** Writes the state and the pid file, and sends the pty master to a console socket (then it is no longer ours). */
export function publishCreated(facts: CreatedFacts): { record: ContainerRecord; ptyMaster: number | undefined } {
  const { bundle, rootfs, validated } = facts.loaded;
  const spec = validated.spec;
  const record: ContainerRecord = {
    ociVersion: spec.ociVersion,
    id: facts.id,
    pid: facts.pid,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: '',
    annotations: spec.annotations ?? {},
    initStartTime: procStat(facts.pid)?.startTime ?? '',
    cgroupsPath: facts.cgroupsPath,
    process: validated.process,
    seccomp: spec.linux?.seccomp,
    namespaces: validated.namespaces.map((n) => n.type),
  };
  facts.store.write(record);
  if (facts.pidFile !== undefined) writeFileSync(facts.pidFile, String(facts.pid));
  let ptyMaster = facts.ptyMaster;
  if (ptyMaster !== undefined && facts.consoleSocket !== undefined) {
    sendFd(facts.consoleSocket, ptyMaster, '/dev/ptmx', facts.sys);
    closeSync(ptyMaster);
    ptyMaster = undefined;
  }
  return { record, ptyMaster };
}
