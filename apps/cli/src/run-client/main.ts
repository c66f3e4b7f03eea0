/**
 * dist/c-run.cjs: `c run` without a terminal or stdin (`c run [--rm|-d] IMAGE CMD…`, any flags fast-run.ts parses),
 * over c-daemon's run endpoints on a bare libuv pipe (unix-pipe.ts). It loads neither node:net nor the stream
 * modules nor c-main.cjs: on this 2-core VM that is ~13-20 ms of CPU less per `c run`, which is what the 20-parallel
 * and single start targets of issue 5 are made of (docs/decisions/0015).
 *
 * Anything else goes to `fallback` (the bin then runs c-main.cjs, the full client) before a byte that could change
 * anything was sent, or after an answer that says nothing changed: -i/-t, flags that fail to parse, no bindings,
 * no daemon listening (the full client starts one), and any HTTP error (before the upgrade or the 201 nothing was
 * created; the full client then pulls a missing image or reports the error in its usual words). So behaviour stays
 * the full client's.
 */
import { writeSync } from 'node:fs';
import { FrameDecoder, STDERR, STDOUT, SYSTEMERR } from '@c/api';
import type { ContainerCreateRequest, RunDetachedResponse } from '@c/api';
import { CError, toCError } from '@c/errors';
import { runFlagsFrom } from '../containers/create';
import { createBody } from '../containers/create-body';
import { PROXIED_SIGNALS, RunStreamOutcome, detachedRunExit } from '../containers/run-outcome';
import { resolveDaemonTarget } from '../daemon/host';
import { EXIT_USAGE } from '../exit-codes';
import { parseFastRun } from '../fast-run';
import { globalsFrom } from '../lazy';
import { reportError } from '../report-error';
import { ResponseReader, exchange, requestBytes } from './http-exchange';
import { openUnixPipe, type UnixPipe } from './unix-pipe';

interface LeanRun {
  socketPath: string;
  body: Buffer;
  name: string | undefined;
  detach: boolean;
  rm: boolean;
  debug: boolean;
}

/** What to send, or undefined when the full client must take this command line. */
async function planRun(args: readonly string[]): Promise<LeanRun | undefined> {
  try {
    const parsed = parseFastRun(args);
    if (!parsed) return undefined;
    const { argv } = parsed;
    if (argv.tty || argv.interactive) return undefined;
    const globals = globalsFrom(argv);
    const flags = await runFlagsFrom(argv);
    const body: ContainerCreateRequest = createBody(flags);
    const target = resolveDaemonTarget({ host: globals.host, env: process.env, root: globals.root, rootGiven: globals.rootGiven });
    return {
      socketPath: target.socketPath,
      body: Buffer.from(JSON.stringify(body)),
      name: typeof argv.name === 'string' ? argv.name : undefined,
      detach: Boolean(flags.detach),
      rm: Boolean(flags.rm),
      debug: globals.debug,
    };
  } catch {
    return undefined; // the full client reports it in its words
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes all of `data` to fd 1 or 2, blocking (the container's output waits in the daemon meanwhile). An fd left
 * non-blocking by whoever started us is retried; a reader that went away ends c quietly, as SIGPIPE would.
 */
function writeOutput(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) {
    try {
      done += writeSync(fd, data, done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') sleepMs(1);
      else if (code === 'EPIPE') process.exit(128 + 13);
      else throw error;
    }
  }
}

const stdout = (text: string): void => writeOutput(1, Buffer.from(text));

/**
 * Forwards the signals of PROXIED_SIGNALS to the container (docker's --sig-proxy), each as a kill request of its
 * own; failures are ignored, as the full client ignores them. The undo also closes the requests still waiting for
 * an answer: once the container has exited, a daemon that never answers them must not keep c alive.
 */
function proxySignals(socketPath: string, id: string): () => void {
  const pending = new Set<UnixPipe>();
  const forward = (signal: NodeJS.Signals): void => {
    openUnixPipe(socketPath)
      ?.then((pipe) => {
        pending.add(pipe);
        return exchange(pipe, requestBytes('POST', `/containers/${encodeURIComponent(id)}/kill`, { signal }, { Connection: 'close' })).finally(() => pending.delete(pipe));
      })
      .catch(() => undefined);
  };
  const handlers = PROXIED_SIGNALS.map((signal): [NodeJS.Signals, () => void] => [signal, () => forward(signal)]);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    for (const pipe of pending) pipe.close();
  };
}

/**
 * What runDetached and runAttached return when the daemon answered an error status before creating anything: the
 * full client runs the command line again. Nothing else may lead there (the container may exist by then).
 */
const HAND_BACK = Symbol('hand back');
type Outcome = number | typeof HAND_BACK;

/** An error status (4xx, 5xx): c-daemon answers one only before it created anything. Any other is no such proof. */
const refused = (status: number): boolean => status >= 400;

function unexpectedStatus(status: number): CError {
  return new CError('UNAVAILABLE', `the daemon answered the run request with status ${status}`, { hint: 'see `c ps -a` and the daemon log' });
}

/** The request went out but no usable answer came back: the container may exist, so this is reported, not retried. */
function lostAnswer(cause?: unknown): CError {
  return new CError('UNAVAILABLE', 'the daemon did not answer the run request', { hint: 'see `c ps -a` and the daemon log', cause });
}

/** `c run -d`: `POST /c/run`. HAND_BACK when the daemon answered an error status: nothing was created. */
async function runDetached(pipe: UnixPipe, run: LeanRun): Promise<Outcome> {
  let status: number;
  let answer: RunDetachedResponse | undefined;
  try {
    const { head, body } = await exchange(pipe, requestBytes('POST', '/c/run', { name: run.name }, { Connection: 'close' }, run.body));
    status = head.status;
    if (status === 201) answer = JSON.parse(body.toString('utf8')) as RunDetachedResponse;
  } catch (error) {
    reportError(lostAnswer(error), run.debug);
    return EXIT_USAGE;
  }
  if (refused(status)) return HAND_BACK;
  if (answer === undefined) throw unexpectedStatus(status); // main reports it
  return detachedRunExit(answer, run.debug, stdout);
}

/**
 * `c run`: `POST /c/run/stream`, then the container's output and the control messages until its status. HAND_BACK
 * when the daemon answered without upgrading: the create failed, nothing was created.
 */
function runAttached(pipe: UnixPipe, run: LeanRun): Promise<Outcome> {
  return new Promise((resolve) => {
    const frames = new FrameDecoder();
    let unfollow = (): void => undefined;
    const outcome = new RunStreamOutcome((id) => {
      unfollow = proxySignals(run.socketPath, id);
    });
    let settled = false;
    const finish = (code: Outcome): void => {
      if (settled) return;
      settled = true;
      pipe.close();
      unfollow();
      resolve(code);
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      reportError(toCError(error), run.debug);
      finish(EXIT_USAGE);
    };
    const reader = new ResponseReader(
      (head) => {
        if (refused(head.status)) finish(HAND_BACK);
        else if (head.status !== 101) fail(unexpectedStatus(head.status));
      },
      (chunk) => {
        for (const frame of frames.push(chunk)) {
          if (settled) return;
          if (frame.stream === STDOUT || frame.stream === STDERR) writeOutput(frame.stream, frame.payload);
          else if (frame.stream === SYSTEMERR) outcome.control(frame.payload);
        }
      },
    );
    pipe.read(
      (chunk) => {
        try {
          if (!settled) reader.push(chunk);
        } catch (error) {
          fail(error);
        }
      },
      (error) => {
        if (!reader.headReceived) return fail(lostAnswer(error));
        if (error) return fail(new CError('UNAVAILABLE', 'the connection to the daemon broke during the run', { hint: 'see `c ps -a` and the daemon log', cause: error }));
        try {
          frames.end();
        } catch (cut) {
          return fail(cut);
        }
        finish(outcome.exitCode(run.debug));
      },
    );
    pipe
      .write(requestBytes('POST', '/c/run/stream', { condition: run.rm ? 'removed' : 'next-exit', name: run.name }, { Connection: 'Upgrade', Upgrade: 'tcp' }, run.body))
      .catch((error: unknown) => fail(lostAnswer(error)));
  });
}

/** Runs `c run` here, or calls `fallback` (synchronously or later) for the full client. */
export async function main(args: readonly string[], fallback: () => void): Promise<void> {
  const run = await planRun(args);
  const connecting = run && openUnixPipe(run.socketPath);
  const pipe = connecting && (await connecting.catch(() => undefined));
  if (!run || !pipe) return fallback();
  let code: Outcome;
  try {
    code = run.detach ? await runDetached(pipe, run) : await runAttached(pipe, run);
  } catch (error) {
    // Sent: whatever failed here (a malformed answer, fd 1 closed) is reported, never handed back.
    pipe.close();
    reportError(toCError(error), run.debug);
    code = EXIT_USAGE;
  }
  if (code === HAND_BACK) return fallback();
  process.exitCode = code;
}
