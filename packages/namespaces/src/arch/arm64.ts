import type { ArchTable } from './types';
import { SYSCALLS_ARM64 } from './arm64-syscalls';

/** arm64: the asm-generic numbering. */
export const ARM64: ArchTable = {
  nodeArch: 'arm64',
  name: 'aarch64',
  // EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
  auditArch: 0xc00000b7,
  scmpArch: 'SCMP_ARCH_AARCH64',
  nr: {
    pivot_root: 41,
    rt_sigaction: 134,
    seccomp: 277,
    gettid: 178,
    pidfd_open: 434,
    pidfd_send_signal: 424,
    close_range: 436,
    openat2: 437,
    bpf: 280,
    getpid: 172,
  },
  openFlags: { DIRECTORY: 0o40000, NOFOLLOW: 0o100000, DIRECT: 0o200000, LARGEFILE: 0o400000 },
  syscalls: SYSCALLS_ARM64,
  // 32-bit ARM (SCMP_ARCH_ARM) has its own numbering, which the asm-generic headers do not give: not supported.
  compat: [],
};
