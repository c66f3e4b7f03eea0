import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLONE, CLOSE_RANGE, RecordingSyscalls, SIG } from '@c/namespaces';
import { STDIO_FD, enterNamespaces, prepareExec, receiveStdio } from './init-main';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-runtime-ns-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('enterNamespaces', () => {
  it('joins namespaces with a path and creates the others in one unshare, never touching pid', () => {
    const netns = join(dir, 'net');
    writeFileSync(netns, '');
    const sys = new RecordingSyscalls();
    enterNamespaces(sys, [{ type: 'pid' }, { type: 'network', path: netns }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'cgroup' }]);
    expect(sys.names()).toEqual(['setns', 'unshare']);
    expect(sys.callsOf('setns')[0]![1]).toBe(CLONE.NEWNET);
    expect(sys.callsOf('unshare')).toEqual([[CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP]]);
  });
});

describe('prepareExec', () => {
  it('clears CLOEXEC and O_NONBLOCK on stdio, marks everything else CLOEXEC, resets signals and the mask', () => {
    const sys = new RecordingSyscalls();
    prepareExec(sys);
    expect(sys.callsOf('setCloexec')).toEqual([[0, false], [1, false], [2, false]]);
    expect(sys.callsOf('setNonblocking')).toEqual([[0, false], [1, false], [2, false]]);
    expect(sys.callsOf('closeRange')).toEqual([[3, 0xffffffff, CLOSE_RANGE.CLOEXEC]]);
    expect(sys.names().slice(-2)).toEqual(['resetSignalDispositions', 'sigprocmask']);
    expect(sys.callsOf('sigprocmask')).toEqual([[SIG.SETMASK, []]]);
  });

  it('tolerates a closed stdio fd', () => {
    const sys = new RecordingSyscalls().failOn('setCloexec', 'EBADF', { when: (a) => a[0] === 2 });
    expect(() => prepareExec(sys)).not.toThrow();
  });
});

describe('receiveStdio (a pooled init)', () => {
  it('takes the fds from fd 4, dup2s each onto its target, then closes them and fd 4', () => {
    const sys = new RecordingSyscalls().respond('recvFds', { data: Buffer.from('s'), fds: [7, 8], truncated: false });
    receiveStdio(sys, [1, 2]);
    expect(sys.callsOf('recvFds')).toEqual([[STDIO_FD, { maxFds: 2, maxData: 16 }]]);
    expect(sys.callsOf('dup3')).toEqual([[7, 1, 0], [8, 2, 0]]);
    expect(sys.callsOf('close')).toEqual([[7], [8], [STDIO_FD]]);
  });

  it('with nothing to receive only closes fd 4', () => {
    const sys = new RecordingSyscalls();
    receiveStdio(sys, []);
    expect(sys.names()).toEqual(['close']);
  });

  it('fails (and closes what came) when fewer fds arrive than the plan names', () => {
    const sys = new RecordingSyscalls().respond('recvFds', { data: Buffer.from('s'), fds: [7], truncated: false });
    expect(() => receiveStdio(sys, [0, 1])).toThrow(/expected 2 stdio fds/);
    expect(sys.callsOf('close')).toEqual([[7]]);
  });
});
