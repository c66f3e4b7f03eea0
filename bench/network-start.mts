// bench/network-start.mts: driven by bench/network-start.sh (ENGINE=1). In the engine's own process, interleaved
// `run --rm busybox true` with --network none and with the default bridge (create, start, wait, remove), so both
// see the same load; the median difference is what the bridge adds to a start, next to the time of the connect
// itself (between the init's creation and `start`) and of the disconnect at exit.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, ImageStore, storeLayout } from '../packages/layers/src/index';
import { ContainerService, NetworkService, createImageService, storeImagePort } from '../packages/engine/src/index';

const RUNS = Number(process.env.RUNS ?? 30);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p10 ${pct(xs, 0.1).toFixed(1)}, p90 ${pct(xs, 0.9).toFixed(1)} (n=${xs.length})`;

const dir = mkdtempSync(join(tmpdir(), 'c-bench-netstart-'));
const root = join(dir, 'root');
let network: NetworkService | undefined;
let containers: ContainerService | undefined;
try {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'etc'));
  cpSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  symlinkSync('busybox', join(rootfs, 'bin/true'));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  for await (const chunk of tar.stdout) chunks.push(chunk as Buffer);
  await createImageService({ root }).import(Readable.from([Buffer.concat(chunks)]), 'bench:busybox', { changes: ['CMD ["true"]'] });
  network = await NetworkService.open({ root });
  const layout = storeLayout(root);
  containers = await ContainerService.open({ root, images: storeImagePort(new ContentStore(layout.content), new ImageStore(layout.images)), network, events: network.events });

  // The connect and disconnect themselves, timed around the manager's calls.
  const connectMs: number[] = [];
  const disconnectMs: number[] = [];
  const manager = network.manager;
  const connect = manager.connect.bind(manager);
  const disconnectAll = manager.disconnectAll.bind(manager);
  manager.connect = async (options) => {
    const t = performance.now();
    try {
      return await connect(options);
    } finally {
      connectMs.push(performance.now() - t);
    }
  };
  manager.disconnect = (() => {
    const original = manager.disconnect.bind(manager);
    return async (...args: Parameters<typeof original>) => {
      const t = performance.now();
      try {
        await original(...args);
      } finally {
        disconnectMs.push(performance.now() - t);
      }
    };
  })();
  void disconnectAll;
  // The engine's whole networking step of a start (connect + /etc/hosts) and of an exit, around ContainerNetworking.
  const engineConnectMs: number[] = [];
  const engineReleaseMs: number[] = [];
  const networking = (containers as unknown as { networking: { connect: (...a: unknown[]) => Promise<unknown>; disconnect: (...a: unknown[]) => Promise<void> } }).networking;
  for (const [method, sink] of [['connect', engineConnectMs], ['disconnect', engineReleaseMs]] as const) {
    const original = networking[method].bind(networking) as (...a: unknown[]) => Promise<unknown>;
    (networking as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const t = performance.now();
      try {
        return await original(...args);
      } finally {
        const mode = (args[0] as { HostConfig?: { NetworkMode?: string } } | undefined)?.HostConfig?.NetworkMode;
        if (method === 'disconnect' || mode === 'bridge') sink.push(performance.now() - t);
      }
    };
  }

  // Where the time of one run goes, per mode: create, start (the connect is inside), exit recorded, remove.
  const phases = new Map<string, Record<string, number[]>>();
  const runOnce = async (networkMode: string): Promise<number> => {
    const t = performance.now();
    const c = await containers!.create({ image: 'bench:busybox', networkMode });
    const created = performance.now();
    const exit = containers!.wait(c.Id, 'next-exit');
    await containers!.start(c.Id);
    const started = performance.now();
    await exit;
    const exited = performance.now();
    await containers!.remove(c.Id, { force: true });
    const removed = performance.now();
    const mine = phases.get(networkMode) ?? {};
    for (const [phase, ms] of [['create', created - t], ['start', started - created], ['exit', exited - started], ['remove', removed - exited]] as const) (mine[phase] ??= []).push(ms);
    phases.set(networkMode, mine);
    return removed - t;
  };
  for (let i = 0; i < 3; i++) {
    await runOnce('none');
    await runOnce('bridge');
  }
  connectMs.length = 0;
  disconnectMs.length = 0;
  engineConnectMs.length = 0;
  engineReleaseMs.length = 0;
  phases.clear();
  const none: number[] = [];
  const bridge: number[] = [];
  const delta: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const first = i % 2 === 0 ? 'none' : 'bridge';
    const a = await runOnce(first);
    const b = await runOnce(first === 'none' ? 'bridge' : 'none');
    const [n, br] = first === 'none' ? [a, b] : [b, a];
    none.push(n);
    bridge.push(br);
    delta.push(br - n);
  }
  console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(`engine run --rm true, --network none:   ${fmt(none)}`);
  console.log(`engine run --rm true, default bridge:   ${fmt(bridge)}`);
  console.log(`bridge - none, paired:                  ${fmt(delta)}   (target <= 10 ms)`);
  console.log(`  connect (veth, address, route, lease, nft elements): ${fmt(connectMs)}`);
  console.log(`  disconnect at exit (veth deletion in the background): ${fmt(disconnectMs)}`);
  console.log(`  engine connect step (connect + /etc/hosts):         ${fmt(engineConnectMs)}`);
  console.log(`  engine release step (exit and remove, both modes):   ${fmt(engineReleaseMs)}`);
  for (const phase of ['create', 'start', 'exit', 'remove']) {
    const [n, b] = ['none', 'bridge'].map((mode) => median(phases.get(mode)?.[phase] ?? []));
    console.log(`  ${phase.padEnd(7)} median none ${n?.toFixed(1)} ms, bridge ${b?.toFixed(1)} ms`);
  }
  await manager.settle();
  console.log(`  veths left: ${manager.hostInterfaces().length}`);
} finally {
  containers?.close();
  await network?.destroy().catch((e: unknown) => console.error('network cleanup:', e));
  const unmounted = spawn('sh', ['-c', `grep " ${dir}" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  await new Promise((resolve) => unmounted.on('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
// Whatever the engine left open (output pipes of the runs) must not keep a benchmark from ending.
process.exit(process.exitCode ?? 0);
