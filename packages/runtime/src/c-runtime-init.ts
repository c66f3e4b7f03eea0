// Entry of the container init (PID 1 of the new pid namespace). Kept to one import so it loads little:
// every module and koffi's native binding must be loaded before pivot_root makes the host's files unreachable.
import { linuxSyscalls, preloadSyscalls } from '@c/namespaces';
import { runInit } from './init/init-main';

preloadSyscalls();
process.exitCode = runInit(linuxSyscalls);
