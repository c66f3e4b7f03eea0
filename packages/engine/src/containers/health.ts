/**
 * Healthchecks (docker's HEALTHCHECK): every Interval, run Test in the container through exec; exit 0 = healthy,
 * anything else (or Timeout) is a failure; Retries consecutive failures make it unhealthy. Failures during
 * StartPeriod do not count. The last 5 results are kept in State.Health.Log.
 */
import type { HealthConfig } from '@c/image';
import type { ContainerService } from './service';
import type { ContainerRecord, HealthLogEntry } from './types';

export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 };
const KEEP_LOG = 5;
const MAX_OUTPUT = 4096;

export interface HealthTiming {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** Nanosecond durations of the image config → ms, with docker's defaults for zero/absent values. */
export function healthTiming(config: HealthConfig): HealthTiming {
  const ms = (ns: number | undefined, fallback: number) => (ns && ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : fallback);
  return {
    intervalMs: ms(config.Interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: ms(config.Timeout, HEALTH_DEFAULTS.timeoutMs),
    retries: config.Retries && config.Retries > 0 ? config.Retries : HEALTH_DEFAULTS.retries,
    startPeriodMs: ms(config.StartPeriod, HEALTH_DEFAULTS.startPeriodMs),
  };
}

/** The command to run, or undefined when checks are disabled (`NONE` or empty). */
export function healthCommand(test: readonly string[] | undefined): string[] | undefined {
  if (!test || test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'NONE') return undefined;
  if (kind === 'CMD') return rest.length > 0 ? rest : undefined;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

export interface ProbeOutcome {
  exitCode: number;
  output: string;
}

/** Applies one probe's result to a health state (pure). Returns whether the status changed. */
export function applyProbe(record: ContainerRecord, outcome: ProbeOutcome, start: Date, end: Date, timing: HealthTiming): boolean {
  const health = record.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
  const before = health.Status;
  const entry: HealthLogEntry = { Start: start.toISOString(), End: end.toISOString(), ExitCode: outcome.exitCode, Output: outcome.output.slice(0, MAX_OUTPUT) };
  health.Log = [...health.Log, entry].slice(-KEEP_LOG);
  if (outcome.exitCode === 0) {
    health.Status = 'healthy';
    health.FailingStreak = 0;
  } else {
    const inStartPeriod = end.getTime() - Date.parse(record.State.StartedAt) < timing.startPeriodMs;
    if (!(inStartPeriod && health.Status === 'starting')) {
      health.FailingStreak += 1;
      if (health.FailingStreak >= timing.retries) health.Status = 'unhealthy';
    }
  }
  record.State.Health = health;
  return health.Status !== before;
}

export class HealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly service: ContainerService) {}

  /** Starts probing a container that just started (nothing to do without a healthcheck). */
  watch(record: ContainerRecord): void {
    const config = record.Config.Healthcheck;
    const command = healthCommand(config?.Test);
    if (!config || !command) return;
    this.unwatch(record.Id);
    const timing = healthTiming(config);
    const id = record.Id;
    const schedule = () => {
      const timer = setTimeout(() => void probe(), timing.intervalMs);
      timer.unref();
      this.timers.set(id, timer);
    };
    const probe = async () => {
      const current = this.service.get(id);
      if (!current.State.Running) return this.unwatch(id);
      if (current.State.Paused) return schedule();
      const start = new Date();
      let outcome: ProbeOutcome;
      try {
        const run = this.service.exec.run(id, { cmd: command });
        const timeout = new Promise<ProbeOutcome>((resolve) => {
          const t = setTimeout(() => resolve({ exitCode: -1, output: `Health check exceeded timeout (${timing.timeoutMs / 1000}s)` }), timing.timeoutMs);
          t.unref();
        });
        outcome = await Promise.race([run.then((r) => ({ exitCode: r.exitCode, output: r.stdout + r.stderr })), timeout]);
      } catch (error) {
        outcome = { exitCode: -1, output: error instanceof Error ? error.message : String(error) };
      }
      let live: ContainerRecord;
      try {
        live = this.service.get(id);
      } catch {
        return this.unwatch(id);
      }
      if (!live.State.Running) return this.unwatch(id);
      if (applyProbe(live, outcome, start, new Date(), timing)) {
        this.service.emit(live, `health_status: ${live.State.Health!.Status}`);
      }
      this.service.save(live);
      schedule();
    };
    schedule();
  }

  unwatch(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

