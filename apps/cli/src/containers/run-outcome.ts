/**
 * What `c run` makes of the daemon's answers, shared by both clients of c's run endpoints: commands/run.ts (node:net,
 * any flags) and run-client/ (the lean path). Light imports only: the lean bundle includes this file.
 */
import type { ContainerWaitResponse, RunDetachedResponse, RunStartError, RunStreamStarted } from '@c/api';
import { errorCodeForStatus } from '@c/api';
import { CError, toCError } from '@c/errors';
import { EXIT_USAGE, runFailureExitCode } from '../exit-codes';
import { reportError } from '../report-error';
import { printWarnings } from './create';

/** The signals `c run` without a terminal forwards to the container (docker's --sig-proxy). */
export const PROXIED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Reports a failed start; the exit code is docker's for it (126, 127 or 125, from the message). */
export function startFailureExit(error: unknown, debug: boolean): number {
  const cerror = toCError(error);
  reportError(cerror, debug);
  return runFailureExitCode(cerror.message);
}

export function startErrorExit(startError: RunStartError, debug: boolean): number {
  return startFailureExit(new CError(errorCodeForStatus(startError.status), startError.message, { details: { status: startError.status } }), debug);
}

/**
 * The daemon is not trusted to send what the types say: an answer of another shape is reported (125), never read
 * as a status (an exit code of `undefined` would be 0, or would make the lean client hand a created container's
 * command line back to the full client, which would run it again).
 */
function malformed(what: string): CError {
  return new CError('UNAVAILABLE', `the daemon sent a malformed run answer: ${what}`, { hint: 'check that -H/$C_HOST names a c daemon; see the daemon log' });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkStartError(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value) || typeof value.message !== 'string' || typeof value.status !== 'number') throw malformed('a StartError without a message and a status');
}

function checkWarnings(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value) || !value.every((warning) => typeof warning === 'string')) throw malformed('Warnings that are not a list of strings');
}

/** `POST /c/run`'s answer: the warnings, then the start failure or the container's ID on stdout. */
export function detachedRunExit(answer: RunDetachedResponse, debug: boolean, stdout: (text: string) => void): number {
  if (!isRecord(answer) || typeof answer.Id !== 'string' || answer.Id === '') throw malformed('no container Id');
  checkWarnings(answer.Warnings);
  checkStartError(answer.StartError);
  printWarnings(answer.Warnings);
  if (answer.StartError) return startErrorExit(answer.StartError, debug);
  stdout(`${answer.Id}\n`);
  return 0;
}

/**
 * The control messages of `POST /c/run/stream` (stream-3 frames): the start's outcome, then the container's status.
 * `started` runs once the container runs (to forward signals or follow the window size).
 */
export class RunStreamOutcome {
  private startError: RunStartError | undefined;
  private exited: ContainerWaitResponse | undefined;

  constructor(private readonly started: (id: string) => void) {}

  control(payload: Buffer): void {
    const message = JSON.parse(payload.toString('utf8')) as unknown;
    if (!isRecord(message)) throw malformed('a control message that is not an object');
    if ('Id' in message) {
      if (typeof message.Id !== 'string' || message.Id === '') throw malformed('a container Id that is not a string');
      checkWarnings(message.Warnings);
      checkStartError(message.StartError);
      const started = message as unknown as RunStreamStarted;
      printWarnings(started.Warnings);
      if (started.StartError) this.startError = started.StartError;
      else this.started(started.Id);
    } else {
      if (!Number.isSafeInteger(message.StatusCode)) throw malformed(`the exit status ${JSON.stringify(message.StatusCode)}`);
      this.exited = message as unknown as ContainerWaitResponse;
    }
  }

  /** Once the stream ended: reports what went wrong and returns the exit code (the container's own when it ran). */
  exitCode(debug: boolean): number {
    if (this.startError) return startErrorExit(this.startError, debug);
    if (!this.exited) {
      reportError(new CError('UNAVAILABLE', 'the daemon ended the run stream without the container’s exit status', { hint: 'see the daemon log' }), debug);
      return EXIT_USAGE;
    }
    if (this.exited.Error?.Message) process.stderr.write(`Error: ${this.exited.Error.Message}\n`);
    // A negative status is the daemon's: its wait failed.
    return this.exited.StatusCode < 0 ? EXIT_USAGE : this.exited.StatusCode;
  }
}
