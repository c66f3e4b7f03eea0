import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { F_SEAL, O, RecordingSyscalls, linuxSyscalls } from '@c/namespaces';
import { describe, expect, it } from 'vitest';
import { createCttyShim, cttyShimElf } from './ctty-shim';

describe('cttyShimElf', () => {
  it('is a static x86_64 executable with a load segment and a non-executable stack', () => {
    const elf = cttyShimElf('x64')!;
    expect(elf.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(elf.readUInt16LE(16)).toBe(2); // ET_EXEC
    expect(elf.readUInt16LE(18)).toBe(62); // EM_X86_64
    expect(elf.readUInt16LE(56)).toBe(2);
    const entry = elf.readBigUInt64LE(24);
    expect(Number(entry - 0x400000n)).toBeLessThan(elf.length);
    expect(elf.readUInt32LE(64)).toBe(1); // PT_LOAD
    expect(Number(elf.readBigUInt64LE(64 + 32))).toBe(elf.length);
    expect(elf.readUInt32LE(120)).toBe(0x6474e551); // PT_GNU_STACK
    expect(elf.readUInt32LE(124)).toBe(6); // RW, not X
  });

  it('has no shim for architectures without hand-written code', () => {
    expect(cttyShimElf('riscv64')).toBeUndefined();
    expect(createCttyShim(new RecordingSyscalls(), 'riscv64')).toBeUndefined();
  });
});

/** Run `args` through the shim with a fresh pty slave on fds 0-2 in a new session; collect what the master reads. */
async function throughShim(args: string[]): Promise<{ output: string; code: number | null }> {
  const sys = linuxSyscalls;
  const shim = createCttyShim(sys)!;
  const pty = sys.openpty();
  const slave = openSync(pty.slavePath, O.RDWR | O.NOCTTY);
  try {
    const child = spawn(`/proc/self/fd/${shim}`, args, { argv0: 'c-runtime-ctty', env: { SHIM_ENV: 'passed' }, stdio: [slave, slave, slave], detached: true });
    closeSync(slave);
    const master = new ReadStream(pty.master);
    let output = '';
    master.on('data', (d: Buffer) => (output += d.toString()));
    // EIO on the master: every slave fd is closed.
    const drained = new Promise<void>((resolve) => master.on('error', () => resolve()).on('close', () => resolve()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await drained;
    master.destroy();
    return { output, code };
  } finally {
    closeSync(shim);
  }
}

describe.skipIf(process.arch !== 'x64' || !existsSync('/bin/sh'))('createCttyShim (real)', () => {
  it('makes fd 0 the controlling terminal and execs the payload with its argv and environment', async () => {
    const r = await throughShim(['/bin/sh', 'payload-argv0', '-c', 'echo "tty_nr=$(cut -d" " -f7 /proc/self/stat) sid=$(cut -d" " -f6 /proc/self/stat) pid=$$ argv0=$0 env=$SHIM_ENV"; exit 7']);
    expect(r.code).toBe(7);
    const m = /tty_nr=(\d+) sid=(\d+) pid=(\d+) argv0=(\S+) env=(\S*)/.exec(r.output);
    expect(m, r.output).not.toBeNull();
    expect(Number(m![1])).not.toBe(0);
    expect(m![2]).toBe(m![3]); // its own session
    expect(m![4]).toBe('payload-argv0');
    expect(m![5]).toBe('passed');
  });

  it('exits 127 when the payload cannot be executed', async () => {
    const r = await throughShim(['/nonexistent/payload', 'x']);
    expect(r.code).toBe(127);
  });

  it('is sealed against writes', () => {
    const fd = createCttyShim(linuxSyscalls)!;
    try {
      expect(linuxSyscalls.getSeals(fd) & F_SEAL.WRITE).toBe(F_SEAL.WRITE);
      expect(fstatSync(fd).size).toBe(cttyShimElf()!.length);
    } finally {
      closeSync(fd);
    }
  });
});
