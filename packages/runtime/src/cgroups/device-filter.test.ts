import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, RecordingSyscalls, linuxSyscalls } from '@c/namespaces';
import { afterEach, describe, expect, test } from 'vitest';
import { detectCgroupLayout } from './detect';
import { attachDeviceFilter, compileDeviceFilter, encodeEbpf, replaceDeviceFilter, runDeviceFilter } from './device-filter';
import { attachedDevicePrograms, bpfProgFds, isPrivileged, uniqueName } from './test-helpers';
import type { LinuxDeviceCgroup } from './types';

const v2Root = detectCgroupLayout().v2;
const canRunReal = isPrivileged() && v2Root !== undefined && existsSync(join(v2Root, 'cgroup.procs'));

const RUNC_DEFAULT: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }, // /dev/zero, read only
  { allow: true, type: 'c', major: 136, access: 'rw' }, // /dev/pts/*
  { allow: true, type: 'b', major: 8, minor: 0, access: 'm' },
];

describe('compileDeviceFilter', () => {
  const program = compileDeviceFilter(RUNC_DEFAULT);
  const check = (type: 'b' | 'c', major: number, minor: number, access: string) => runDeviceFilter(program, { type, major, minor, access });

  test('deny-all plus an allow list', () => {
    expect(check('c', 1, 3, 'rw')).toBe(1);
    expect(check('c', 1, 3, 'm')).toBe(1);
    expect(check('c', 1, 5, 'r')).toBe(1);
    expect(check('c', 1, 5, 'w')).toBe(0);
    expect(check('c', 1, 5, 'rw')).toBe(0);
    expect(check('c', 136, 7, 'rw')).toBe(1);
    expect(check('c', 136, 7, 'm')).toBe(0);
    expect(check('b', 8, 0, 'm')).toBe(1);
    expect(check('b', 8, 0, 'r')).toBe(0);
    expect(check('c', 1, 8, 'r')).toBe(0);
    expect(check('b', 1, 3, 'r')).toBe(0);
  });

  test('the last matching rule decides; no match allows (v1 semantics)', () => {
    const p = compileDeviceFilter([{ allow: true }, { allow: false, type: 'c', major: 1, minor: 5, access: 'w' }]);
    expect(runDeviceFilter(p, { type: 'c', major: 1, minor: 5, access: 'r' })).toBe(1);
    expect(runDeviceFilter(p, { type: 'c', major: 1, minor: 5, access: 'w' })).toBe(0);
    expect(runDeviceFilter(compileDeviceFilter([]), { type: 'b', major: 8, minor: 1, access: 'rwm' })).toBe(1);
  });

  test('encodes struct bpf_insn and refuses bad rules', () => {
    const bytes = encodeEbpf(program);
    expect(bytes.length).toBe(program.length * 8);
    // First instruction: r2 = *(u32 *)(r1 + 0): opcode 0x61, dst 2, src 1.
    expect([...bytes.subarray(0, 8)]).toEqual([0x61, 0x12, 0, 0, 0, 0, 0, 0]);
    // Ends with the deny-all rule (r0 = 0; exit): nothing after it, as the verifier refuses unreachable code.
    expect(program.at(-2)).toEqual({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 });
    expect(bytes[bytes.length - 8]).toBe(0x95);
    expect(() => compileDeviceFilter([{ allow: true, type: 'x' }])).toThrow(/type "x"/);
    expect(() => compileDeviceFilter([{ allow: true, access: 'rx' }])).toThrow(/"x"/);
  });

});

describe('attaching and replacing (recording fake)', () => {
  test('attach loads, attaches with ALLOW_MULTI, and closes the program fd (the cgroup keeps its own reference)', () => {
    const sys = new RecordingSyscalls();
    attachDeviceFilter(sys, '/', RUNC_DEFAULT);
    expect(sys.names()).toEqual(['bpfProgLoad', 'bpfProgAttach', 'close']);
    const [, progFd, attachType, flags] = sys.callsOf('bpfProgAttach')[0] ?? [];
    expect([attachType, flags]).toEqual([BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI]);
    expect(sys.callsOf('close')).toEqual([[progFd]]);
  });

  test('a failed attach still closes the program fd', () => {
    const sys = new RecordingSyscalls().failOn('bpfProgAttach', 'EPERM');
    expect(() => attachDeviceFilter(sys, '/', RUNC_DEFAULT)).toThrow(/BPF_PROG_ATTACH.*EPERM/);
    expect(sys.names()).toEqual(['bpfProgLoad', 'bpfProgAttach', 'close']);
  });

  test('replace asks the kernel what is attached, attaches the new program, then detaches the old ones', () => {
    const sys = new RecordingSyscalls().respond('bpfProgQuery', () => [41, 42]).respond('bpfProgGetFdById', (id) => 1000 + id);
    replaceDeviceFilter(sys, '/', RUNC_DEFAULT);
    expect(sys.names()).toEqual([
      'bpfProgQuery',
      'bpfProgGetFdById',
      'bpfProgGetFdById',
      'bpfProgLoad',
      'bpfProgAttach',
      'close',
      'bpfProgDetach',
      'bpfProgDetach',
      'close',
      'close',
    ]);
    const dirFd = sys.callsOf('bpfProgQuery')[0]?.[0];
    expect(sys.callsOf('bpfProgQuery')).toEqual([[dirFd, BPF_CGROUP_DEVICE]]);
    expect(sys.callsOf('bpfProgGetFdById')).toEqual([[41], [42]]);
    const newFd = sys.callsOf('bpfProgAttach')[0]?.[1];
    expect(sys.callsOf('bpfProgDetach')).toEqual([
      [dirFd, 1041, BPF_CGROUP_DEVICE],
      [dirFd, 1042, BPF_CGROUP_DEVICE],
    ]);
    // Every fd it got is closed: the new program's right after attaching, the old ones' after detaching.
    expect(sys.callsOf('close')).toEqual([[newFd], [1041], [1042]]);
  });

  test('replace on a cgroup without programs only attaches', () => {
    const sys = new RecordingSyscalls();
    replaceDeviceFilter(sys, '/', RUNC_DEFAULT);
    expect(sys.names()).toEqual(['bpfProgQuery', 'bpfProgLoad', 'bpfProgAttach', 'close']);
  });

  test('a program detached meanwhile (ENOENT) is skipped; a refused attach keeps the old rules and closes every fd', () => {
    const gone = new RecordingSyscalls()
      .respond('bpfProgQuery', () => [7, 8])
      .failOn('bpfProgGetFdById', 'ENOENT', { when: ([id]) => id === 7 });
    replaceDeviceFilter(gone, '/', RUNC_DEFAULT);
    expect(gone.callsOf('bpfProgDetach')).toHaveLength(1);

    const refused = new RecordingSyscalls().respond('bpfProgQuery', () => [9]).failOn('bpfProgAttach', 'EPERM');
    expect(() => replaceDeviceFilter(refused, '/', RUNC_DEFAULT)).toThrow(/EPERM/);
    expect(refused.callsOf('bpfProgDetach')).toEqual([]);
    expect(refused.callsOf('close')).toHaveLength(2);
  });
});

describe.skipIf(!canRunReal)('on the real kernel (root and a cgroup2 mount; skipped otherwise)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) if (existsSync(dir)) rmdirSync(dir);
  });

  test('the verifier accepts the programs; replace leaves exactly one program on the cgroup and no fd', () => {
    const dir = join(v2Root ?? '', uniqueName('c-test-devfilter'));
    mkdirSync(dir);
    dirs.push(dir);
    const fdsBefore = bpfProgFds();
    attachDeviceFilter(linuxSyscalls, dir, RUNC_DEFAULT);
    attachDeviceFilter(linuxSyscalls, dir, [{ allow: true }]);
    const stacked = attachedDevicePrograms(dir);
    expect(stacked).toHaveLength(2);
    replaceDeviceFilter(linuxSyscalls, dir, RUNC_DEFAULT);
    const replaced = attachedDevicePrograms(dir);
    expect(replaced).toHaveLength(1);
    expect(stacked).not.toContain(replaced[0]);
    expect(bpfProgFds()).toBe(fdsBefore);
    // An id that names no program: ENOENT, which replace skips.
    expect(() => linuxSyscalls.bpfProgGetFdById(0x7fffffff)).toThrow(/BPF_PROG_GET_FD_BY_ID, id 2147483647\) failed: ENOENT/);
  });
});
