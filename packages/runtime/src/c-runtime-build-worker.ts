// Entry of a container build thread (container/build-threads.ts): loads koffi's functions before the first order.
import { parentPort } from 'node:worker_threads';
import { linuxSyscalls, preloadSyscalls } from '@c/namespaces';
import { serveBuilds } from './container/build-worker';

if (parentPort === null) throw new Error('c-runtime-build-worker runs as a worker thread (BuildThreads), not on its own');
preloadSyscalls();
serveBuilds(parentPort, linuxSyscalls);
