/**
 * Restart policies (`no`, `on-failure[:N]`, `always`, `unless-stopped`) and docker's backoff: the delay starts at
 * 100 ms and doubles after each restart, capped at 1 minute, and resets once a run lasted 10 s or more.
 */
import { CError } from '@c/errors';
import type { RestartPolicy } from './types';

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
/** A run this long counts as a success for the backoff: the next delay starts over. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

export function parseRestartPolicy(input: string | undefined): RestartPolicy {
  if (input === undefined || input === '' || input === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count, ...rest] = input.split(':');
  const invalid = new CError('INVALID_ARGUMENT', `invalid restart policy "${input}"`, {
    hint: 'use no, always, unless-stopped or on-failure[:max-retries]',
  });
  if (rest.length > 0) throw invalid;
  if (name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw new CError('INVALID_ARGUMENT', `maximum retry count cannot be used with restart policy '${name}'`, { hint: 'only on-failure takes a count' });
    return { Name: name, MaximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    const max = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(max) || max < 0) throw invalid;
    return { Name: 'on-failure', MaximumRetryCount: max };
  }
  throw invalid;
}

export interface ExitFacts {
  exitCode: number;
  /** The user stopped or killed it (docker: the policy does not apply to a manual stop). */
  manuallyStopped: boolean;
  /** Restarts made so far under this policy. */
  restartCount: number;
}

export function shouldRestart(policy: RestartPolicy, facts: ExitFacts): boolean {
  if (facts.manuallyStopped) return false;
  switch (policy.Name) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      if (facts.exitCode === 0) return false;
      return policy.MaximumRetryCount === 0 || facts.restartCount < policy.MaximumRetryCount;
  }
}

/** The next delay given the previous one (0 = none yet) and how long the last run lasted. */
export function nextBackoff(previousMs: number, ranForMs: number): number {
  if (ranForMs >= BACKOFF_RESET_AFTER_MS || previousMs === 0) return BACKOFF_START_MS;
  return Math.min(previousMs * 2, BACKOFF_MAX_MS);
}
