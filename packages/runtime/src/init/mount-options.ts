import { MS } from '@c/namespaces';

/** A spec mount's `options` split the way mount(2) wants them. */
export interface ParsedMountOptions {
  /** MS_* flags for the mount call itself. */
  flags: number;
  /** Filesystem-specific options ("mode=755,size=64k"), joined with commas. */
  data: string;
  /** MS_PRIVATE/SHARED/SLAVE/UNBINDABLE (with MS_REC for the r* forms), applied in a separate mount call. */
  propagation: number[];
  /** "bind" or "rbind" was given. */
  bind: boolean;
  recursive: boolean;
}

const SET: Readonly<Record<string, number>> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  sync: MS.SYNCHRONOUS,
  remount: MS.REMOUNT,
  mand: MS.MANDLOCK,
  dirsync: MS.DIRSYNC,
  noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME,
  lazytime: MS.LAZYTIME,
  nosymfollow: MS.NOSYMFOLLOW,
};

const CLEAR: Readonly<Record<string, number>> = {
  rw: MS.RDONLY,
  suid: MS.NOSUID,
  dev: MS.NODEV,
  exec: MS.NOEXEC,
  async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK,
  atime: MS.NOATIME,
  diratime: MS.NODIRATIME,
  norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME,
  defaults: 0,
};

const PROPAGATION: Readonly<Record<string, number>> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  let flags = 0;
  const data: string[] = [];
  const propagation: number[] = [];
  let bind = false;
  let recursive = false;
  for (const option of options ?? []) {
    if (option === 'bind' || option === 'rbind') {
      bind = true;
      recursive ||= option === 'rbind';
    } else if (SET[option] !== undefined) {
      flags |= SET[option];
    } else if (CLEAR[option] !== undefined) {
      flags &= ~CLEAR[option];
    } else if (PROPAGATION[option] !== undefined) {
      propagation.push(PROPAGATION[option]);
    } else if (option !== '') {
      data.push(option);
    }
  }
  return { flags, data: data.join(','), propagation, bind, recursive };
}

/** MS_* flags for rootfsPropagation (default rslave, like runc: host mounts still reach the container). */
export function rootfsPropagationFlags(value: string | undefined): number {
  if (value === undefined || value === '') return MS.SLAVE | MS.REC;
  return PROPAGATION[value] ?? MS.SLAVE | MS.REC;
}
