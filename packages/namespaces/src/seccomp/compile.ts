import { CError } from '@c/errors';
import { archTable, type ArchTable } from '../arch/index';
import { SECCOMP } from '../constants';
import { errnoNumber } from '../errno';
import { BPF, BpfAssembler, encodeProgram, type BpfInstruction, type Target } from './bpf';

/** An OCI runtime-spec `linux.seccomp` object (the subset c compiles). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  syscalls?: SeccompRule[];
}

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface SeccompArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface CompiledSeccomp {
  /** The BPF program, ready for `Syscalls.seccompSetFilter`. */
  program: Buffer;
  instructions: BpfInstruction[];
  /** SECCOMP_FILTER_FLAG_* from the profile's `flags`. */
  flags: number;
  /** Names the profile lists that this architecture does not have (skipped, as runc does). */
  unknownSyscalls: string[];
}

/** The most instructions the kernel accepts in one filter (BPF_MAXINSNS). */
const MAX_INSTRUCTIONS = 4096;
/** x32 syscalls carry this bit and report AUDIT_ARCH_X86_64: without a check they bypass the rules. */
const X32_SYSCALL_BIT = 0x40000000;
/** struct seccomp_data offsets. */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const argLow = (index: number) => 16 + index * 8;
const argHigh = (index: number) => 16 + index * 8 + 4;

function invalid(message: string, hint: string): CError {
  return new CError('INVALID_ARGUMENT', message, { hint });
}

/** SCMP_ACT_* → the filter's 32-bit return value. */
export function seccompAction(action: string, errnoRet?: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return SECCOMP.RET_ALLOW;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP.RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP.RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP.RET_TRAP;
    case 'SCMP_ACT_LOG':
      return SECCOMP.RET_LOG;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP.RET_ERRNO | ((errnoRet ?? errnoNumber('EPERM') ?? 1) & SECCOMP.RET_DATA_MASK)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP.RET_TRACE | ((errnoRet ?? errnoNumber('EPERM') ?? 1) & SECCOMP.RET_DATA_MASK)) >>> 0;
    case 'SCMP_ACT_NOTIFY':
      throw new CError('UNSUPPORTED', 'seccomp action SCMP_ACT_NOTIFY is not supported by c', {
        hint: 'use SCMP_ACT_ERRNO or SCMP_ACT_LOG instead',
      });
    default:
      throw invalid(`unknown seccomp action ${JSON.stringify(action)}`, 'use one of the SCMP_ACT_* names of the OCI spec');
  }
}

function filterFlags(flags: readonly string[] = []): number {
  let value = 0;
  for (const flag of flags) {
    if (flag === 'SECCOMP_FILTER_FLAG_TSYNC') value |= SECCOMP.FILTER_FLAG_TSYNC;
    else if (flag === 'SECCOMP_FILTER_FLAG_LOG') value |= SECCOMP.FILTER_FLAG_LOG;
    else if (flag === 'SECCOMP_FILTER_FLAG_SPEC_ALLOW') value |= SECCOMP.FILTER_FLAG_SPEC_ALLOW;
    else throw invalid(`unknown seccomp flag ${JSON.stringify(flag)}`, 'use SECCOMP_FILTER_FLAG_TSYNC, _LOG or _SPEC_ALLOW');
  }
  return value;
}

function split64(value: number | bigint, what: string): { high: number; low: number } {
  let big: bigint;
  try {
    big = BigInt(value);
  } catch {
    throw invalid(`seccomp ${what} ${String(value)} is not an integer`, 'use an unsigned 64-bit integer');
  }
  big = BigInt.asUintN(64, big);
  return { high: Number(big >> 32n), low: Number(big & 0xffffffffn) };
}

/** Emits the checks of one argument condition: falls through when it holds, jumps to `fail` otherwise. */
function emitArgCheck(asm: BpfAssembler, arg: SeccompArg, fail: Target): void {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw invalid(`seccomp argument index ${arg.index} is out of range 0-5`, 'syscalls have at most 6 arguments');
  }
  const v = split64(arg.value, 'value');
  const pass = asm.newLabel('pass');
  const lowHalf = asm.newLabel('low');
  const hi = argHigh(arg.index);
  const lo = argLow(arg.index);
  const next: Target = 'next';
  const toPass: Target = { label: pass };
  const toLow: Target = { label: lowHalf };
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      asm.load(hi);
      asm.jump(BPF.JEQ_K, v.high, next, fail);
      asm.load(lo);
      asm.jump(BPF.JEQ_K, v.low, toPass, fail);
      break;
    case 'SCMP_CMP_NE':
      asm.load(hi);
      asm.jump(BPF.JEQ_K, v.high, next, toPass);
      asm.load(lo);
      asm.jump(BPF.JEQ_K, v.low, fail, toPass);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      asm.load(hi);
      asm.jump(BPF.JGT_K, v.high, toPass, next);
      asm.jump(BPF.JEQ_K, v.high, toLow, fail);
      asm.place(lowHalf);
      asm.load(lo);
      asm.jump(arg.op === 'SCMP_CMP_GT' ? BPF.JGT_K : BPF.JGE_K, v.low, toPass, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      asm.load(hi);
      asm.jump(BPF.JGE_K, v.high, next, toPass);
      asm.jump(BPF.JEQ_K, v.high, toLow, fail);
      asm.place(lowHalf);
      asm.load(lo);
      // LT: fail when low >= v; LE: fail when low > v.
      asm.jump(arg.op === 'SCMP_CMP_LT' ? BPF.JGE_K : BPF.JGT_K, v.low, fail, toPass);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      const want = split64(arg.valueTwo ?? 0, 'valueTwo');
      asm.load(hi);
      asm.and(v.high);
      asm.jump(BPF.JEQ_K, want.high, next, fail);
      asm.load(lo);
      asm.and(v.low);
      asm.jump(BPF.JEQ_K, want.low, toPass, fail);
      break;
    }
    default:
      throw invalid(`unknown seccomp operator ${JSON.stringify(arg.op)}`, 'use one of the SCMP_CMP_* names of the OCI spec');
  }
  asm.place(pass);
}

interface SyscallPlan {
  /** The action of the first unconditional rule, which overrides every conditional one. */
  unconditional: number | undefined;
  /** Conditional rules in profile order; the first whose arguments match wins. */
  conditional: Array<{ action: number; args: SeccompArg[] }>;
}

/**
 * Groups the rules by syscall number with the precedence runc + libseccomp give them: rules whose action equals
 * the default are dropped (runc skips them); for each syscall the first unconditional rule wins over everything
 * else (libseccomp keeps the first one and drops conditional chains when an unconditional rule arrives);
 * otherwise conditional rules apply in order. A rule comparing the same argument twice is split into one rule per
 * comparison, as runc does (libseccomp allows one comparison per argument). Insertion order is kept.
 */
function planRules(
  rules: readonly SeccompRule[],
  defaultAction: number,
  syscalls: Readonly<Record<string, number>>,
  unknown: Set<string> | undefined,
): Map<number, SyscallPlan> {
  const plans = new Map<number, SyscallPlan>();
  for (const rule of rules) {
    const action = seccompAction(rule.action, rule.errnoRet);
    if (action === defaultAction) continue;
    const args = rule.args ?? [];
    const indexes = args.map((a) => a.index);
    const variants = new Set(indexes).size === indexes.length ? [args] : args.map((a) => [a]);
    for (const name of rule.names) {
      const nr = syscalls[name];
      if (nr === undefined) {
        unknown?.add(name);
        continue;
      }
      let plan = plans.get(nr);
      if (!plan) {
        plan = { unconditional: undefined, conditional: [] };
        plans.set(nr, plan);
      }
      if (plan.unconditional !== undefined) continue;
      if (args.length === 0) {
        plan.unconditional = action;
        plan.conditional = [];
      } else {
        for (const variant of variants) plan.conditional.push({ action, args: variant });
      }
    }
  }
  return plans;
}

/**
 * Compiles an OCI seccomp profile to a BPF program for one architecture (the running one by default).
 * Layout: dispatch on `arch` to one section per ABI (the native one, plus i386 on x86_64 when the profile lists
 * SCMP_ARCH_X86; other architectures and x32 syscalls are killed); in each section, per syscall either one
 * compare-and-return (unconditional rule) or one block per conditional rule (compare the number, check the
 * arguments, return the action); otherwise the default action. Rule precedence follows runc + libseccomp: see
 * `planRules`.
 */
export function compileSeccompProfile(profile: SeccompProfile, arch: ArchTable = archTable()): CompiledSeccomp {
  const defaultAction = seccompAction(profile.defaultAction, profile.defaultErrnoRet);
  const flags = filterFlags(profile.flags);
  if (profile.architectures && profile.architectures.length > 0 && !profile.architectures.includes(arch.scmpArch)) {
    throw invalid(
      `seccomp profile lists architectures ${profile.architectures.join(', ')} but not ${arch.scmpArch}`,
      `add ${arch.scmpArch} to the profile's architectures`,
    );
  }
  // Which ABIs get rules: the native one always, compat ones (i386 on x86_64) when the profile lists them.
  const compat = arch.compat.filter((c) => profile.architectures?.includes(c.scmpArch));
  const asm = new BpfAssembler();
  const sections = [{ auditArch: arch.auditArch, syscalls: arch.syscalls, label: 'native', native: true }].concat(
    compat.map((c, i) => ({ auditArch: c.auditArch, syscalls: c.syscalls, label: `compat-${i}`, native: false })),
  );
  // Dispatch on seccomp_data.arch: compat ABIs jump to their sections (BPF_JA's 32-bit offset reaches them);
  // the native section follows directly; anything else is killed.
  asm.load(OFFSET_ARCH);
  for (const section of sections.filter((x) => !x.native)) {
    const notThis = asm.newLabel('not-arch');
    asm.jump(BPF.JEQ_K, section.auditArch, 'next', { label: notThis });
    asm.goto(section.label);
    asm.place(notThis);
  }
  asm.jump(BPF.JEQ_K, arch.auditArch, { label: 'native' }, 'next');
  asm.ret(SECCOMP.RET_KILL_PROCESS);

  const unknown = new Set<string>();
  for (const section of sections) {
    asm.place(section.label);
    asm.load(OFFSET_NR);
    if (section.native && arch.name === 'x86_64') {
      // x32 syscalls report AUDIT_ARCH_X86_64 with this bit set: without the check they would bypass the rules.
      const native = asm.newLabel('not-x32');
      asm.jump(BPF.JGE_K, X32_SYSCALL_BIT, 'next', { label: native });
      asm.ret(SECCOMP.RET_KILL_PROCESS);
      asm.place(native);
    }
    const plans = planRules(profile.syscalls ?? [], defaultAction, section.syscalls, section.native ? unknown : undefined);
    for (const [nr, plan] of plans) {
      if (plan.unconditional !== undefined) {
        const next = asm.newLabel('next-syscall');
        asm.jump(BPF.JEQ_K, nr, 'next', { label: next });
        asm.ret(plan.unconditional);
        asm.place(next);
        continue;
      }
      for (const rule of plan.conditional) {
        const nextRule = asm.newLabel('next-rule');
        const toNext: Target = { label: nextRule };
        asm.jump(BPF.JEQ_K, nr, 'next', toNext);
        for (const arg of rule.args) emitArgCheck(asm, arg, toNext);
        asm.ret(rule.action);
        asm.place(nextRule);
        // Argument checks clobber the accumulator: reload the number for the next comparison.
        asm.load(OFFSET_NR);
      }
    }
    asm.ret(defaultAction);
  }

  const instructions = asm.assemble();
  if (instructions.length > MAX_INSTRUCTIONS) {
    throw new CError('LIMIT_EXCEEDED', `seccomp profile compiles to ${instructions.length} BPF instructions (max ${MAX_INSTRUCTIONS})`, {
      hint: 'merge rules or drop rules whose action equals the default',
    });
  }
  return { program: encodeProgram(instructions), instructions, flags, unknownSyscalls: [...unknown].sort() };
}
