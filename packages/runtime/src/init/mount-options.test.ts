import { describe, expect, it } from 'vitest';
import { MS } from '@c/namespaces';
import { parseMountOptions, rootfsPropagationFlags } from './mount-options';

describe('parseMountOptions', () => {
  it('splits flags, filesystem data and propagation', () => {
    const p = parseMountOptions(['nosuid', 'ro', 'mode=755', 'size=64k', 'rslave', 'rbind']);
    expect(p.flags).toBe(MS.NOSUID | MS.RDONLY);
    expect(p.data).toBe('mode=755,size=64k');
    expect(p.propagation).toEqual([MS.SLAVE | MS.REC]);
    expect(p).toMatchObject({ bind: true, recursive: true });
  });

  it('lets a later option clear an earlier one', () => {
    expect(parseMountOptions(['ro', 'rw', 'noexec', 'exec']).flags).toBe(0);
  });

  it('defaults rootfs propagation to rslave and honours the spec', () => {
    expect(rootfsPropagationFlags(undefined)).toBe(MS.SLAVE | MS.REC);
    expect(rootfsPropagationFlags('rprivate')).toBe(MS.PRIVATE | MS.REC);
    expect(rootfsPropagationFlags('shared')).toBe(MS.SHARED);
  });
});
