// Privileged: commit (container changes → new image that runs), healthchecks, logs follow.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isRoot } from '../runtime/helpers';
import { logText, removeAll, setup, type Env } from './support';

let env: Env;
beforeAll(async () => {
  if (!isRoot()) return;
  ensureBuilt();
  env = await setup('commit');
}, 180_000);
afterEach(async () => {
  if (env) await removeAll(env.service);
});
afterAll(async () => {
  await env?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!isRoot())('containers: commit, health, follow', () => {
  it('commit turns the changes into a new image whose containers see them', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo baked > /etc/baked; rm /bin/wc'] });
    await env.service.start(c.Id);
    await env.service.wait(c.Id);
    const result = await env.service.commit(c.Id, { reference: 'baked:v1', comment: 'from e2e', changes: ['CMD ["cat", "/etc/baked"]', 'ENV BAKED=yes'] });
    expect(result.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.reference).toBe('docker.io/library/baked:v1');
    const d = await env.service.create({ image: 'baked:v1' });
    expect(d.Image).toBe(result.id);
    expect(d.Config.Cmd).toEqual(['cat', '/etc/baked']);
    expect(d.Config.Env).toContain('BAKED=yes');
    await env.service.start(d.Id);
    expect(await env.service.wait(d.Id)).toEqual({ StatusCode: 0 });
    expect(await logText(env.service, d.Id)).toBe('baked\n');
    const e = await env.service.create({ image: 'baked:v1', cmd: ['sh', '-c', 'test -e /bin/wc && echo present || echo gone'] });
    await env.service.start(e.Id);
    await env.service.wait(e.Id);
    expect(await logText(env.service, e.Id)).toBe('gone\n');
    // Without a repository the image is untagged (docker's <none>:<none>), known by its id.
    const untagged = await env.service.commit(c.Id, { reference: '' });
    expect(untagged.reference).toBe('');
    expect(untagged.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('commit refuses a config past the bounds a pulled one must keep (10,001 labels), storing nothing', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['true'] });
    const changes = Array.from({ length: 10_001 }, (_, i) => `LABEL k${i}=v`);
    await expect(env.service.commit(c.Id, { reference: 'toomany:1', changes })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/config\.Labels: 10001 entries/) });
    await expect(env.service.create({ image: 'toomany:1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const atLimit = await env.service.commit(c.Id, { reference: 'many:1', changes: changes.slice(1) });
    expect(Object.keys((await env.service.create({ image: 'many:1' })).Config.Labels ?? {})).toHaveLength(10_000);
    expect(atLimit.id).toMatch(/^sha256:/);
  });

  it('healthcheck: healthy while the probe passes, unhealthy after Retries failures, health_status events', async () => {
    const events: string[] = [];
    const unsubscribe = env.service.events.subscribe((e) => {
      if (e.Action.startsWith('health_status')) events.push(e.Action);
    });
    try {
      const c = await env.service.create({
        image: 'busybox:e2e',
        // The probe passes from the first run: with a marker the command had to create first, two probes before a
        // slow start created it made the container unhealthy before it was healthy.
        cmd: ['sleep', '100'],
        healthcheck: { Test: ['CMD-SHELL', 'test ! -e /tmp/failing'], Interval: 300e6, Timeout: 5e9, Retries: 2 },
      });
      expect(c.State.Health).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] });
      await env.service.start(c.Id);
      const deadline = Date.now() + 30_000;
      while (env.service.inspect(c.Id).State.Health?.Status !== 'healthy' && Date.now() < deadline) await sleep(100);
      expect(env.service.inspect(c.Id).State.Health?.Status).toBe('healthy');
      expect(env.service.list().find((s) => s.Id === c.Id)?.Status).toMatch(/\(healthy\)$/);
      await env.service.exec.run(c.Id, { cmd: ['touch', '/tmp/failing'] });
      while (env.service.inspect(c.Id).State.Health?.Status !== 'unhealthy' && Date.now() < deadline + 30_000) await sleep(100);
      const health = env.service.inspect(c.Id).State.Health!;
      expect(health.Status).toBe('unhealthy');
      expect(health.FailingStreak).toBeGreaterThanOrEqual(2);
      expect(health.Log.at(-1)?.ExitCode).toBe(1);
      expect(events).toEqual(['health_status: healthy', 'health_status: unhealthy']);
    } finally {
      unsubscribe();
    }
  }, 120_000);

  it('logs --follow streams lines as they come and ends when the container exits; tail and timestamps filter', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.2; done'] });
    await env.service.start(c.Id);
    const seen: { line: string; at: number }[] = [];
    for await (const e of env.service.logs(c.Id, { follow: true, pollMs: 20 })) seen.push({ line: e.line, at: Date.now() });
    expect(seen.map((s) => s.line)).toEqual(['line1\n', 'line2\n', 'line3\n', 'line4\n', 'line5\n']);
    // They arrived over time, not all at the end.
    expect(seen[4]!.at - seen[0]!.at).toBeGreaterThan(400);
    const tail: string[] = [];
    for await (const e of env.service.logs(c.Id, { tail: 2 })) tail.push(e.line);
    expect(tail).toEqual(['line4\n', 'line5\n']);
    const all: { time: string }[] = [];
    for await (const e of env.service.logs(c.Id)) all.push(e);
    const since: string[] = [];
    for await (const e of env.service.logs(c.Id, { since: all[2]!.time })) since.push(e.line);
    expect(since).toEqual(['line3\n', 'line4\n', 'line5\n']);
  });
});
