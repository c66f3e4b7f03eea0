/**
 * c's own endpoints for `c run` (not Docker's; the Docker sequence create → attach → wait → start stays served as
 * it is): the same steps in one exchange, so the CLI opens one connection instead of four and the daemon parses one
 * request. `POST /c/run` creates and starts (`c run -d`); `POST /c/run/stream` creates, attaches, arms the wait,
 * starts, streams the output and ends with the wait's result (`c run`). The wire format is in @c/api's types
 * (`RunDetachedResponse`, `RunStreamControl`).
 */
import type { Readable } from 'node:stream';
import { SYSTEMERR, encodeFrame, type RunStartError, type RunStreamControl } from '@c/api';
import { CError } from '@c/errors';
import type { ContainerRecord, CreateContainerOptions, WaitCondition } from '@c/engine';
import type { ContainersBackend } from '../containers/backend';
import { parseCreateRequest } from '../containers/create-body';
import { outputWriter, type Attachment, type PendingAttachments } from '../containers/stdio';
import { errorResponse } from '../http-status';
import { queryFlag, readJsonBody, sendJson } from '../http/respond';
import type { Route, StreamContext } from '../http/router';
import { startFailure } from './start-failure';

/** The route list's start: the container's pending attachments join it. */
type Start = (containerId: string) => Promise<void>;

const STREAM_CONDITIONS = new Set<WaitCondition>(['next-exit', 'removed']);

/** Starts a created container; a failure becomes what `POST …/start` would have answered (and removes an --rm one). */
async function startOrFailure(containers: ContainersBackend, start: Start, record: ContainerRecord): Promise<RunStartError | undefined> {
  try {
    await start(record.Id);
    return undefined;
  } catch (error) {
    const { status, body } = errorResponse(await startFailure(containers, record, error));
    return { message: body.message, status };
  }
}

/** A created container and the promise of its record on disk (already kept where the backend cannot defer it). */
async function createForRun(containers: ContainersBackend, options: CreateContainerOptions): Promise<{ record: ContainerRecord; durable: Promise<void> }> {
  if (containers.createForStart !== undefined) return containers.createForStart(options);
  return { record: await containers.create(options), durable: Promise.resolve() };
}

/**
 * Starts the container while its record's fsync runs (the start does not depend on it), then waits for that fsync:
 * nothing reports the container before its record is durable, as `POST /containers/create` would have. A record
 * that cannot be made durable fails the run: the container is removed and the failure reported as its start's
 * (unless the start itself failed: that error is reported).
 */
async function startDurably(containers: ContainersBackend, start: Start, record: ContainerRecord, durable: Promise<void>): Promise<RunStartError | undefined> {
  const startError = await startOrFailure(containers, start, record);
  try {
    await durable;
    return startError;
  } catch (cause) {
    await containers.remove(record.Id, { force: true }).catch(() => undefined);
    // A failed start says more than the disk error that follows it.
    if (startError) return startError;
    const error = new CError('INTERNAL', `container ${record.Id}: its record could not be written to disk: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      hint: "check the disk under the daemon's root (space, errors in the kernel log)",
    });
    const { status, body } = errorResponse(error);
    return { message: body.message, status };
  }
}

export function runRoutes(containers: ContainersBackend, pending: PendingAttachments, start: Start): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/c/run',
      handler: async ({ req, res, query }) => {
        const { options, warnings } = parseCreateRequest(await readJsonBody(req), query.get('name'));
        const { record, durable } = await createForRun(containers, options);
        const startError = await startDurably(containers, start, record, durable);
        sendJson(res, 201, { Id: record.Id, Warnings: warnings, ...(startError ? { StartError: startError } : {}) });
      },
    },
    {
      method: 'POST',
      pattern: '/c/run/stream',
      stream: (context) => runStream(containers, pending, start, context),
    },
  ];
}

async function runStream(containers: ContainersBackend, pending: PendingAttachments, start: Start, context: StreamContext): Promise<void> {
  const { query } = context;
  const condition = (query.get('condition') || 'next-exit') as WaitCondition;
  if (!STREAM_CONDITIONS.has(condition)) {
    throw new CError('INVALID_ARGUMENT', `invalid condition: "${condition}"`, { hint: 'use next-exit or removed' });
  }
  const { options, warnings } = parseCreateRequest(await context.readJsonPrefix(), query.get('name'));
  if (condition === 'removed' && !options.autoRemove) {
    // The stream would never end: nothing removes a container without AutoRemove once it exits.
    throw new CError('INVALID_ARGUMENT', 'condition=removed needs HostConfig.AutoRemove', { hint: 'set AutoRemove (c run --rm) or wait for next-exit' });
  }
  const { record, durable } = await createForRun(containers, options);

  const stream = context.open('application/vnd.docker.multiplexed-stream');
  const control = (message: RunStreamControl): void => {
    stream.write(encodeFrame(SYSTEMERR, JSON.stringify(message)));
  };
  // Output the container writes while its record's fsync ends waits for the start's control message (which
  // always comes first, as before the fsync overlapped the start).
  let held: Buffer[] | undefined = [];
  const send = (chunk: Buffer): void => {
    if (held !== undefined) held.push(chunk);
    else stream.write(chunk);
  };
  // Always frames, a TTY's output too: the control messages share the stream.
  const write = outputWriter(send, false);

  let withdraw = (): void => undefined;
  const ended = new Promise<void>((resolve) => {
    const attachment: Attachment = {
      ...(queryFlag(query, 'stdin') && record.Config.OpenStdin ? { stdin: stream.input as Readable } : {}),
      stdout: (chunk) => write(1, chunk),
      stderr: (chunk) => write(2, chunk),
      end: resolve,
    };
    withdraw = pending.add(record.Id, attachment);
  });
  // Armed before the start, as `docker run` does, so that a container that exits at once is not missed.
  const waited = containers.wait(record.Id, condition);
  waited.catch(() => undefined);

  const startError = await startDurably(containers, start, record, durable);
  // After the start, so that the client's first resize finds the container running.
  control({ Id: record.Id, Warnings: warnings, ...(startError ? { StartError: startError } : {}) });
  const output = held;
  held = undefined;
  if (startError) {
    withdraw();
    stream.end();
    return;
  }
  for (const chunk of output) stream.write(chunk);
  await ended;
  try {
    const { StatusCode, Error: error } = await waited;
    control({ StatusCode, Error: error ?? null });
  } catch (error) {
    // The wait itself failed (e.g. the record vanished): the client gets no status and says so.
    control({ StatusCode: -1, Error: { Message: errorResponse(error).body.message } });
  }
  stream.end();
}
