// Privileged: `c-runtime run` on busybox bundles checks what the container sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, isRoot, makeBundle, uniqueId, workspace } from './helpers';

const ws = workspace('run');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

async function run(args: string[], edit?: Parameters<typeof makeBundle>[2], input?: string) {
  const bundle = makeBundle(ws.dir, args, edit);
  return cli(ws.state, ['run', '--bundle', bundle.dir, uniqueId('run')], { input });
}

describe.skipIf(!isRoot())('c-runtime run', () => {
  it('runs as PID 1 with its own hostname and the spec mounts', async () => {
    const r = await run(['sh', '-c', 'echo pid=$$; hostname; cat /proc/self/mountinfo; echo procs=$(ls /proc | grep -c "^[0-9]")']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pid=1\ne2e-box\n/);
    const mounts = r.stdout.split('\n').slice(2).join('\n');
    expect(mounts).toMatch(/ \/proc rw.* - proc proc/);
    expect(mounts).toMatch(/ \/dev\/pts rw.* - devpts devpts .*newinstance|ptmxmode=666/);
    expect(mounts).toMatch(/ \/sys ro,.* - sysfs sysfs/);
    expect(mounts).toMatch(/ \/dev\/shm rw.* - tmpfs shm/);
    expect(mounts).toMatch(/ \/dev\/mqueue rw.* - mqueue mqueue/);
    // Nothing of the host's mount table leaks in (the host has /work, /sys/fs/cgroup...).
    expect(mounts).not.toMatch(/ \/work/);
    // /proc belongs to the container's pid namespace: sh, its subshell, ls and grep; the host has hundreds.
    expect(Number(/procs=(\d+)/.exec(r.stdout)?.[1])).toBeLessThanOrEqual(5);
  });

  it('masks /proc and /sys paths and makes readonlyPaths read-only', async () => {
    const r = await run(['sh', '-c', 'wc -c < /proc/keys; wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname && echo wrote || echo refused']);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['0', '0', '0', 'refused']);
  });

  it('grants exactly the spec capabilities (Docker defaults) and no_new_privs', async () => {
    const r = await run(['sh', '-c', 'grep -E "^(CapEff|CapBnd|CapPrm|NoNewPrivs)" /proc/self/status']);
    expect(r.stdout).toMatch(/CapPrm:\s+00000000a80425fb/);
    expect(r.stdout).toMatch(/CapEff:\s+00000000a80425fb/);
    expect(r.stdout).toMatch(/CapBnd:\s+00000000a80425fb/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it('sets rlimits and clamps a nofile hard limit above the host\'s with a warning', async () => {
    const r = await run(['sh', '-c', 'grep -E "open files|core file" /proc/self/limits'], (s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 },
        { type: 'RLIMIT_CORE', soft: 1000, hard: 2000 },
      ];
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Max open files\s+20000\s+20000/);
    expect(r.stdout).toMatch(/Max core file size\s+1000\s+2000/);
    expect(r.stderr).toMatch(/RLIMIT_NOFILE.*clamped to 20000/);
  });

  it('applies env, cwd, user and additional groups', async () => {
    const r = await run(['sh', '-c', 'echo $FOO; pwd; id -u; id -g; id -G; grep CapEff /proc/self/status'], (s) => {
      s.process!.env = ['PATH=/bin', 'FOO=bar baz'];
      s.process!.cwd = '/tmp/work';
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] };
    });
    expect(r.stdout.split('\n').slice(0, 5)).toEqual(['bar baz', '/tmp/work', '1000', '1000', '1000 10 20']);
    // A non-root user keeps no capabilities without ambient ones.
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000000/);
  });

  it('creates /dev nodes 0666 whatever the umask, so a non-root user can write /dev/null', async () => {
    const r = await run(['sh', '-c', 'echo x > /dev/null && echo null-ok; echo y > /dev/full || echo full-refused; head -c 3 /dev/zero | wc -c; stat -c "%n %a" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; stat -c "%n %a %u:%g" /dev/mine; echo z > /dev/mine && echo mine-ok'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      // A spec device with its own mode and owner (a null device the user owns, mode 0600).
      s.linux!.devices = [{ path: '/dev/mine', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 1000 }];
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 11)).toEqual([
      'null-ok',
      'full-refused',
      '3',
      '/dev/null 666',
      '/dev/zero 666',
      '/dev/full 666',
      '/dev/random 666',
      '/dev/urandom 666',
      '/dev/tty 666',
      '/dev/mine 600 1000:1000',
      'mine-ok',
    ]);
    // The ENOSPC of /dev/full, not a permission error.
    expect(r.stderr).toMatch(/No space left on device/);
  });

  it('returns the process exit status and 127 for a missing executable', async () => {
    expect((await run(['sh', '-c', 'exit 7'])).code).toBe(7);
    const missing = await run(['nope']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('exec: "nope": executable file not found in $PATH');
  });

  it('passes stdin through', async () => {
    const r = await run(['sh', '-c', 'cat | wc -l'], undefined, 'a\nb\nc\n');
    expect(r.stdout.trim()).toBe('3');
  });

  it('reports a failing spec mount with the syscall and path, and leaves no state behind', async () => {
    const bundle = makeBundle(ws.dir, ['true'], (s) => s.mounts!.push({ destination: '/x', type: 'nosuchfs', source: 'none' }));
    const id = uniqueId('bad');
    const r = await cli(ws.state, ['run', '--bundle', bundle.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mount\(.*\/x.*\) failed: ENODEV/);
    expect((await cli(ws.state, ['state', id])).stderr).toMatch(/container does not exist/);
  });
});
