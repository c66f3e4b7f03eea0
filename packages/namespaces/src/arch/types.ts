/** What differs between CPU architectures for the syscalls c makes directly (not through a libc wrapper). */
export interface ArchTable {
  /** Node's `process.arch` value for this table. */
  readonly nodeArch: 'x64' | 'arm64';
  /** The kernel's name for the architecture (as in OCI seccomp profiles: SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64). */
  readonly name: 'x86_64' | 'aarch64';
  /** AUDIT_ARCH_* value a seccomp filter compares `seccomp_data.arch` against. */
  readonly auditArch: number;
  /** The OCI/libseccomp architecture name. */
  readonly scmpArch: 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_AARCH64';
  /** Numbers of the syscalls called through syscall(2) because glibc has no wrapper (or an unsuitable one). */
  readonly nr: {
    readonly pivot_root: number;
    readonly seccomp: number;
    readonly gettid: number;
    readonly pidfd_open: number;
    readonly pidfd_send_signal: number;
    readonly close_range: number;
    readonly openat2: number;
    readonly getpid: number;
    readonly bpf: number;
    readonly rt_sigaction: number;
  };
  /** open(2) flags whose values differ between architectures. */
  readonly openFlags: { readonly DIRECTORY: number; readonly NOFOLLOW: number; readonly DIRECT: number; readonly LARGEFILE: number };
  /** Every syscall of the architecture by name, for the seccomp profile compiler. */
  readonly syscalls: Readonly<Record<string, number>>;
  /** 32-bit ABIs this architecture also runs (seccomp sees them with their own audit arch and numbers). */
  readonly compat: readonly CompatArch[];
}

/** A compat ABI: e.g. i386 binaries on x86_64 (SCMP_ARCH_X86). */
export interface CompatArch {
  readonly scmpArch: string;
  readonly auditArch: number;
  readonly syscalls: Readonly<Record<string, number>>;
}
