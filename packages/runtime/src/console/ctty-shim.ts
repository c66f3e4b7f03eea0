// The controlling terminal of an `exec --tty` payload. TIOCSCTTY only acts on the calling process's own session,
// and the payload is spawned by libuv, whose child runs no code of ours between fork (setsid with `detached`) and
// execve; so the child first execs this shim, which makes fd 0 its controlling terminal and execs the payload.
// It is a hand-assembled static ELF (no second toolchain), run from a sealed memfd: no host file for the container
// to reach through /proc/PID/exe, and nothing to write to.
import { writeSync } from 'node:fs';
import { CError } from '@c/errors';
import { F_SEAL, MFD, isSyscallError } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';

/** ioctl request number of TIOCSCTTY (asm-generic and x86). */
const TIOCSCTTY = 0x540e;
const LOAD_ADDRESS = 0x400000n;
const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;

/**
 * x86_64, entered with the stack as the kernel leaves it: [rsp] = argc, [rsp+8] = argv[0] (the shim), [rsp+16] =
 * argv[1] (the payload's path), [rsp+24] = argv[2..] (the payload's argv), then NULL and envp.
 * Errors of setsid (already a session leader) and ioctl (no tty on fd 0) are ignored: the payload runs anyway.
 */
const X86_64_CODE = [
  [0xb8, 0x70, 0x00, 0x00, 0x00], //       mov eax, 112            ; setsid
  [0x0f, 0x05], //                         syscall
  [0x31, 0xff], //                         xor edi, edi            ; fd 0
  [0xbe, TIOCSCTTY & 0xff, TIOCSCTTY >> 8, 0x00, 0x00], // mov esi, TIOCSCTTY
  [0x31, 0xd2], //                         xor edx, edx            ; do not steal
  [0xb8, 0x10, 0x00, 0x00, 0x00], //       mov eax, 16             ; ioctl
  [0x0f, 0x05], //                         syscall
  [0x48, 0x8b, 0x7c, 0x24, 0x10], //       mov rdi, [rsp+16]       ; argv[1]
  [0x48, 0x8d, 0x74, 0x24, 0x18], //       lea rsi, [rsp+24]       ; &argv[2]
  [0x48, 0x8b, 0x04, 0x24], //             mov rax, [rsp]          ; argc
  [0x48, 0x8d, 0x54, 0xc4, 0x10], //       lea rdx, [rsp+rax*8+16] ; envp = &argv[argc + 1]
  [0xb8, 0x3b, 0x00, 0x00, 0x00], //       mov eax, 59             ; execve
  [0x0f, 0x05], //                         syscall
  [0xbf, 0x7f, 0x00, 0x00, 0x00], //       mov edi, 127            ; execve failed
  [0xb8, 0xe7, 0x00, 0x00, 0x00], //       mov eax, 231            ; exit_group
  [0x0f, 0x05], //                         syscall
].flat();

const MACHINES: Partial<Record<NodeJS.Architecture, { machine: number; code: readonly number[] }>> = {
  x64: { machine: 62 /* EM_X86_64 */, code: X86_64_CODE },
};

/** The shim as an ELF executable for `arch`, or undefined where none is written (the payload then has no ctty). */
export function cttyShimElf(arch: NodeJS.Architecture = process.arch): Buffer | undefined {
  const target = MACHINES[arch];
  if (target === undefined) return undefined;
  const codeOffset = ELF_HEADER_SIZE + 2 * PROGRAM_HEADER_SIZE;
  const size = codeOffset + target.code.length;
  const elf = Buffer.alloc(size);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* little endian */, 1 /* version */], 0);
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(target.machine, 18);
  elf.writeUInt32LE(1, 20); // EV_CURRENT
  elf.writeBigUInt64LE(LOAD_ADDRESS + BigInt(codeOffset), 24); // entry
  elf.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // program headers right after this header
  elf.writeUInt16LE(ELF_HEADER_SIZE, 52);
  elf.writeUInt16LE(PROGRAM_HEADER_SIZE, 54);
  elf.writeUInt16LE(2, 56); // two program headers, no sections
  // PT_LOAD: the whole file, read + execute.
  let ph = ELF_HEADER_SIZE;
  elf.writeUInt32LE(1, ph);
  elf.writeUInt32LE(5, ph + 4);
  elf.writeBigUInt64LE(0n, ph + 8);
  elf.writeBigUInt64LE(LOAD_ADDRESS, ph + 16);
  elf.writeBigUInt64LE(LOAD_ADDRESS, ph + 24);
  elf.writeBigUInt64LE(BigInt(size), ph + 32);
  elf.writeBigUInt64LE(BigInt(size), ph + 40);
  elf.writeBigUInt64LE(0x1000n, ph + 48);
  // PT_GNU_STACK, read + write: a non-executable stack (without it some kernels mark the process READ_IMPLIES_EXEC).
  ph += PROGRAM_HEADER_SIZE;
  elf.writeUInt32LE(0x6474e551, ph);
  elf.writeUInt32LE(6, ph + 4);
  elf.set(target.code, codeOffset);
  return elf;
}

/**
 * The shim in a sealed, close-on-exec memfd (execve of `/proc/self/fd/N` opens it before close-on-exec applies).
 * Returns undefined on architectures without a shim. The caller closes the fd.
 */
export function createCttyShim(sys: Syscalls, arch: NodeJS.Architecture = process.arch): number | undefined {
  const elf = cttyShimElf(arch);
  if (elf === undefined) return undefined;
  let fd: number;
  try {
    fd = sys.memfdCreate('c-runtime-ctty', MFD.CLOEXEC | MFD.ALLOW_SEALING | MFD.EXEC);
  } catch (error) {
    // MFD_EXEC is Linux 6.3+; older kernels reject the flag and make memfds executable anyway.
    if (!isSyscallError(error, 'EINVAL')) throw error;
    fd = sys.memfdCreate('c-runtime-ctty', MFD.CLOEXEC | MFD.ALLOW_SEALING);
  }
  try {
    writeAll(fd, elf);
    sys.addSeals(fd, F_SEAL.WRITE | F_SEAL.GROW | F_SEAL.SHRINK | F_SEAL.SEAL);
  } catch (error) {
    sys.close(fd);
    throw error instanceof CError ? error : new CError('INTERNAL', `cannot write the controlling-terminal shim to a memfd: ${String(error)}`, { cause: error, hint: 'check vm.memfd_noexec and the memory limit' });
  }
  return fd;
}

function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data.subarray(done));
}
