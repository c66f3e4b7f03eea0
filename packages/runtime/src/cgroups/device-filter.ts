import { closeSync, openSync, constants as fsConstants } from 'node:fs';
import { CError } from '@c/errors';
import { BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE, isSyscallError, type Syscalls } from '@c/namespaces';
import type { LinuxDeviceCgroup } from './types';

/**
 * cgroup v2 has no devices.allow/deny files: device access is decided by an eBPF program of type
 * CGROUP_DEVICE attached to the cgroup. This module compiles OCI device rules into such a program, with the
 * v1 semantics (rules apply in order, the last matching one decides, no match = allowed as the parent allows).
 */

/** One eBPF instruction (struct bpf_insn). */
export interface EbpfInstruction {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const OP = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  ALU32_AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  ALU32_RSH_K: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  ALU64_MOV_K: 0xb7, // BPF_ALU64 | BPF_MOV | BPF_K
  ALU64_MOV_X: 0xbf, // BPF_ALU64 | BPF_MOV | BPF_X
  JMP_JNE_K: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JMP_EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

/** struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor. */
const CTX_ACCESS_TYPE = 0;
const CTX_MAJOR = 4;
const CTX_MINOR = 8;
const DEV_TYPE = { b: 1, c: 2 } as const;
const ACCESS = { m: 1, r: 2, w: 4 } as const;

function accessMask(access: string): number {
  let mask = 0;
  for (const ch of access) {
    const bit = ACCESS[ch as keyof typeof ACCESS];
    if (bit === undefined) {
      throw new CError('INVALID_ARGUMENT', `device rule access ${JSON.stringify(access)} has ${JSON.stringify(ch)}`, {
        hint: 'access is made of r, w and m',
      });
    }
    mask |= bit;
  }
  return mask;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): EbpfInstruction => ({ code, dst, src, off, imm });

/**
 * The program: load type (r2), access (r3), major (r4), minor (r5); then one block per rule from the last to
 * the first, each returning allow (1) or deny (0) when it matches; falling through every block allows.
 */
export function compileDeviceFilter(rules: readonly LinuxDeviceCgroup[]): EbpfInstruction[] {
  const program: EbpfInstruction[] = [
    insn(OP.LDX_MEM_W, 2, 1, CTX_ACCESS_TYPE, 0),
    insn(OP.ALU32_AND_K, 2, 0, 0, 0xffff),
    insn(OP.LDX_MEM_W, 3, 1, CTX_ACCESS_TYPE, 0),
    insn(OP.ALU32_RSH_K, 3, 0, 0, 16),
    insn(OP.LDX_MEM_W, 4, 1, CTX_MAJOR, 0),
    insn(OP.LDX_MEM_W, 5, 1, CTX_MINOR, 0),
  ];
  for (const rule of [...rules].reverse()) {
    const type = rule.type ?? 'a';
    if (type !== 'a' && type !== 'b' && type !== 'c') {
      throw new CError('INVALID_ARGUMENT', `device rule type ${JSON.stringify(type)} is not a, b or c`, {
        hint: "use 'a' (all), 'b' (block) or 'c' (char)",
      });
    }
    const access = accessMask(rule.access ?? 'rwm');
    // Each check jumps past the rest of this block (to the next rule) when it fails.
    const checks: Array<(skip: number) => EbpfInstruction[]> = [];
    if (type !== 'a') checks.push((skip) => [insn(OP.JMP_JNE_K, 2, 0, skip, DEV_TYPE[type])]);
    if (access !== 0b111) {
      // The request must be a subset of the rule's access: (requested & ~rule) == 0.
      checks.push((skip) => [insn(OP.ALU64_MOV_X, 1, 3, 0, 0), insn(OP.ALU32_AND_K, 1, 0, 0, ~access & 0b111), insn(OP.JMP_JNE_K, 1, 0, skip, 0)]);
    }
    if (type !== 'a' && rule.major !== undefined && rule.major >= 0) checks.push((skip) => [insn(OP.JMP_JNE_K, 4, 0, skip, rule.major ?? 0)]);
    if (type !== 'a' && rule.minor !== undefined && rule.minor >= 0) checks.push((skip) => [insn(OP.JMP_JNE_K, 5, 0, skip, rule.minor ?? 0)]);
    const verdict = [insn(OP.ALU64_MOV_K, 0, 0, 0, rule.allow ? 1 : 0), insn(OP.JMP_EXIT, 0, 0, 0, 0)];
    // Build back to front so each check knows how many instructions follow it in the block.
    let block = verdict;
    // Each check ends in its jump, so it skips exactly the instructions after it: the block built so far.
    for (const check of [...checks].reverse()) block = [...check(block.length), ...block];
    program.push(...block);
    // A rule without checks matches everything: what follows would be unreachable, which the verifier refuses.
    if (checks.length === 0) return program;
  }
  program.push(insn(OP.ALU64_MOV_K, 0, 0, 0, 1), insn(OP.JMP_EXIT, 0, 0, 0, 0));
  return program;
}

export function encodeEbpf(program: readonly EbpfInstruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((i, n) => {
    buf.writeUInt8(i.code, n * 8);
    buf.writeUInt8(((i.src & 0xf) << 4) | (i.dst & 0xf), n * 8 + 1);
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm | 0, n * 8 + 4);
  });
  return buf;
}

/** Runs the program over one access (for tests): 1 = allowed, 0 = denied. */
export function runDeviceFilter(program: readonly EbpfInstruction[], access: { type: 'b' | 'c'; major: number; minor: number; access: string }): number {
  const ctx = [((accessMask(access.access) << 16) | DEV_TYPE[access.type]) >>> 0, access.major >>> 0, access.minor >>> 0];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc < program.length; pc++) {
    const i = program[pc];
    if (!i) break;
    switch (i.code) {
      case OP.LDX_MEM_W:
        r[i.dst] = ctx[i.off / 4] ?? 0;
        break;
      case OP.ALU32_AND_K:
        r[i.dst] = ((r[i.dst] ?? 0) & i.imm) >>> 0;
        break;
      case OP.ALU32_RSH_K:
        r[i.dst] = (r[i.dst] ?? 0) >>> i.imm;
        break;
      case OP.ALU64_MOV_K:
        r[i.dst] = i.imm;
        break;
      case OP.ALU64_MOV_X:
        r[i.dst] = r[i.src] ?? 0;
        break;
      case OP.JMP_JNE_K:
        if ((r[i.dst] ?? 0) !== i.imm >>> 0) pc += i.off;
        break;
      case OP.JMP_EXIT:
        return r[0] ?? 0;
      default:
        throw new Error(`unsupported eBPF opcode 0x${i.code.toString(16)}`);
    }
  }
  throw new Error('eBPF program fell off its end');
}

/**
 * Loads the program and attaches it to the open cgroup directory `dirFd` (BPF_F_ALLOW_MULTI, so the parent's
 * programs keep applying too), then closes the program fd: the cgroup holds its own reference, and an fd kept
 * by the object that applied the rules leaked whenever another object destroyed the cgroup.
 */
function attachProgram(sys: Syscalls, dirFd: number, rules: readonly LinuxDeviceCgroup[]): void {
  const progFd = sys.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, encodeEbpf(compileDeviceFilter(rules)), {
    expectedAttachType: BPF_CGROUP_DEVICE,
  });
  try {
    sys.bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
  } finally {
    sys.close(progFd);
  }
}

function withDir<T>(cgroupDir: string, fn: (dirFd: number) => T): T {
  const dirFd = openSync(cgroupDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    return fn(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Adds a device program for `rules` to the cgroup directory (beside any attached already). Keeps no fd. */
export function attachDeviceFilter(sys: Syscalls, cgroupDir: string, rules: readonly LinuxDeviceCgroup[]): void {
  withDir(cgroupDir, (dirFd) => attachProgram(sys, dirFd, rules));
}

/**
 * Replaces the device programs attached to the cgroup directory itself by one for `rules`. The kernel says what
 * is attached (BPF_PROG_QUERY, then an fd per id), so any object bound to the path can replace the rules, not
 * only the one that applied them. The new program is attached before the old ones are detached: no access goes
 * unfiltered in between. Only the directory's own attachments are queried (not inherited ones: no
 * BPF_F_QUERY_EFFECTIVE); on a container's cgroup, which c created, those are c's.
 */
export function replaceDeviceFilter(sys: Syscalls, cgroupDir: string, rules: readonly LinuxDeviceCgroup[]): void {
  withDir(cgroupDir, (dirFd) => {
    const previous: number[] = [];
    try {
      for (const id of sys.bpfProgQuery(dirFd, BPF_CGROUP_DEVICE)) {
        // ENOENT: detached and freed since the query (a concurrent replace); nothing left to detach.
        const fd = ignoreGone(() => sys.bpfProgGetFdById(id));
        if (fd !== undefined) previous.push(fd);
      }
      attachProgram(sys, dirFd, rules);
      for (const fd of previous) ignoreGone(() => sys.bpfProgDetach(dirFd, fd, BPF_CGROUP_DEVICE));
    } finally {
      for (const fd of previous) sys.close(fd);
    }
  });
}

function ignoreGone<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (isSyscallError(error, 'ENOENT')) return undefined;
    throw error;
  }
}
