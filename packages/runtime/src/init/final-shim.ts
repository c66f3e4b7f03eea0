// The last step of a one-process `run` (container/run-direct.ts): a tiny static x86_64 program, generated per
// container, that becomes PID 1 of the new pid namespace *before* the rootfs exists (procfs can only be mounted for
// a pid namespace that has a process), waits while the CLI builds the container around it, then does what is per
// process and so cannot be done for it: cgroup namespace, bounding set, groups/gid/uid, capabilities,
// no_new_privs, cwd, session and controlling terminal, seccomp, execve. Everything it needs is in its data; the
// only input at run time is the executable's path (resolved by the CLI inside the finished rootfs). No toolchain:
// the code is assembled below from a handful of instruction forms. Run from a sealed memfd: /proc/1/exe reaches
// no host file.
//
// Start: it joins the container's cgroup itself (writes "0" to the cgroup.procs files the parent opened for it on
// fds 4, 5, ...), so the migration's RCU wait overlaps the parent's rootfs work instead of blocking it. Then, on
// fd 3 (a SOCK_SEQPACKET socketpair): shim → 1 byte after unsharing the cgroup namespace; parent → the executable's
// path, NUL-terminated ("go"). If the parent goes away, the read returns 0 and the shim exits 1. A failed step
// writes "c-runtime init: <step> failed" to fd 2 and exits 1.

/** What the final step does, decided by the CLI. Masks are bit n = capability n. */
export interface FinalShimPlan {
  /** How many cgroup.procs files are open on fds 4, 5, ...: the program joins them first (writes "0"). */
  cgroupProcsFds: number;
  cgroupNamespace: boolean;
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
  lastCap: number;
  uid: number;
  gid: number;
  additionalGids: readonly number[];
  noNewPrivileges: boolean;
  /** A compiled classic-BPF filter; loaded first (no no_new_privs: needs CAP_SYS_ADMIN) or last before execve. */
  seccomp?: { program: Buffer; flags: number } | undefined;
  cwd: string;
  terminal: boolean;
  args: readonly string[];
  env: readonly string[];
}

const NR = {
  read: 0,
  write: 1,
  close: 3,
  ioctl: 16,
  execve: 59,
  chdir: 80,
  setsid: 112,
  setgroups: 116,
  setresuid: 117,
  setresgid: 119,
  capset: 126,
  prctl: 157,
  exit_group: 231,
  unshare: 272,
  seccomp: 317,
  close_range: 436,
} as const;
const PR_CAPBSET_DROP = 24;
const PR_SET_KEEPCAPS = 8;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_RAISE = 2;
const PR_CAP_AMBIENT_CLEAR_ALL = 4;
const CLONE_NEWCGROUP = 0x02000000;
const TIOCSCTTY = 0x540e;
const SECCOMP_SET_MODE_FILTER = 1;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const SYNC_FD = 3;
const STACK_BUFFER = 8192;

const LOAD = 0x400000n;
const HEADERS = 64 + 2 * 56;

/** Argument registers of the syscall ABI, as the opcode bytes of `movabs reg, imm64`. */
const ARG_REGS = [
  [0x48, 0xbf], // rdi
  [0x48, 0xbe], // rsi
  [0x48, 0xba], // rdx
  [0x49, 0xba], // r10
  [0x49, 0xb8], // r8
  [0x49, 0xb9], // r9
] as const;
const MOV_RAX = [0x48, 0xb8];
const SYSCALL = [0x0f, 0x05];
const TEST_RAX_RAX = [0x48, 0x85, 0xc0];
const CMP_RAX_1 = [0x48, 0x83, 0xf8, 0x01];
const JS = [0x0f, 0x88];
const JLE = [0x0f, 0x8e];
const JNE = [0x0f, 0x85];
const MOV_RSI_RSP = [0x48, 0x89, 0xe6];
const MOV_RDI_RSP = [0x48, 0x89, 0xe7];
const SUB_RSP_IMM32 = [0x48, 0x81, 0xec];

/** An argument: a constant, a data address, the stack buffer (rsp), or the address of argv/envp (patched per process). */
type Arg = number | bigint | { data: number } | 'stack' | { patch: 'argv' | 'envp' };
type Check = 'negative' | 'not-positive' | 'not-one' | 'none';

/** An append-only byte buffer (this runs on every `run`: no per-byte arrays). */
class Bytes {
  private buf = Buffer.alloc(4096);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
  bytes(values: readonly number[] | Uint8Array): void {
    this.room(values.length);
    this.buf.set(values, this.length);
    this.length += values.length;
  }
  u64(value: bigint): void {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), this.length);
    this.length += 8;
  }
  i32(value: number): void {
    this.room(4);
    this.buf.writeInt32LE(value, this.length);
    this.length += 4;
  }
  patchI32(at: number, value: number): void {
    this.buf.writeInt32LE(value, at);
  }
  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.bytes(new Uint8Array(pad));
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

class Data {
  readonly out = new Bytes();
  constructor(private readonly base: bigint) {}
  /** Appends and returns the offset (from the data start). */
  raw(buf: Uint8Array, alignment = 1): number {
    this.out.align(alignment);
    const at = this.out.length;
    this.out.bytes(buf);
    return at;
  }
  cstring(s: string): number {
    return this.raw(Buffer.from(`${s}\0`, 'utf8'));
  }
  u64s(values: readonly bigint[]): number {
    this.out.align(8);
    const at = this.out.length;
    for (const v of values) this.out.u64(v);
    return at;
  }
  address(offset: number): bigint {
    return this.base + BigInt(offset);
  }
}

/**
 * The part of the image that is the same for every process of one shape (the plan without `args` and `env`):
 * ELF headers, data, code, then padding to 8. argv and envp go after it; the code reaches them through two
 * `movabs` immediates at `argvAt`/`envpAt` (offsets in `image`), patched per process.
 */
interface ShimTemplate {
  image: Buffer;
  argvAt: number;
  envpAt: number;
}

/** Templates by shape: a daemon starts many containers of few shapes (its masks, seccomp filter, uid, cwd). */
const templates = new Map<string, ShimTemplate>();
const TEMPLATES_KEPT = 16;

function shapeKey(plan: FinalShimPlan): string {
  const { args: _args, env: _env, seccomp, ...shape } = plan;
  return JSON.stringify(shape, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString(16) : value)) + (seccomp ? `|${seccomp.flags}|${seccomp.program.toString('base64')}` : '');
}

/**
 * Builds the ELF image of the final step for `plan` (x86_64 only; callers check `finalShimSupported`). The code
 * and data that do not depend on the process's argv and environment are generated once per shape and kept.
 */
export function buildFinalShim(plan: FinalShimPlan): Buffer {
  const key = shapeKey(plan);
  let template = templates.get(key);
  if (template === undefined) {
    template = buildTemplate(plan);
    templates.set(key, template);
    if (templates.size > TEMPLATES_KEPT) templates.delete(templates.keys().next().value!);
  }
  return withProcess(template, plan.args, plan.env);
}

/** The template's image followed by argv and envp (strings, then the two NULL-terminated pointer arrays). */
function withProcess(template: ShimTemplate, args: readonly string[], env: readonly string[]): Buffer {
  const base = LOAD + BigInt(template.image.length);
  const data = new Data(base);
  const argStrings = args.map((a) => data.cstring(a));
  const envStrings = env.map((e) => data.cstring(e));
  const argv = data.u64s([...argStrings.map((o) => data.address(o)), 0n]);
  const envp = data.u64s([...envStrings.map((o) => data.address(o)), 0n]);
  const tail = data.out.view();
  const size = template.image.length + tail.length;
  const elf = Buffer.allocUnsafe(size);
  template.image.copy(elf, 0);
  elf.set(tail, template.image.length);
  elf.writeBigUInt64LE(data.address(argv), template.argvAt);
  elf.writeBigUInt64LE(data.address(envp), template.envpAt);
  elf.writeBigUInt64LE(BigInt(size), 96); // p_filesz
  elf.writeBigUInt64LE(BigInt(size), 104); // p_memsz
  return elf;
}

function buildTemplate(plan: FinalShimPlan): ShimTemplate {
  const dataBase = LOAD + BigInt(HEADERS);
  const data = new Data(dataBase);
  const code = new Bytes();
  const failures: { patchAt: number; message: number; length: number }[] = [];
  const patches: Partial<Record<'argv' | 'envp', number>> = {};
  const addr = (offset: number) => data.address(offset);
  const movabs = (reg: readonly number[], value: bigint) => {
    code.bytes(reg);
    code.u64(value);
  };

  const call = (nr: number, args: readonly Arg[], step: string, check: Check = 'negative') => {
    args.forEach((arg, i) => {
      if (arg === 'stack') code.bytes(i === 0 ? MOV_RDI_RSP : MOV_RSI_RSP);
      else if (typeof arg === 'object' && 'patch' in arg) {
        movabs(ARG_REGS[i]!, 0n);
        patches[arg.patch] = code.length - 8; // the immediate, written per process
      } else movabs(ARG_REGS[i]!, typeof arg === 'object' ? addr(arg.data) : BigInt(arg));
    });
    movabs(MOV_RAX, BigInt(nr));
    code.bytes(SYSCALL);
    if (check === 'none') return;
    if (check === 'not-one') code.bytes([...CMP_RAX_1, ...JNE]);
    else code.bytes([...TEST_RAX_RAX, ...(check === 'negative' ? JS : JLE)]);
    const message = Buffer.from(`c-runtime init: ${step} failed\n`);
    failures.push({ patchAt: code.length, message: data.raw(message), length: message.length });
    code.i32(0);
  };

  // Data the calls point at (the path buffer is the stack: the image is read-only).
  const cwd = data.cstring(plan.cwd);
  const groups = data.raw(new Uint8Array(new Uint32Array(plan.additionalGids).buffer), 4);
  const capHeader = data.raw(new Uint8Array(new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]).buffer), 4);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const capData = data.raw(
    new Uint8Array(new Uint32Array([lo(plan.effective), lo(plan.permitted), lo(plan.inheritable), hi(plan.effective), hi(plan.permitted), hi(plan.inheritable)]).buffer),
    4,
  );
  let fprog: number | undefined;
  if (plan.seccomp) {
    const filter = data.raw(plan.seccomp.program, 8);
    const header = Buffer.alloc(16);
    header.writeUInt16LE(plan.seccomp.program.length / 8, 0);
    header.writeBigUInt64LE(addr(filter), 8);
    fprog = data.raw(header, 8);
  }
  const loadSeccomp = () => call(NR.seccomp, [SECCOMP_SET_MODE_FILTER, plan.seccomp!.flags, { data: fprog! }], 'seccomp');

  const self = data.cstring('0');
  code.bytes(SUB_RSP_IMM32);
  code.i32(STACK_BUFFER);
  for (let i = 0; i < plan.cgroupProcsFds; i++) call(NR.write, [SYNC_FD + 1 + i, { data: self }, 1], 'joining the cgroup', 'not-one');
  if (plan.cgroupNamespace) call(NR.unshare, [CLONE_NEWCGROUP], 'unshare(CLONE_NEWCGROUP)');
  call(NR.write, [SYNC_FD, 'stack', 1], 'reporting the cgroup namespace', 'not-one');
  call(NR.read, [SYNC_FD, 'stack', STACK_BUFFER], 'waiting for the executable', 'not-positive');
  call(NR.close_range, [SYNC_FD, 0xffffffff, 0], 'close_range', 'none');
  call(NR.close, [SYNC_FD], 'close', 'none');
  if (plan.seccomp && !plan.noNewPrivileges) loadSeccomp();
  for (let cap = 0; cap <= plan.lastCap; cap++) {
    if (!((plan.bounding >> BigInt(cap)) & 1n)) call(NR.prctl, [PR_CAPBSET_DROP, cap, 0, 0, 0], `dropping capability ${cap} from the bounding set`);
  }
  call(NR.prctl, [PR_SET_KEEPCAPS, 1, 0, 0, 0], 'prctl(PR_SET_KEEPCAPS)');
  call(NR.setgroups, [plan.additionalGids.length, { data: groups }], 'setgroups');
  call(NR.setresgid, [plan.gid, plan.gid, plan.gid], `setresgid(${plan.gid})`);
  call(NR.setresuid, [plan.uid, plan.uid, plan.uid], `setresuid(${plan.uid})`);
  call(NR.prctl, [PR_SET_KEEPCAPS, 0, 0, 0, 0], 'prctl(PR_SET_KEEPCAPS)');
  call(NR.capset, [{ data: capHeader }, { data: capData }], 'capset');
  call(NR.prctl, [PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0], 'clearing the ambient set');
  for (let cap = 0; cap <= plan.lastCap; cap++) {
    if ((plan.ambient >> BigInt(cap)) & 1n) call(NR.prctl, [PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0], `raising ambient capability ${cap}`);
  }
  if (plan.noNewPrivileges) call(NR.prctl, [PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0], 'prctl(PR_SET_NO_NEW_PRIVS)');
  call(NR.chdir, [{ data: cwd }], `chdir(${plan.cwd})`);
  call(NR.setsid, [], 'setsid', 'none'); // EPERM when spawned detached: already a session leader
  if (plan.terminal) call(NR.ioctl, [0, TIOCSCTTY, 0], 'ioctl(TIOCSCTTY)');
  if (plan.seccomp && plan.noNewPrivileges) loadSeccomp();
  call(NR.execve, ['stack', { patch: 'argv' }, { patch: 'envp' }], 'execve', 'none');
  // execve returned: report it like a failed step.
  const execveFailed = Buffer.from('c-runtime init: execve failed\n');
  failures.push({ patchAt: -1, message: data.raw(execveFailed), length: execveFailed.length });

  // Failure stubs (write the message to fd 2, exit 1), in reverse so that the execve's falls right after it.
  for (const failure of [...failures].reverse()) {
    if (failure.patchAt >= 0) code.patchI32(failure.patchAt, code.length - (failure.patchAt + 4));
    movabs(ARG_REGS[0], 2n);
    movabs(ARG_REGS[1], addr(failure.message));
    movabs(ARG_REGS[2], BigInt(failure.length));
    movabs(MOV_RAX, BigInt(NR.write));
    code.bytes(SYSCALL);
    movabs(ARG_REGS[0], 1n);
    movabs(MOV_RAX, BigInt(NR.exit_group));
    code.bytes(SYSCALL);
  }

  data.out.align(8);
  const codeOffset = HEADERS + data.out.length;
  code.align(8);
  const size = codeOffset + code.length;
  const elf = Buffer.alloc(size);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(62, 18); // EM_X86_64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(LOAD + BigInt(codeOffset), 24);
  elf.writeBigUInt64LE(64n, 32);
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(2, 56);
  elf.writeUInt32LE(1, 64); // PT_LOAD, R+X, the whole file (sizes set per process)
  elf.writeUInt32LE(5, 68);
  elf.writeBigUInt64LE(LOAD, 80);
  elf.writeBigUInt64LE(LOAD, 88);
  elf.writeBigUInt64LE(0x1000n, 112);
  elf.writeUInt32LE(0x6474e551, 120); // PT_GNU_STACK, RW
  elf.writeUInt32LE(6, 124);
  elf.set(data.out.view(), HEADERS);
  elf.set(code.view(), codeOffset);
  return { image: elf, argvAt: codeOffset + patches.argv!, envpAt: codeOffset + patches.envp! };
}

/** The final step exists for x86_64 only; elsewhere `run` keeps the two-process path. */
export function finalShimSupported(arch: NodeJS.Architecture = process.arch): boolean {
  return arch === 'x64';
}
