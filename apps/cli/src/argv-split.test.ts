import { describe, expect, it } from 'vitest';
import { splitContainerCommand } from './argv-split';

describe('splitting the container command from c run flags', () => {
  it('passes what follows the image after --', () => {
    expect(splitContainerCommand(['run', '--rm', '-e', 'A=1', 'busybox', 'ls', '-l'])).toEqual(['run', '--rm', '-e', 'A=1', 'busybox', '--', 'ls', '-l']);
    expect(splitContainerCommand(['--root', '/r', 'exec', '-it', 'web', 'sh', '-c', 'x'])).toEqual(['--root', '/r', 'exec', '-it', 'web', '--', 'sh', '-c', 'x']);
    expect(splitContainerCommand(['container', 'run', '--name=x', 'img', '-v'])).toEqual(['container', 'run', '--name=x', 'img', '--', '-v']);
  });
  it('passes what follows the container of top as ps options (docker top CONTAINER [ps OPTIONS])', () => {
    expect(splitContainerCommand(['top', 'web', '-o', 'pid,comm'])).toEqual(['top', 'web', '--', '-o', 'pid,comm']);
    expect(splitContainerCommand(['container', 'top', 'web', 'aux'])).toEqual(['container', 'top', 'web', '--', 'aux']);
  });
  it('leaves other commands and bare runs alone', () => {
    expect(splitContainerCommand(['images', '-q'])).toEqual(['images', '-q']);
    expect(splitContainerCommand(['run', '-d', 'busybox'])).toEqual(['run', '-d', 'busybox']);
    expect(splitContainerCommand(['ps', '--filter', 'name=run'])).toEqual(['ps', '--filter', 'name=run']);
  });
});
