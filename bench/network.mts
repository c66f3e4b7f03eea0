// bench/network.mts: driven by bench/network.sh. Measures, with netns stand-ins for containers:
//   1. attach + detach of a container to the default bridge (no ports, and with 2 published ports),
//   2. throughput host → container through a published port (127.0.0.1 DNAT and the bridge address),
//      and container → container on the bridge, pushing BYTES through busybox nc.
// Everything it creates (netns, bridge, nft table, state dir) is removed at exit, also on failure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkManager, SpawnRunner, parsePublishSpec } from '../packages/network/src/index';

const CYCLES = Number(process.env.CYCLES ?? 50);
const BYTES = Number(process.env.BYTES ?? 300_000_000);
const RUNS = Number(process.env.RUNS ?? 3);
const NS = ['cbench-a', 'cbench-b'];

function sh(argv: string[]): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p10 ${pct(xs, 0.1).toFixed(1)}, p90 ${pct(xs, 0.9).toFixed(1)} (n=${xs.length})`;

/** Time spent in each external command, to split a connect into its parts. */
class TimedRunner extends SpawnRunner {
  spent = new Map<string, number[]>();
  override async run(argv: readonly string[], input?: string): Promise<string> {
    const started = performance.now();
    try {
      return await super.run(argv, input);
    } finally {
      const key = argv[0] === 'nsenter' ? 'nsenter ip -batch (inside)' : `${argv[0]} ${argv[1]}${argv[2] === 'del' ? ' del' : ''}`;
      const list = this.spent.get(key) ?? [];
      list.push(performance.now() - started);
      this.spent.set(key, list);
    }
  }
}

/** Push BYTES with busybox nc from `client` (a netns, or the host when undefined) to host:port; returns MB/s. */
async function push(serverNs: string, port: number, client: string | undefined, host: string, targetPort = port): Promise<number> {
  // The server's stdin is a pipe we never close: busybox nc quits when its stdin ends.
  const server = spawn('ip', ['netns', 'exec', serverNs, 'busybox', 'nc', '-l', '-p', String(port)], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  for (let i = 0; i < 50 && !sh(['ip', 'netns', 'exec', serverNs, 'ss', '-ltnH']).includes(`:${port}`); i++) await new Promise((r) => setTimeout(r, 20));
  const pipeline = `head -c ${BYTES} /dev/zero | busybox nc ${host} ${targetPort}`;
  const argv = client === undefined ? ['sh', '-c', pipeline] : ['ip', 'netns', 'exec', client, 'sh', '-c', pipeline];
  const started = performance.now();
  sh(argv);
  await exited;
  const seconds = (performance.now() - started) / 1000;
  return BYTES / 1e6 / seconds;
}

const state = mkdtempSync(join(tmpdir(), 'c-bench-net-'));
// The manager enables IPv4 forwarding host-wide; put back what the host had.
const forwardingBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
let manager: NetworkManager | undefined;
try {
  for (const ns of NS) {
    spawnSync('ip', ['netns', 'del', ns]);
    sh(['ip', 'netns', 'add', ns]);
  }
  const runner = new TimedRunner();
  const linkBackend = process.env.BACKEND === 'iproute2' ? 'iproute2' : 'netlink';
  console.log(`veth attach/delete through ${linkBackend}`);
  manager = await NetworkManager.open({ stateDir: state, runner, linkBackend, defaultBridge: 'cbench0', subnetPools: [{ base: '10.233.0.0/16', size: 24 }], nftTable: 'c_bench', dnsUpstreams: [] });
  const load = sh(['cat', '/proc/loadavg']).split(' ').slice(0, 3).join(' ');
  console.log(`load average at start: ${load}`);

  for (const withPorts of [false, true]) {
    const connects: number[] = [];
    const disconnects: number[] = [];
    runner.spent.clear();
    for (let i = 0; i < CYCLES; i++) {
      let t = performance.now();
      await manager.connect({ containerId: 'b'.repeat(64), containerName: 'bench', netnsPath: `/run/netns/${NS[0]}`, ports: withPorts ? [...parsePublishSpec('80'), ...parsePublishSpec('53/udp')] : [] });
      connects.push(performance.now() - t);
      t = performance.now();
      await manager.disconnectAll('b'.repeat(64));
      disconnects.push(performance.now() - t);
    }
    const label = withPorts ? 'with 2 published ports' : 'no published ports';
    console.log(`connect (${label}):    ${fmt(connects)}`);
    console.log(`disconnect (${label}): ${fmt(disconnects)}`);
    for (const [command, times] of runner.spent) console.log(`    ${command.padEnd(28)} ${fmt(times)}`);
  }

  const spawnFloor: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await new SpawnRunner().run(['ip', '-V']);
    spawnFloor.push(performance.now() - t);
  }
  console.log(`floor: one \`ip -V\` spawned from Node: ${fmt(spawnFloor)}`);

  const a = await manager.connect({ containerId: 'a'.repeat(64), containerName: 'a', netnsPath: `/run/netns/${NS[0]}`, ports: parsePublishSpec('5001') });
  const b = await manager.connect({ containerId: 'c'.repeat(64), containerName: 'b', netnsPath: `/run/netns/${NS[1]}` });
  const hostPort = Number(a.ports['5001/tcp']?.[0]?.HostPort);
  const gateway = a.endpoint.Gateway;
  const cases: [string, () => Promise<number>][] = [
    ['floor: busybox nc over loopback inside one namespace', () => push(NS[0] as string, 5001, NS[0], '127.0.0.1')],
    [`host → container direct (${a.endpoint.IPAddress}:5001, no NAT)`, () => push(NS[0] as string, 5001, undefined, a.endpoint.IPAddress)],
    [`host → 127.0.0.1:${hostPort} (published, DNAT + route_localnet)`, () => push(NS[0] as string, 5001, undefined, '127.0.0.1', hostPort)],
    [`host → ${gateway}:${hostPort} (published, bridge address)`, () => push(NS[0] as string, 5001, undefined, gateway, hostPort)],
    [`container → container (${b.endpoint.IPAddress} → ${a.endpoint.IPAddress}:5001, bridged)`, () => push(NS[0] as string, 5001, NS[1], a.endpoint.IPAddress)],
    [`container → ${gateway}:${hostPort} (published port from another container)`, () => push(NS[0] as string, 5001, NS[1], gateway, hostPort)],
  ];
  // BYTES=0: latency only.
  for (const [label, run] of BYTES > 0 ? cases : []) {
    const rates: number[] = [];
    for (let i = 0; i < RUNS; i++) rates.push(await run());
    const sorted = [...rates].sort((x, y) => x - y);
    console.log(`${label}: median ${median(rates).toFixed(0)} MB/s (min ${sorted[0]?.toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)}, ${RUNS} × ${BYTES / 1e6} MB)`);
  }
  console.log(`load average at end: ${sh(['cat', '/proc/loadavg']).split(' ').slice(0, 3).join(' ')}`);
} finally {
  await manager?.destroy().catch((error: unknown) => console.error('destroy failed:', error));
  for (const ns of NS) spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('nft', ['delete', 'table', 'ip', 'c_bench']);
  spawnSync('ip', ['link', 'del', 'cbench0']);
  rmSync(state, { recursive: true, force: true });
  writeFileSync('/proc/sys/net/ipv4/ip_forward', forwardingBefore);
}
