import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ARM64, X86_64 } from '../arch/index';
import { SECCOMP } from '../constants';
import { runSeccompProgram } from './bpf';
import { compileSeccompProfile } from './compile';
import { fromDockerSeccompProfile, type DockerSeccompProfile } from './docker';

/** Docker's default capability set. */
const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const SMALL: DockerSeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
    { names: ['futex_waitv'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '99.0' } },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['arm64'] } },
  ],
};

describe('fromDockerSeccompProfile', () => {
  test('keeps rules by capability, architecture and kernel version, in order', () => {
    const oci = fromDockerSeccompProfile(SMALL, { capabilities: DEFAULT_CAPS, arch: X86_64, kernelVersion: '6.1.0-13-amd64' });
    expect(oci.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(oci.defaultErrnoRet).toBe(38);
    expect(oci.syscalls?.map((r) => `${r.names.join(',')}:${r.action}`)).toEqual([
      'read,write:SCMP_ACT_ALLOW',
      'arch_prctl:SCMP_ACT_ALLOW',
      'bpf:SCMP_ACT_ERRNO',
      'ptrace:SCMP_ACT_ALLOW',
      'socket:SCMP_ACT_ALLOW',
    ]);
  });

  test('a granted capability switches the rule; another architecture drops its rules', () => {
    const oci = fromDockerSeccompProfile(SMALL, { capabilities: [...DEFAULT_CAPS, 'sys_admin'], arch: ARM64, kernelVersion: '4.4.0' });
    expect(oci.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(oci.syscalls?.map((r) => r.names[0])).toEqual(['read', 'bpf']);
    expect(oci.syscalls?.[1]?.action).toBe('SCMP_ACT_ALLOW');
  });
});

const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';

describe.skipIf(!existsSync(PODMAN_PROFILE))(`the containers-common default profile (${PODMAN_PROFILE})`, () => {
  const docker = JSON.parse(readFileSync(PODMAN_PROFILE, 'utf8')) as DockerSeccompProfile;
  const compiled = compileSeccompProfile(
    fromDockerSeccompProfile(docker, { capabilities: DEFAULT_CAPS, arch: X86_64, kernelVersion: '6.18.0' }),
    X86_64,
  );
  const verdict = (name: string, args: bigint[] = []) =>
    runSeccompProgram(compiled.instructions, { nr: X86_64.syscalls[name] ?? -1, arch: X86_64.auditArch, args });
  const errno = (n: number) => (SECCOMP.RET_ERRNO | n) >>> 0;

  test('without CAP_AUDIT_WRITE, audit netlink sockets get EINVAL', () => {
    const noAudit = compileSeccompProfile(
      fromDockerSeccompProfile(docker, { capabilities: DEFAULT_CAPS.filter((c) => c !== 'CAP_AUDIT_WRITE'), arch: X86_64, kernelVersion: '6.18.0' }),
      X86_64,
    );
    const run = (args: bigint[]) => runSeccompProgram(noAudit.instructions, { nr: X86_64.syscalls.socket ?? -1, arch: X86_64.auditArch, args });
    expect(run([16n, 3n, 9n])).toBe(errno(22));
    expect(run([16n, 3n, 0n])).toBe(SECCOMP.RET_ALLOW);
    expect(run([2n, 1n, 0n])).toBe(SECCOMP.RET_ALLOW);
  });

  test('compiles within the kernel limit, with an i386 section (its archMap lists SCMP_ARCH_X86)', () => {
    expect(compiled.instructions.length).toBeGreaterThan(600);
    expect(compiled.instructions.length).toBeLessThan(4096);
    const i386 = (nr: number) => runSeccompProgram(compiled.instructions, { nr, arch: 0x40000003 });
    expect(i386(3)).toBe(SECCOMP.RET_ALLOW); // read
    expect(i386(102)).toBe(SECCOMP.RET_ALLOW); // socketcall
  });

  test('gives the verdicts its rules say, for a container with Docker\'s default capabilities', () => {
    expect(verdict('read')).toBe(SECCOMP.RET_ALLOW);
    expect(verdict('execve')).toBe(SECCOMP.RET_ALLOW);
    expect(verdict('arch_prctl')).toBe(SECCOMP.RET_ALLOW);
    // Without CAP_SYS_ADMIN: sethostname and bpf refused with EPERM.
    expect(verdict('sethostname')).toBe(errno(1));
    expect(verdict('bpf')).toBe(errno(1));
    // setns is also in the big unconditional allow list: the first unconditional rule wins (libseccomp).
    expect(verdict('setns')).toBe(SECCOMP.RET_ALLOW);
    // Without CAP_SYS_MODULE / CAP_SYS_TIME.
    expect(verdict('init_module')).toBe(errno(1));
    expect(verdict('settimeofday')).toBe(errno(1));
    // Docker grants CAP_AUDIT_WRITE, so even audit netlink sockets are allowed.
    expect(verdict('socket', [16n, 3n, 9n])).toBe(SECCOMP.RET_ALLOW);
    expect(verdict('socket', [2n, 1n, 0n])).toBe(SECCOMP.RET_ALLOW);
    // Obsolete or dangerous calls listed first with EPERM.
    expect(verdict('kexec_load')).toBe(errno(1));
    expect(verdict('userfaultfd')).toBe(errno(1));
    // personality: only the listed personas.
    expect(verdict('personality', [0n])).toBe(SECCOMP.RET_ALLOW);
    expect(verdict('personality', [0xffffffffn])).toBe(SECCOMP.RET_ALLOW);
    expect(verdict('personality', [0x0040000n])).not.toBe(SECCOMP.RET_ALLOW);
    // A syscall the profile does not mention gets the default, ERRNO(ENOSYS).
    expect(verdict('add_key')).toBe(errno(38));
    expect(verdict('io_uring_setup')).toBe(errno(38));
    // Listed but only with CAP_SYS_PTRACE: EPERM here.
    expect(verdict('kcmp')).toBe(errno(1));
  });
});
