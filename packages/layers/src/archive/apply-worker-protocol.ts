/** The messages between apply-in-worker.ts (the parent thread) and apply-worker.ts (the worker thread). */
import { CError, ERROR_CODES, type ErrorCode } from '@c/errors';
import type { ApplyOptions, ApplyResult } from './apply';

/** Bumped whenever these messages change: a worker built from other sources refuses to run (see WORKER_UNAVAILABLE). */
export const APPLY_WORKER_PROTOCOL = 1;

/** What a worker starts with: the options minus the signal (the parent aborts with a message instead). */
export interface ApplyWorkerData {
  protocol: number;
  root: string;
  options: Omit<ApplyOptions, 'signal'>;
}

/** The details key of a failure that says the worker could not run at all (missing, unloadable, other protocol). */
export const WORKER_UNAVAILABLE = 'workerUnavailable';

/** A CError as structured clone carries it (a class instance arrives as a plain object). */
export interface WireError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details: Record<string, unknown>;
}

export type ParentMessage = { type: 'bytes'; bytes: Uint8Array } | { type: 'end' } | { type: 'abort'; error: WireError };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'consumed'; bytes: number }
  | { type: 'done'; result: ApplyResult }
  | { type: 'failed'; error: WireError };

export function toWire(error: CError): WireError {
  const wire: WireError = { code: error.code, message: error.message, details: cloneableDetails(error.details) };
  if (error.hint !== undefined) wire.hint = error.hint;
  return wire;
}

export function fromWire(wire: WireError): CError {
  const code = (ERROR_CODES as readonly string[]).includes(wire.code) ? wire.code : 'INTERNAL';
  return new CError(code, wire.message, { details: wire.details, ...(wire.hint !== undefined ? { hint: wire.hint } : {}) });
}

/** Details that structured clone can carry: strings, numbers and booleans as they are, anything else as JSON. */
function cloneableDetails(details: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === undefined || value === null || ['string', 'number', 'boolean'].includes(typeof value)) kept[key] = value;
    else kept[key] = jsonOrString(value);
  }
  return kept;
}

function jsonOrString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
