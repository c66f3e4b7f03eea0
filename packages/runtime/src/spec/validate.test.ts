import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { defaultSpec } from './default-spec';
import type { Spec } from './types';
import { ROOTFS_MOUNT_ANNOTATION, validateSpec } from './validate';

function spec(edit: (s: Spec) => void = () => {}): Spec {
  const s = defaultSpec({ terminal: false, args: ['true'] });
  edit(s);
  return s;
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isCError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('validateSpec', () => {
  it('accepts the default spec and keeps its mounts in order', () => {
    const v = validateSpec(spec());
    expect(v.rootfsMount).toBeUndefined();
    expect(v.mounts.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']);
    expect(v.namespaces.map((n) => n.type)).toContain('mount');
  });

  it('splits off a first mount with destination "/" as the rootfs mount', () => {
    const v = validateSpec(
      spec((s) => {
        s.mounts = [{ destination: '/', type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/b', 'workdir=/c'] }, ...(s.mounts ?? [])];
      }),
    );
    expect(v.rootfsMount?.type).toBe('overlay');
    expect(v.mounts.some((m) => m.destination === '/')).toBe(false);
  });

  it('reads the rootfs mount from the annotation', () => {
    const v = validateSpec(
      spec((s) => {
        s.annotations = { [ROOTFS_MOUNT_ANNOTATION]: JSON.stringify({ type: 'overlay', options: ['lowerdir=/l'] }) };
      }),
    );
    expect(v.rootfsMount).toEqual({ destination: '/', type: 'overlay', source: 'overlay', options: ['lowerdir=/l'] });
  });

  it('rejects a "/" mount that is not first', () => {
    const e = errorOf(() => validateSpec(spec((s) => s.mounts!.push({ destination: '/', type: 'tmpfs' }))));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/first mount/);
  });

  it.each([
    ['no args', (s: Spec) => (s.process!.args = []), /process.args/],
    ['relative cwd', (s: Spec) => (s.process!.cwd = 'tmp'), /process.cwd/],
    ['bad ociVersion', (s: Spec) => (s.ociVersion = '0.9'), /ociVersion/],
    ['no root', (s: Spec) => delete s.root, /root.path/],
    ['unknown capability', (s: Spec) => (s.process!.capabilities!.bounding = ['CAP_FLY']), /unknown capability "CAP_FLY"/],
    ['unknown rlimit', (s: Spec) => (s.process!.rlimits = [{ type: 'RLIMIT_WINGS', soft: 1, hard: 1 }]), /RLIMIT_WINGS/],
    ['relative mount destination', (s: Spec) => s.mounts!.push({ destination: 'data', type: 'tmpfs' }), /absolute/],
    ['.. in mount destination', (s: Spec) => s.mounts!.push({ destination: '/a/../../etc', type: 'tmpfs' }), /\.\./],
    ['duplicate namespace', (s: Spec) => s.linux!.namespaces!.push({ type: 'pid' }), /twice/],
    ['hostname without uts', (s: Spec) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts')), /hostname/],
    ['bad env entry', (s: Spec) => (s.process!.env = ['NOEQUALS']), /KEY=value/],
  ])('rejects %s with INVALID_ARGUMENT', (_name, edit, message) => {
    const e = errorOf(() => validateSpec(spec(edit)));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(message);
  });

  it('refuses user namespaces as UNSUPPORTED and requires a mount namespace', () => {
    expect(errorOf(() => validateSpec(spec((s) => s.linux!.namespaces!.push({ type: 'user' })))).code).toBe('UNSUPPORTED');
    expect(errorOf(() => validateSpec(spec((s) => (s.linux!.namespaces = [{ type: 'pid' }])))).message).toMatch(/mount namespace/);
  });
});
