// @c/namespaces: Linux syscalls for containers (koffi → libc), synchronous, with a recording fake.
export type {
  CapabilitySets,
  ChildExit,
  OpenHow,
  PosixSpawnOptions,
  Pty,
  Rlimit,
  ReceivedFds,
  RlimitInput,
  SyscallName,
  Syscalls,
  Winsize,
} from './syscalls';
export { LinuxSyscalls, linuxSyscalls, preloadSyscalls } from './linux/index';
export { RecordingSyscalls, ExecveRecorded, type RecordedCall, type FailOptions } from './recording';
export { SyscallError, isSyscallError, type SyscallErrorOptions } from './syscall-error';
export { ERRNO, errnoName, errnoMessage, errnoNumber } from './errno';
export { DESCRIBE, flagNames } from './describe';
export {
  AF,
  AT,
  AT_FDCWD,
  BPF_CGROUP_DEVICE,
  BPF_CMD,
  BPF_F_ALLOW_MULTI,
  BPF_PROG_TYPE_CGROUP_DEVICE,
  CLONE,
  CLOSE_RANGE,
  F,
  F_SEAL,
  LOCK,
  FD_CLOEXEC,
  MFD,
  MSG,
  SCM_MAX_FD,
  SOCK,
  LINUX_CAPABILITY_VERSION_3,
  MNT,
  MS,
  NAMESPACES,
  O,
  PR,
  RESOLVE,
  RLIM_INFINITY,
  RLIMIT,
  S_IF,
  SECCOMP,
  SIG,
  SIGNALS,
  SIGRTMAX,
  TIOC,
  FS_IOC,
  FS_FL,
  XATTR,
  makedev,
  rlimitNumber,
  signalNumber,
  type NamespaceType,
  type RlimitName,
  type SignalName,
} from './constants';
export {
  CAPABILITY_NAMES,
  CAP_LAST_CAP_KNOWN,
  capLastCap,
  capabilityMask,
  capabilityName,
  capabilityNames,
  capabilityNumber,
  type CapabilityName,
} from './capabilities';
export { ARM64, X86_64, archTable, type ArchTable, type CompatArch } from './arch/index';
export {
  compileSeccompProfile,
  seccompAction,
  type CompiledSeccomp,
  type SeccompArg,
  type SeccompProfile,
  type SeccompRule,
} from './seccomp/compile';
export {
  decodeProgram,
  encodeProgram,
  runSeccompProgram,
  type BpfInstruction,
  type SeccompData,
} from './seccomp/bpf';
export {
  fromDockerSeccompProfile,
  type DockerSeccompContext,
  type DockerSeccompFilter,
  type DockerSeccompProfile,
  type DockerSeccompRule,
} from './seccomp/docker';
