// Privileged: cgroup limits, bind mounts, overlay rootfs, CPU overhead.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, ensureBuilt, isRoot, makeBundle, makeRootfs, uniqueId, workspace } from './helpers';

const ws = workspace('res');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

async function run(args: string[], edit?: Parameters<typeof makeBundle>[2]) {
  const bundle = makeBundle(ws.dir, args, edit);
  return { ...(await cli(ws.state, ['run', '--bundle', bundle.dir, uniqueId('res')])), bundle };
}

describe.skipIf(!isRoot())('c-runtime resources and mounts', () => {
  it('enforces the memory limit: the hog is OOM-killed (137) and the runtime says so', async () => {
    const r = await run(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'], (s) => {
      s.linux!.resources = { memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
    });
    expect(r.code).toBe(137);
    expect(r.stderr).toMatch(/OOM-killed/);
    // The same process fits without the limit.
    expect((await run(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'])).code).toBe(0);
  });

  it('enforces the pids limit', async () => {
    const r = await run(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; wait; echo done'], (s) => {
      s.linux!.resources = { pids: { limit: 5 } };
    });
    expect(r.stderr).toMatch(/can't fork: Resource temporarily unavailable/);
    expect(r.code).toBe(2);
    // The limit applies from the payload on: the init (Node, several threads) was not starved, and all is cleaned up.
    expect((await cli(ws.state, ['list', '--quiet'])).stdout).toBe('');
  });

  it('honours bind mounts, read-only ones included', async () => {
    const data = join(ws.dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'in.txt'), 'from host\n');
    const r = await run(['sh', '-c', 'cat /rw/in.txt; echo new > /rw/out.txt; echo x > /ro/in.txt && echo wrote-ro || echo ro-refused'], (s) => {
      s.mounts!.push({ destination: '/rw', type: 'bind', source: data, options: ['rbind'] });
      s.mounts!.push({ destination: '/ro', type: 'bind', source: data, options: ['rbind', 'ro'] });
    });
    expect(r.stdout).toBe('from host\nro-refused\n');
    expect(readFileSync(join(data, 'out.txt'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(data, 'in.txt'), 'utf8')).toBe('from host\n');
  });

  it('two containers on one lower dir (overlay rootfs) do not see each other\'s writes', async () => {
    const lower = join(ws.dir, 'lower');
    makeRootfs(lower);
    const results: string[] = [];
    for (const name of ['a', 'b']) {
      const upper = join(ws.dir, `upper-${name}`);
      const work = join(ws.dir, `work-${name}`);
      mkdirSync(upper);
      mkdirSync(work);
      const r = await run(['sh', '-c', `ls /tmp; echo ${name} > /tmp/${name}.txt; ls /tmp`], (s) => {
        s.mounts!.unshift({ destination: '/', type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`] });
      });
      expect(r.code).toBe(0);
      // The bundle's own rootfs dir stays empty of the write: it went to the upper dir.
      expect(readFileSync(join(upper, `tmp/${name}.txt`), 'utf8')).toBe(`${name}\n`);
      results.push(r.stdout);
    }
    expect(results).toEqual(['a.txt\n', 'b.txt\n'].map((after) => `${after}`));
    expect(spawnSync('ls', [join(lower, 'tmp')], { encoding: 'utf8' }).stdout).toBe('');
  });

  // CPU time of one loop varies by ±15% here when other work saturates the 2 cores (shared caches, frequency,
  // the sibling hyperthread), far more than the 2% being checked. So each pair runs *at the same time on the same
  // CPU*: the host loop starts when the container's loop says "go", both pinned to CPU 0, so whatever else the
  // machine does hits both alike; each side's CPU time is compared, median of 11 pairs. The CPU time is the shell's
  // own nanosecond count (/proc/self/schedstat, read by a builtin after the loop): `time -p` counts 10 ms ticks,
  // ±1.2% of a 0.8 s loop on each side. On this machine at load 13-16 single pairs still spread ±4% and medians of 7
  // came out up to 1.7% off, close to the bound: 11 pairs narrow the median.
  it('runs a CPU-bound loop within 2% of the host (CPU time, concurrent pairs on one CPU, median of ratios)', async () => {
    const loop = 'i=0; while [ $i -lt 500000 ]; do i=$((i+1)); done; read ns rest < /proc/self/schedstat; echo "cpu-ns $ns" >&2';
    const pinned = ['/bin/busybox', 'taskset', '-c', '0', '/bin/busybox', 'sh', '-c', loop];
    const cpuSeconds = (text: string) => Number(/^cpu-ns (\d+)$/m.exec(text)?.[1] ?? NaN) / 1e9;
    const bundle = makeBundle(ws.dir, ['/bin/busybox', 'sh', '-c', `echo go; exec ${pinned.map((a) => `'${a}'`).join(' ')}`]);
    const onePair = () =>
      new Promise<{ host: number; container: number }>((resolve, reject) => {
        const container = spawn(process.execPath, [CLI, '--root', ws.state, 'run', '--bundle', bundle.dir, uniqueId('cpu')], { stdio: ['ignore', 'pipe', 'pipe'] });
        let containerErr = '';
        let host: Promise<number> | undefined;
        container.stderr.on('data', (d: Buffer) => (containerErr += d.toString()));
        container.stdout.on('data', (d: Buffer) => {
          if (host !== undefined || !d.toString().includes('go')) return;
          host = new Promise((done) => {
            const child = spawn(pinned[0]!, pinned.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            child.stderr.on('data', (e: Buffer) => (err += e.toString()));
            child.on('close', () => done(cpuSeconds(err)));
          });
        });
        container.on('error', reject);
        container.on('close', (code) => {
          if (code !== 0 || host === undefined) return reject(new Error(`container run failed (${code}): ${containerErr}`));
          void host.then((h) => resolve({ host: h, container: cpuSeconds(containerErr) }));
        });
      });
    const ratios: number[] = [];
    const samples: string[] = [];
    for (let i = 0; i < 11; i++) {
      const { host, container } = await onePair();
      ratios.push(container / host);
      samples.push(`${container.toFixed(3)}/${host.toFixed(3)}`);
    }
    const ratio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    expect(Number.isFinite(ratio), samples.join(' ')).toBe(true);
    expect(Math.abs(ratio - 1), `container/host CPU seconds: ${samples.join(' ')} (load ${loadavg()[0]!.toFixed(1)})`).toBeLessThan(0.02);
  }, 300_000);
});

describe.skipIf(!isRoot())('c-runtime seccomp', () => {
  it('applies linux.seccomp to the container process and to exec', async () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    const fg = await run(['sh', '-c', 'mkdir /tmp/x 2>&1; touch /tmp/ok && echo touched'], (s) => {
      s.linux!.seccomp = profile;
    });
    expect(fg.stdout).toMatch(/mkdir: can't create directory '\/tmp\/x': Operation not permitted\ntouched/);
    const bundle = makeBundle(ws.dir, ['sleep', '30'], (s) => {
      s.linux!.seccomp = profile;
    });
    const id = uniqueId('seccomp');
    expect((await cli(ws.state, ['run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    try {
      const r = await cli(ws.state, ['exec', id, 'sh', '-c', 'mkdir /tmp/y 2>&1; grep Seccomp: /proc/self/status']);
      expect(r.stdout).toMatch(/Operation not permitted/);
      expect(r.stdout).toMatch(/Seccomp:\s+2/);
    } finally {
      await cli(ws.state, ['delete', '--force', id]);
    }
  });
});
