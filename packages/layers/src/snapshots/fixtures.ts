/**
 * Test images: layers built with tar-stream (and our encoder where tar-stream cannot write binary PAX
 * values), an in-memory blob map for unpackImage, and an OCI layout on disk for umoci.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Descriptor } from '@c/image';
import { END_OF_ARCHIVE, encodeHeader } from '../archive/tar-writer';
import type { TarEntry } from '../archive/tar-format';
import { type TestEntry, buildTar } from '../archive/testing';

export interface TestImage {
  layers: Descriptor[];
  diffIds: string[];
  blobs: Map<string, Buffer>;
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Turns uncompressed layer tars into an image (gzip layers). */
export function imageOf(tars: Buffer[]): TestImage {
  const blobs = new Map<string, Buffer>();
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const tar of tars) {
    const gz = gzipSync(tar);
    const digest = sha256(gz);
    blobs.set(digest, gz);
    layers.push({ mediaType: GZIP_LAYER, digest, size: gz.length });
    diffIds.push(sha256(tar));
  }
  return { layers, diffIds, blobs };
}

/** A busybox-like layer: the static busybox with a symlink per applet, passwd and group. */
export async function busyboxLayer(): Promise<Buffer> {
  const applets = execFileSync('/bin/busybox', ['--list']).toString().trim().split('\n').filter((name) => name && name !== 'busybox');
  const entries: TestEntry[] = [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755 },
    ...applets.map((name) => ({ name: `bin/${name}`, type: 'symlink' as const, linkname: 'busybox' })),
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' },
    { name: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'home/', type: 'directory', uid: 65534, gid: 65534 },
  ];
  return buildTar(entries);
}

const raw = (fields: Partial<TarEntry> & { name: string }): TarEntry => ({
  type: 'file', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '', ...fields,
});

/** Three layers exercising deletions, opaque dirs, hard links, symlinks, devices, ownership and xattrs. */
export async function richLayers(): Promise<Buffer[]> {
  const first = await buildTar([
    { name: 'usr/', type: 'directory' },
    { name: 'usr/bin/', type: 'directory' },
    { name: 'usr/bin/tool', content: 'tool v1', mode: 0o755 },
    { name: 'usr/bin/tool-alias', type: 'link', linkname: 'usr/bin/tool' },
    { name: 'usr/bin/suid', content: 'setuid', mode: 0o4755 },
    { name: 'usr/bin/sgid', content: 'setgid', mode: 0o2711, gid: 42 },
    { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/config', content: 'a=1', pax: { 'SCHILY.xattr.user.origin': 'layer1' } },
    { name: 'etc/delete-me', content: 'bye' },
    { name: 'etc/old-dir/', type: 'directory' },
    { name: 'etc/old-dir/inner', content: 'x' },
    { name: 'opaque/', type: 'directory', mode: 0o750, uid: 7, gid: 8 },
    { name: 'opaque/lower-file', content: 'lower' },
    { name: 'opaque/lower-dir/', type: 'directory' },
    { name: 'opaque/lower-dir/f', content: 'lower' },
    { name: 'home/', type: 'directory' },
    { name: 'home/user/', type: 'directory', uid: 1000, gid: 1000, mode: 0o700 },
    { name: 'home/user/.profile', content: 'export A=1', uid: 1000, gid: 1000 },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'dev/', type: 'directory' },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
    { name: 'run/', type: 'directory' },
    { name: 'run/ctl', type: 'fifo', mode: 0o620 },
    { name: 'replace-me/', type: 'directory' },
    { name: 'replace-me/child', content: 'c' },
    { name: `deep/${'long-directory-name/'.repeat(8)}file-with-a-long-name`, content: 'long path' },
  ]);
  // tar-stream writes PAX values as UTF-8 text; a binary capability needs our encoder.
  const capability = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const second = Buffer.concat([
    (await buildTar([
      { name: 'etc/.wh.delete-me' },
      { name: 'etc/.wh.old-dir' },
      { name: 'opaque/', type: 'directory', mode: 0o755 },
      { name: 'opaque/.wh..wh..opq' },
      { name: 'opaque/upper-file', content: 'upper' },
      { name: 'usr/bin/tool', content: 'tool v2', mode: 0o755 },
      { name: 'usr/bin/tool2', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'replace-me', type: 'symlink', linkname: '/etc/config' },
      { name: 'etc/config', type: 'symlink', linkname: 'config.d/main' },
      { name: 'etc/config.d/', type: 'directory' },
      { name: 'etc/config.d/main', content: 'a=2' },
    ])).subarray(0, -1024),
    encodeHeader(raw({ name: 'usr/bin/ping', size: 0, xattrs: new Map([['security.capability', capability], ['user.bin', Buffer.from([0, 1, 2, 0xff])]]) })),
    END_OF_ARCHIVE,
  ]);
  const third = await buildTar([
    { name: 'etc/delete-me', content: 'back again' },
    { name: 'etc/', type: 'directory', mode: 0o711 },
    { name: 'usr/bin/.wh.suid' },
    { name: 'opaque/lower-dir/', type: 'directory' },
    { name: 'home/user/.wh..profile' },
    { name: 'home/user/notes', content: 'n', uid: 1000, gid: 1000, mode: 0o600 },
  ]);
  return [first, second, third];
}

/**
 * `tar` with `entries` appended, among them incompressible bulk files whose size makes the gzip layer large enough
 * for unpackImage to extract it on a worker thread (WORKER_APPLY_FROM).
 */
export async function withEntries(tar: Buffer, entries: TestEntry[]): Promise<Buffer> {
  return Buffer.concat([tar.subarray(0, -1024), await buildTar(entries)]);
}

/** An incompressible file entry of `bytes` bytes. */
export const bulkFile = (name: string, bytes: number): TestEntry => ({ name, content: randomBytes(bytes) });

/**
 * richLayers, each made large enough for a worker (see withEntries), and a fourth layer that writes below
 * directories only the lower layers define (implicit directories) and hard-links to a lower layer's file.
 */
export async function largeRichLayers(bulkBytes: number): Promise<Buffer[]> {
  const [first, second, third] = await richLayers();
  return [
    await withEntries(first!, [bulkFile('bulk/one', bulkBytes)]),
    await withEntries(second!, [bulkFile('bulk/two', bulkBytes)]),
    await withEntries(third!, [bulkFile('bulk/three', bulkBytes), { name: 'home/user/deeper/notes', content: 'implicit parents', uid: 1000, gid: 1000 }]),
    await buildTar([bulkFile('usr/lib/bulk', bulkBytes), { name: 'usr/bin/linked-later', type: 'link', linkname: 'usr/bin/tool' }]),
  ];
}

/** Writes an OCI image layout umoci can unpack, tagged `latest`. */
export function writeOciLayout(dir: string, image: TestImage): void {
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  const put = (data: Buffer | string) => {
    const digest = sha256(data);
    writeFileSync(`${dir}/blobs/sha256/${digest.slice(7)}`, data);
    return { digest, size: Buffer.byteLength(data) };
  };
  for (const [digest, blob] of image.blobs) writeFileSync(`${dir}/blobs/sha256/${digest.slice(7)}`, blob);
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: image.diffIds },
  });
  const configDescriptor = { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) };
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDescriptor, layers: image.layers });
  const manifestDescriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...put(manifest), annotations: { 'org.opencontainers.image.ref.name': 'latest' } };
  writeFileSync(`${dir}/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [manifestDescriptor] }));
  writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}
