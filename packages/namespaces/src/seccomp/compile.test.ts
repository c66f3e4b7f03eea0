import { describe, expect, test } from 'vitest';
import { ARM64, X86_64 } from '../arch/index';
import { SECCOMP } from '../constants';
import { BPF, decodeProgram, runSeccompProgram } from './bpf';
import { compileSeccompProfile, seccompAction, type SeccompProfile } from './compile';

const ERRNO_EPERM = (SECCOMP.RET_ERRNO | 1) >>> 0;
const x86 = (nr: number, args: bigint[] = []) => ({ nr, arch: X86_64.auditArch, args });

describe('compileSeccompProfile', () => {
  test('a names-only profile compiles to the expected instructions', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['getpid', 'mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    const { instructions, program } = compileSeccompProfile(profile, X86_64);
    expect(instructions).toEqual([
      { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 4 },
      { code: BPF.JEQ_K, jt: 1, jf: 0, k: 0xc000003e },
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP.RET_KILL_PROCESS },
      { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 0 },
      { code: BPF.JGE_K, jt: 0, jf: 1, k: 0x40000000 },
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP.RET_KILL_PROCESS },
      { code: BPF.JEQ_K, jt: 0, jf: 1, k: 39 },
      { code: BPF.RET_K, jt: 0, jf: 0, k: ERRNO_EPERM },
      { code: BPF.JEQ_K, jt: 0, jf: 1, k: 165 },
      { code: BPF.RET_K, jt: 0, jf: 0, k: ERRNO_EPERM },
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP.RET_ALLOW },
    ]);
    expect(program.length).toBe(instructions.length * 8);
    expect(decodeProgram(program)).toEqual(instructions);
    // First instruction in kernel byte order: code 0x0020, jt 0, jf 0, k 4.
    expect([...program.subarray(0, 8)]).toEqual([0x20, 0, 0, 0, 4, 0, 0, 0]);
  });

  test('the compiled program gives each syscall its action', () => {
    const { instructions } = compileSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 38,
        syscalls: [
          { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
          { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
        ],
      },
      X86_64,
    );
    expect(runSeccompProgram(instructions, x86(0))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(1))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(231))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(169))).toBe(SECCOMP.RET_KILL_PROCESS);
    expect(runSeccompProgram(instructions, x86(39))).toBe((SECCOMP.RET_ERRNO | 38) >>> 0);
  });

  test('foreign architectures and x32 syscall numbers are killed', () => {
    const { instructions } = compileSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW' }, X86_64);
    expect(runSeccompProgram(instructions, x86(39))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, { nr: 39, arch: 0x40000003 })).toBe(SECCOMP.RET_KILL_PROCESS);
    expect(runSeccompProgram(instructions, x86(0x40000000 + 39))).toBe(SECCOMP.RET_KILL_PROCESS);
  });

  test('arm64 uses its own numbers and audit arch', () => {
    const { instructions } = compileSeccompProfile(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }] },
      ARM64,
    );
    const arm = (nr: number) => ({ nr, arch: ARM64.auditArch });
    expect(runSeccompProgram(instructions, arm(172))).toBe(ERRNO_EPERM);
    expect(runSeccompProgram(instructions, arm(39))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(172))).toBe(SECCOMP.RET_KILL_PROCESS);
  });

  test('argument conditions compare all 64 bits', () => {
    const rule = (op: string, value: bigint, valueTwo?: bigint) =>
      compileSeccompProfile(
        {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op, value, ...(valueTwo === undefined ? {} : { valueTwo }) }] }],
        },
        X86_64,
      ).instructions;
    const verdict = (insns: ReturnType<typeof rule>, arg: bigint) => runSeccompProgram(insns, x86(135, [arg]));
    const big = 0x1_0000_0005n;
    const cases: Array<[string, bigint, bigint[], bigint[]]> = [
      // op, value, args that match (→ ERRNO), args that do not (→ ALLOW)
      ['SCMP_CMP_EQ', big, [big], [5n, big + 1n, 0x2_0000_0005n]],
      ['SCMP_CMP_NE', big, [5n, big + 1n], [big]],
      ['SCMP_CMP_GT', big, [big + 1n, 0x2_0000_0000n], [big, 5n, 0x1_0000_0000n]],
      ['SCMP_CMP_GE', big, [big, big + 1n, 0x2_0000_0000n], [big - 1n, 5n]],
      ['SCMP_CMP_LT', big, [big - 1n, 5n, 0n], [big, big + 1n, 0x2_0000_0000n]],
      ['SCMP_CMP_LE', big, [big, 5n], [big + 1n, 0x2_0000_0000n]],
    ];
    for (const [op, value, hits, misses] of cases) {
      const insns = rule(op, value);
      for (const arg of hits) expect(verdict(insns, arg), `${op} ${value} vs ${arg}`).toBe(ERRNO_EPERM);
      for (const arg of misses) expect(verdict(insns, arg), `${op} ${value} vs ${arg}`).toBe(SECCOMP.RET_ALLOW);
    }
    const masked = rule('SCMP_CMP_MASKED_EQ', 0xff00_0000_00ffn, 0x1200_0000_0034n);
    expect(verdict(masked, 0x12ab_cdef_9934n)).toBe(ERRNO_EPERM);
    expect(verdict(masked, 0x13ab_cdef_9934n)).toBe(SECCOMP.RET_ALLOW);
  });

  test('a rule with several conditions needs all of them; later rules still run after a miss', () => {
    const { instructions } = compileSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          {
            names: ['socket'],
            action: 'SCMP_ACT_ALLOW',
            args: [
              { index: 0, op: 'SCMP_CMP_EQ', value: 1 },
              { index: 1, op: 'SCMP_CMP_EQ', value: 2 },
            ],
          },
          { names: ['socket'], action: 'SCMP_ACT_LOG', args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 10 }] },
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        ],
      },
      X86_64,
    );
    expect(runSeccompProgram(instructions, x86(41, [1n, 2n]))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(41, [1n, 3n]))).toBe(ERRNO_EPERM);
    expect(runSeccompProgram(instructions, x86(41, [10n, 3n]))).toBe(SECCOMP.RET_LOG);
    expect(runSeccompProgram(instructions, x86(0, [10n, 3n]))).toBe(SECCOMP.RET_ALLOW);
  });

  test('unknown syscall names are skipped and reported; rules equal to the default are dropped', () => {
    const compiled = compileSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG'],
        syscalls: [
          { names: ['getpid', 'no_such_call'], action: 'SCMP_ACT_ERRNO' },
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        ],
      },
      X86_64,
    );
    expect(compiled.unknownSyscalls).toEqual(['no_such_call']);
    expect(compiled.flags).toBe(SECCOMP.FILTER_FLAG_TSYNC | SECCOMP.FILTER_FLAG_LOG);
    expect(compiled.instructions.filter((i) => i.code === BPF.JEQ_K && i.k === 0)).toEqual([]);
  });

  test('invalid profiles fail with the offending value named', () => {
    expect(() => compileSeccompProfile({ defaultAction: 'SCMP_ACT_NOPE' }, X86_64)).toThrow(/SCMP_ACT_NOPE/);
    expect(() => compileSeccompProfile({ defaultAction: 'SCMP_ACT_NOTIFY' }, X86_64)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() =>
      compileSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AARCH64'] }, X86_64),
    ).toThrow(/SCMP_ARCH_X86_64/);
    expect(() =>
      compileSeccompProfile(
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 6, op: 'SCMP_CMP_EQ', value: 0 }] }] },
        X86_64,
      ),
    ).toThrow(/index 6/);
    expect(() =>
      compileSeccompProfile(
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 0, op: 'SCMP_CMP_XX', value: 0 }] }] },
        X86_64,
      ),
    ).toThrow(/SCMP_CMP_XX/);
  });

  test('a profile the size of Docker’s default (about 350 names) fits the kernel limit', () => {
    const names = Object.keys(X86_64.syscalls).slice(0, 350);
    const compiled = compileSeccompProfile(
      { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] },
      X86_64,
    );
    expect(compiled.instructions.length).toBe(6 + 2 * 350 + 1);
    for (const name of names) expect(runSeccompProgram(compiled.instructions, x86(X86_64.syscalls[name] ?? -1))).toBe(SECCOMP.RET_ALLOW);
  });

  test('actions map to the kernel return values', () => {
    expect(seccompAction('SCMP_ACT_KILL')).toBe(0);
    expect(seccompAction('SCMP_ACT_KILL_PROCESS')).toBe(0x80000000);
    expect(seccompAction('SCMP_ACT_TRAP')).toBe(0x00030000);
    expect(seccompAction('SCMP_ACT_ERRNO', 13)).toBe(0x0005000d);
    expect(seccompAction('SCMP_ACT_TRACE', 7)).toBe(0x7ff00007);
    expect(seccompAction('SCMP_ACT_LOG')).toBe(0x7ffc0000);
    expect(seccompAction('SCMP_ACT_ALLOW')).toBe(0x7fff0000);
  });
});

describe('compat ABIs', () => {
  const i386 = X86_64.compat[0];
  const x86data = (nr: number) => ({ nr, arch: i386?.auditArch ?? 0 });

  test('i386 syscalls get rules in their own numbering when the profile lists SCMP_ARCH_X86', () => {
    const { instructions } = compileSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['read', 'socketcall', 'arch_prctl'], action: 'SCMP_ACT_ALLOW' }],
      },
      X86_64,
    );
    // i386: read = 3, socketcall = 102 (no such call on x86_64), getpid = 20 not allowed.
    expect(runSeccompProgram(instructions, x86data(3))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86data(102))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86data(20))).toBe(ERRNO_EPERM);
    // x86_64: read = 0 allowed, 3 (close) not.
    expect(runSeccompProgram(instructions, x86(0))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(158))).toBe(SECCOMP.RET_ALLOW);
    expect(runSeccompProgram(instructions, x86(3))).toBe(ERRNO_EPERM);
  });

  test('without SCMP_ARCH_X86 in the profile, i386 syscalls are killed', () => {
    const { instructions } = compileSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW' }, X86_64);
    expect(runSeccompProgram(instructions, x86data(3))).toBe(SECCOMP.RET_KILL_PROCESS);
  });

  test('a long native section does not break the jump to the compat one', () => {
    const names = Object.keys(X86_64.syscalls).slice(0, 350);
    const { instructions } = compileSeccompProfile(
      { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] },
      X86_64,
    );
    expect(instructions.length).toBeGreaterThan(600);
    expect(runSeccompProgram(instructions, x86data(3))).toBe(SECCOMP.RET_ALLOW);
  });
});

describe('rule precedence (as runc + libseccomp apply it)', () => {
  const verdict = (profile: SeccompProfile, nr: number, args: bigint[] = []) =>
    runSeccompProgram(compileSeccompProfile(profile, X86_64).instructions, x86(nr, args));

  test('an unconditional rule overrides conditional ones, whatever their order', () => {
    for (const order of ['conditional-first', 'unconditional-first']) {
      const conditional = { names: ['setns'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, op: 'SCMP_CMP_EQ', value: 0 }] };
      const unconditional = { names: ['setns'], action: 'SCMP_ACT_LOG' };
      const syscalls = order === 'conditional-first' ? [conditional, unconditional] : [unconditional, conditional];
      expect(verdict({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }, 308, [3n, 0n]), order).toBe(SECCOMP.RET_LOG);
    }
  });

  test('the first unconditional rule for a syscall wins', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read', 'setns'], action: 'SCMP_ACT_ALLOW' },
        { names: ['setns'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    };
    expect(verdict(profile, 308)).toBe(SECCOMP.RET_ALLOW);
  });

  test('a rule whose action equals the default is dropped before precedence applies', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['setns'], action: 'SCMP_ACT_ALLOW' },
        { names: ['setns'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, op: 'SCMP_CMP_EQ', value: 0 }] },
      ],
    };
    expect(verdict(profile, 308, [3n, 0n])).toBe(ERRNO_EPERM);
    expect(verdict(profile, 308, [3n, 1n])).toBe(SECCOMP.RET_ALLOW);
  });

  test('two comparisons of the same argument become two rules (either matches)', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['personality'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, op: 'SCMP_CMP_EQ', value: 1 },
            { index: 0, op: 'SCMP_CMP_EQ', value: 2 },
          ],
        },
      ],
    };
    expect(verdict(profile, 135, [1n])).toBe(ERRNO_EPERM);
    expect(verdict(profile, 135, [2n])).toBe(ERRNO_EPERM);
    expect(verdict(profile, 135, [3n])).toBe(SECCOMP.RET_ALLOW);
  });
});
