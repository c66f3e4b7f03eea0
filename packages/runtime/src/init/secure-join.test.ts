import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secureJoin } from './secure-join';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'c-runtime-join-'));
  mkdirSync(join(root, 'real/dir'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('secureJoin', () => {
  it('stops .. at the root', () => {
    expect(secureJoin(root, '/../../etc/passwd')).toBe(`${root}/etc/passwd`);
  });

  it('resolves absolute and relative symlinks inside the root', () => {
    symlinkSync('/real', join(root, 'abs'));
    symlinkSync('../../..', join(root, 'real/dir/up'));
    expect(secureJoin(root, '/abs/dir')).toBe(`${root}/real/dir`);
    expect(secureJoin(root, '/real/dir/up/etc')).toBe(`${root}/etc`);
  });

  it('refuses a symlink loop', () => {
    symlinkSync('/loop', join(root, 'loop'));
    expect(() => secureJoin(root, '/loop/x')).toThrow(/too many symlinks/);
  });
});
