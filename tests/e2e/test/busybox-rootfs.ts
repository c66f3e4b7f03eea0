/** The busybox root file systems the e2e suites import: the host's static busybox, applet links, passwd and group. */
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes a busybox root at `rootfs` with these applets linked in /bin. */
export function writeBusyboxRootfs(rootfs: string, applets: readonly string[]): void {
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\n');
}

/** Writes `dir`/rootfs and packs it as `dir`/busybox.tar (numeric owners); returns the tar's path. */
export function busyboxTar(dir: string, applets: readonly string[]): string {
  const rootfs = join(dir, 'rootfs');
  writeBusyboxRootfs(rootfs, applets);
  const tar = join(dir, 'busybox.tar');
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
  return tar;
}
