import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lookPath } from './lookpath';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-runtime-path-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a/tool'), 'not executable');
  writeFileSync(join(dir, 'b/tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'b/tool'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('lookPath', () => {
  it('skips non-executable matches like execvp', () => {
    expect(lookPath('tool', [`PATH=${dir}/a:${dir}/b`], '/')).toBe(`${dir}/b/tool`);
  });

  it('reports a missing command the way runc does, with exit code 127', () => {
    try {
      lookPath('nope', [`PATH=${dir}/a`], '/');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('exec: "nope": executable file not found in $PATH');
      expect((error as { details: { exitCode: number } }).details.exitCode).toBe(127);
    }
  });

  it('resolves paths with a slash against cwd without searching PATH', () => {
    expect(lookPath('./tool', [], `${dir}/b`)).toBe(`${dir}/b/./tool`);
    expect(() => lookPath(`${dir}/a/tool`, [], '/')).toThrow(/permission denied/);
  });
});
