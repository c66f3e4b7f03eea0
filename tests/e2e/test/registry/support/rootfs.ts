/**
 * Root filesystem tarballs for tests: a busybox image from Debian's busybox-static (/bin/busybox plus a
 * symlink per applet, /etc/passwd and /etc/group), and a large incompressible one for resume tests.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';
export const haveBusybox = existsSync(BUSYBOX);

/** Deterministic tar of a directory (sorted, fixed mtime, root owner), like the anchors' images. */
export function tarDirectory(dir: string, out: string): void {
  execFileSync('tar', [
    '--sort=name', '--mtime=@1704067200', '--owner=0', '--group=0', '--numeric-owner',
    '-C', dir, '-cf', out, '.',
  ]);
}

/** Writes busybox.tar into `dir` and returns its path. */
export function buildBusyboxTar(dir: string): string {
  const rootfs = mkdtempSync(join(tmpdir(), 'c-e2e-rootfs-'));
  try {
    mkdirSync(join(rootfs, 'bin'));
    mkdirSync(join(rootfs, 'etc'));
    copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    const out = join(dir, 'busybox.tar');
    tarDirectory(rootfs, out);
    return out;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** A tarball holding one file of `bytes` random bytes (gzip cannot shrink it). */
export function buildRandomTar(dir: string, name: string, bytes: number): string {
  const rootfs = mkdtempSync(join(tmpdir(), 'c-e2e-rootfs-'));
  try {
    writeFileSync(join(rootfs, 'random.bin'), randomBytes(bytes));
    const out = join(dir, name);
    tarDirectory(rootfs, out);
    return out;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}
