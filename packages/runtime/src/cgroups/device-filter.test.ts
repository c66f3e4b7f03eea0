import { RecordingSyscalls } from '@c/namespaces';
import { describe, expect, test } from 'vitest';
import { compileDeviceFilter, encodeEbpf, runDeviceFilter } from './device-filter';
import type { LinuxDeviceCgroup } from './types';

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

  test('the recording fake sees load then attach', async () => {
    const { attachDeviceFilter } = await import('./device-filter');
    const sys = new RecordingSyscalls();
    const fd = attachDeviceFilter(sys, '/', RUNC_DEFAULT);
    expect(sys.names()).toEqual(['bpfProgLoad', 'bpfProgAttach']);
    expect(sys.callsOf('bpfProgAttach')[0]?.[1]).toBe(fd);
  });
});
