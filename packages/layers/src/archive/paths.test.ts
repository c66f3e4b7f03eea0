import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { RootResolver, entryComponents } from './paths';
import { removeDir, tempDir } from './testing';

describe('entryComponents', () => {
  it('normalises names relative to the root', () => {
    expect(entryComponents('./a/b/')).toEqual(['a', 'b']);
    expect(entryComponents('a//./b')).toEqual(['a', 'b']);
    expect(entryComponents('/etc/passwd')).toEqual(['etc', 'passwd']);
    expect(entryComponents('./')).toEqual([]);
  });

  it.each(['../x', 'a/../../x', 'a/..', '..', '/../etc', 'a/b/../c'])('refuses %s', (name) => {
    try {
      entryComponents(name);
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'UNSAFE_CONTENT')).toBe(true);
      expect((error as Error).message).toContain(name);
    }
  });

  it('refuses NUL bytes and over-long names', () => {
    expect(() => entryComponents('a\0b')).toThrow(/NUL/);
    expect(() => entryComponents('a/'.repeat(3000))).toThrow(/longer than 4096/);
  });
});

describe('RootResolver', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('paths');
  });
  afterEach(() => removeDir(root));

  it('creates missing parents and returns the directory path', () => {
    const resolver = new RootResolver(root);
    expect(resolver.directory(['a', 'b', 'c'], 2, 'a/b/c', true)).toBe(`${root}/a/b`);
    expect(existsSync(`${root}/a/b`)).toBe(true);
    expect(resolver.directory(['x', 'y'], 1, 'x/y', false)).toBeUndefined();
  });

  it('refuses a symlink component, even one pointing inside the root', () => {
    mkdirSync(`${root}/real`);
    symlinkSync('real', `${root}/inside`);
    symlinkSync('/etc', `${root}/outside`);
    const resolver = new RootResolver(root);
    expect(() => resolver.directory(['outside', 'passwd'], 1, 'outside/passwd', true)).toThrow(/symlink "outside"/);
    expect(() => resolver.directory(['inside', 'f'], 1, 'inside/f', true)).toThrow(/symlink "inside"/);
  });

  it('refuses a file component and re-checks a forgotten directory', () => {
    writeFileSync(`${root}/file`, '');
    const resolver = new RootResolver(root);
    expect(() => resolver.directory(['file', 'x'], 1, 'file/x', true)).toThrow(/not a directory/);
    mkdirSync(`${root}/d`);
    resolver.directory(['d', 'x'], 1, 'd/x', true);
    removeDir(`${root}/d`);
    symlinkSync('/etc', `${root}/d`);
    resolver.forget('d');
    expect(() => resolver.directory(['d', 'x'], 1, 'd/x', true)).toThrow(/symlink "d"/);
  });
});
