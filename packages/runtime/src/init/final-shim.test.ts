import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync, readlinkSync, readSync, writeSync } from 'node:fs';
import { MFD, SOCK, linuxSyscalls as sys } from '@c/namespaces';
import { describe, expect, it } from 'vitest';
import { buildFinalShim, finalShimSupported } from './final-shim';
import type { FinalShimPlan } from './final-shim';

const NET_BIND_SERVICE = 10n;
const KILL = 5n;

const plan = (over: Partial<FinalShimPlan> = {}): FinalShimPlan => ({
  cgroupProcsFds: 0,
  cgroupNamespace: true,
  bounding: (1n << NET_BIND_SERVICE) | (1n << KILL),
  effective: 1n << NET_BIND_SERVICE,
  permitted: 1n << NET_BIND_SERVICE,
  inheritable: 1n << NET_BIND_SERVICE,
  ambient: 1n << NET_BIND_SERVICE,
  lastCap: Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')),
  uid: 65534,
  gid: 65534,
  additionalGids: [100],
  noNewPrivileges: true,
  cwd: '/tmp',
  terminal: false,
  args: ['payload-argv0', '-c', 'grep -E "^(Uid|Gid|Groups|CapBnd|CapEff|CapAmb|NoNewPrivs)" /proc/self/status; echo "cwd=$(pwd) argv0=$0 env=$SHIM_ENV"; readlink /proc/self/ns/cgroup; exit 3'],
  env: ['SHIM_ENV=from-plan', 'PATH=/bin:/usr/bin'],
  ...over,
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  acked: boolean;
}

/** Spawn the shim from a memfd with a SEQPACKET socketpair on fd 3 and drive the protocol like run-direct does. */
async function drive(p: FinalShimPlan, executable: string | null): Promise<Outcome> {
  const memfd = sys.memfdCreate('final-shim-test', MFD.CLOEXEC | MFD.ALLOW_SEALING | MFD.EXEC);
  writeSync(memfd, buildFinalShim(p));
  const [parent, child] = sys.socketpair(SOCK.SEQPACKET | SOCK.CLOEXEC);
  try {
    const proc = spawn(`/proc/self/fd/${memfd}`, [], { stdio: ['ignore', 'pipe', 'pipe', child], env: {} });
    closeSync(child);
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    const ack = Buffer.alloc(1);
    const acked = readSync(parent, ack) === 1;
    if (executable !== null) writeSync(parent, Buffer.from(`${executable}\0`));
    closeSync(parent);
    return { code: await exited, stdout, stderr, acked };
  } finally {
    closeSync(memfd);
  }
}

describe.skipIf(!finalShimSupported())('buildFinalShim', () => {
  it('is an x86_64 ELF whose entry point lies inside its one load segment', () => {
    const elf = buildFinalShim(plan());
    expect(elf.readUInt32BE(0)).toBe(0x7f454c46);
    expect(elf.readUInt16LE(18)).toBe(62);
    const entry = Number(elf.readBigUInt64LE(24) - 0x400000n);
    expect(entry).toBeGreaterThan(176);
    expect(entry).toBeLessThan(elf.length);
    expect(Number(elf.readBigUInt64LE(96))).toBe(elf.length);
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/bin/sh'))('does the final steps and execs the payload with the plan\'s identity', async () => {
    const r = await drive(plan(), '/bin/sh');
    expect(r.stderr).toBe('');
    expect(r.acked).toBe(true);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Uid:\s+65534\s+65534\s+65534\s+65534/);
    expect(r.stdout).toMatch(/Gid:\s+65534\s+65534\s+65534\s+65534/);
    expect(r.stdout).toMatch(/Groups:\s+100\s*\n/);
    expect(r.stdout).toMatch(/CapBnd:\s+0000000000000420/);
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000400/); // the ambient capability survives the execve
    expect(r.stdout).toMatch(/CapAmb:\s+0000000000000400/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toContain('cwd=/tmp argv0=payload-argv0 env=from-plan');
    // Its own cgroup namespace, not ours.
    expect(r.stdout).toMatch(/cgroup:\[\d+\]/);
    expect(r.stdout).not.toContain(readlinkSync('/proc/self/ns/cgroup'));
  });

  it('a second process of the same shape reuses the first one\'s code and data: only argv and envp differ', () => {
    const first = buildFinalShim(plan());
    const second = buildFinalShim(plan({ args: ['other-argv0', '-c', 'true'], env: ['A=1'] }));
    const third = buildFinalShim(plan({ uid: 1000 }));
    const entry = Number(first.readBigUInt64LE(24) - 0x400000n);
    expect(second.readBigUInt64LE(24)).toBe(first.readBigUInt64LE(24));
    // The data before the code is the same; the code differs only in argv's and envp's addresses.
    expect(second.subarray(0, 96).equals(first.subarray(0, 96))).toBe(true);
    expect(second.subarray(112, entry).equals(first.subarray(112, entry))).toBe(true);
    let differing = 0;
    for (let i = entry; i < Math.min(first.length, second.length); i++) if (first[i] !== second[i]) differing++;
    expect(differing).toBeGreaterThan(0);
    expect(third.subarray(112, entry).equals(first.subarray(112, entry))).toBe(false); // another shape
    expect(Number(second.readBigUInt64LE(96))).toBe(second.length);
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/bin/sh'))('a process built from a kept shape gets its own argv and environment', async () => {
    buildFinalShim(plan());
    const r = await drive(plan({ args: ['again', '-c', 'echo "$0 env=$SHIM_ENV $1"; exit 4', 'zero', 'one'], env: ['SHIM_ENV=a-much-longer-value-than-before', 'PATH=/bin'] }), '/bin/sh');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('zero env=a-much-longer-value-than-before one\n');
  });

  it.skipIf(process.getuid?.() !== 0)('names the step that failed and exits 1', async () => {
    const r = await drive(plan({ cwd: '/nonexistent-dir' }), '/bin/sh');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('c-runtime init: chdir(/nonexistent-dir) failed\n');
    const noExec = await drive(plan({ cwd: '/' }), '/nonexistent/payload');
    expect(noExec.code).toBe(1);
    expect(noExec.stderr).toBe('c-runtime init: execve failed\n');
  });

  it('exits 1 without running anything when the parent goes away before "go"', async () => {
    const r = await drive(plan({ cgroupNamespace: false }), null);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('c-runtime init: waiting for the executable failed\n');
  });
});
