/** Classic BPF as seccomp uses it: the instruction encoding and a tiny assembler with labels. */

export const BPF = {
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JGT_K: 0x25, // BPF_JMP | BPF_JGT | BPF_K
  JGE_K: 0x35, // BPF_JMP | BPF_JGE | BPF_K
  JA: 0x05, // BPF_JMP | BPF_JA
  AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RET_K: 0x06, // BPF_RET | BPF_K
} as const;

/** One `struct sock_filter`. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Where a conditional jump goes: the next instruction, or a label. */
export type Target = 'next' | { label: string };

interface Pending {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
  /** For BPF_JA: the label whose distance becomes `k` (32 bits, so it reaches anywhere). */
  kLabel?: string;
}

/** Builds a program whose jumps name labels; `assemble` resolves them to the 8-bit relative offsets BPF needs. */
export class BpfAssembler {
  private readonly code: Pending[] = [];
  private readonly labels = new Map<string, number>();
  private counter = 0;

  /** A fresh label name. */
  newLabel(prefix: string): string {
    return `${prefix}#${this.counter++}`;
  }

  /** Binds `label` to the next emitted instruction. */
  place(label: string): void {
    this.labels.set(label, this.code.length);
  }

  load(offset: number): void {
    this.code.push({ code: BPF.LD_W_ABS, k: offset, jt: 'next', jf: 'next' });
  }

  and(mask: number): void {
    this.code.push({ code: BPF.AND_K, k: mask >>> 0, jt: 'next', jf: 'next' });
  }

  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.code.push({ code, k: k >>> 0, jt, jf });
  }

  /** Unconditional jump (BPF_JA): its offset is 32 bits, unlike the 8-bit conditional ones. */
  goto(label: string): void {
    this.code.push({ code: BPF.JA, k: 0, jt: 'next', jf: 'next', kLabel: label });
  }

  ret(value: number): void {
    this.code.push({ code: BPF.RET_K, k: value >>> 0, jt: 'next', jf: 'next' });
  }

  assemble(): BpfInstruction[] {
    return this.code.map((insn, index) => ({
      code: insn.code,
      k: insn.kLabel === undefined ? insn.k : this.distance(index, insn.kLabel),
      jt: this.offset(index, insn.jt),
      jf: this.offset(index, insn.jf),
    }));
  }

  private distance(from: number, label: string): number {
    const to = this.labels.get(label);
    if (to === undefined || to <= from) throw new Error(`BPF label ${label} is not placed after instruction ${from}`);
    return to - from - 1;
  }

  private offset(from: number, target: Target): number {
    if (target === 'next') return 0;
    const to = this.labels.get(target.label);
    if (to === undefined) throw new Error(`BPF label ${target.label} was never placed`);
    const delta = to - from - 1;
    if (delta < 0 || delta > 255) throw new Error(`BPF jump to ${target.label} spans ${delta} instructions (0-255 allowed)`);
    return delta;
  }
}

/** The bytes the kernel expects: 8 bytes per instruction, little-endian (x86_64 and arm64). */
export function encodeProgram(program: readonly BpfInstruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

export function decodeProgram(bytes: Uint8Array): BpfInstruction[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const program: BpfInstruction[] = [];
  for (let at = 0; at + 8 <= buf.length; at += 8) {
    program.push({ code: buf.readUInt16LE(at), jt: buf.readUInt8(at + 2), jf: buf.readUInt8(at + 3), k: buf.readUInt32LE(at + 4) });
  }
  return program;
}

/** The input a seccomp filter sees (struct seccomp_data). */
export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  args?: readonly bigint[];
}

/**
 * Runs a seccomp BPF program over `data` and returns the filter's verdict (SECCOMP_RET_* | data). Covers the
 * instructions `compileSeccompProfile` emits; used to check compiled profiles without loading them.
 */
export function runSeccompProgram(program: readonly BpfInstruction[], data: SeccompData): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(data.nr, 0);
  mem.writeUInt32LE(data.arch >>> 0, 4);
  mem.writeBigUInt64LE(data.instructionPointer ?? 0n, 8);
  (data.args ?? []).slice(0, 6).forEach((arg, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, arg), 16 + i * 8));
  let acc = 0;
  for (let pc = 0, steps = 0; pc < program.length && steps < 100_000; pc++, steps++) {
    const insn = program[pc];
    if (!insn) break;
    switch (insn.code) {
      case BPF.LD_W_ABS:
        acc = mem.readUInt32LE(insn.k);
        break;
      case BPF.AND_K:
        acc = (acc & insn.k) >>> 0;
        break;
      case BPF.JA:
        pc += insn.k;
        break;
      case BPF.JEQ_K:
        pc += acc === insn.k ? insn.jt : insn.jf;
        break;
      case BPF.JGT_K:
        pc += acc > insn.k ? insn.jt : insn.jf;
        break;
      case BPF.JGE_K:
        pc += acc >= insn.k ? insn.jt : insn.jf;
        break;
      case BPF.RET_K:
        return insn.k >>> 0;
      default:
        throw new Error(`unsupported BPF opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('BPF program fell off its end without returning');
}
