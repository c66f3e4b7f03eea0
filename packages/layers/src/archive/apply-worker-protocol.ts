/** The messages between apply-in-worker.ts (the parent thread) and apply-worker.ts (the worker thread). */
import { CError, ERROR_CODES, type ErrorCode } from '@c/errors';
import type { ApplyOptions, ApplyResult } from './apply';

/** What a worker starts with: the options minus the signal (the parent aborts with a message instead). */
export interface ApplyWorkerData {
  root: string;
  options: Omit<ApplyOptions, 'signal'>;
}

/** A CError as structured clone carries it (a class instance arrives as a plain object). */
export interface WireError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details: Record<string, unknown>;
}

export type ParentMessage = { type: 'bytes'; bytes: Uint8Array } | { type: 'end' } | { type: 'abort'; error: WireError };

export type WorkerMessage = { type: 'consumed'; bytes: number } | { type: 'done'; result: ApplyResult } | { type: 'failed'; error: WireError };

export function toWire(error: CError): WireError {
  const wire: WireError = { code: error.code, message: error.message, details: cloneableDetails(error.details) };
  if (error.hint !== undefined) wire.hint = error.hint;
  return wire;
}

export function fromWire(wire: WireError): CError {
  const code = (ERROR_CODES as readonly string[]).includes(wire.code) ? wire.code : 'INTERNAL';
  return new CError(code, wire.message, { details: wire.details, ...(wire.hint !== undefined ? { hint: wire.hint } : {}) });
}

/** Details that structured clone can carry: strings, numbers, booleans (what the layer code puts there). */
function cloneableDetails(details: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === undefined || value === null || ['string', 'number', 'boolean'].includes(typeof value)) kept[key] = value;
    else kept[key] = String(value);
  }
  return kept;
}
