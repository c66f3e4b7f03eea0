import type { ArchTable } from './types';
import { SYSCALLS_X86 } from './x86-syscalls';
import { SYSCALLS_X86_64 } from './x86_64-syscalls';

/** x86_64: the legacy numbering (asm/unistd_64.h). */
export const X86_64: ArchTable = {
  nodeArch: 'x64',
  name: 'x86_64',
  // EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
  auditArch: 0xc000003e,
  scmpArch: 'SCMP_ARCH_X86_64',
  nr: {
    pivot_root: 155,
    rt_sigaction: 13,
    seccomp: 317,
    gettid: 186,
    pidfd_open: 434,
    pidfd_send_signal: 424,
    close_range: 436,
    openat2: 437,
    bpf: 321,
    getpid: 39,
  },
  openFlags: { DIRECTORY: 0o200000, NOFOLLOW: 0o400000, DIRECT: 0o40000, LARGEFILE: 0 },
  syscalls: SYSCALLS_X86_64,
  // EM_386 (3) | __AUDIT_ARCH_LE
  compat: [{ scmpArch: 'SCMP_ARCH_X86', auditArch: 0x40000003, syscalls: SYSCALLS_X86 }],
};
