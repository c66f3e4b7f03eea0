/**
 * A unix-socket connection straight on libuv's pipe handle (Node's `pipe_wrap` and `stream_wrap` bindings), without
 * `node:net` and the stream modules it loads. Those cost ~13 ms of CPU per start-up here (measured: a request over
 * `net.connect` vs the same bytes over this handle, both against an instant server, docs/decisions/0015), which is
 * most of what `c run` adds to Node's own start. The bindings are reached through `process.binding`, which Node
 * still serves for these names (DEP0111 is documentation-only); `openUnixPipe` returns undefined when they are
 * missing or shaped differently, and the caller then takes the `node:net` path.
 */
import { getSystemErrorName } from 'node:util';

/** The parts of the bindings used here, as Node 20 shapes them (checked at run time before use). */
interface PipeHandle {
  connect(request: object, path: string): number;
  readStart(): number;
  writeBuffer(request: object, data: Buffer): number;
  close(callback?: () => void): void;
  /** Must stay a function (Node asserts it). */
  onread: (arrayBuffer: ArrayBuffer) => void;
}
interface Bindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete?: (status: number) => void };
  WriteWrap: new () => { handle?: PipeHandle; oncomplete?: (status: number) => void; buffer?: Buffer };
  socketType: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
  eof: number;
}

let bindings: Bindings | null | undefined;

function loadBindings(): Bindings | null {
  // With --pending-deprecation Node would print a warning for process.binding: take the net path instead.
  if (process.execArgv.includes('--pending-deprecation') || /--pending-deprecation/.test(process.env.NODE_OPTIONS ?? '')) return null;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const pipe = binding('pipe_wrap');
    const stream = binding('stream_wrap');
    const uv = binding('uv');
    const constants = pipe.constants as Record<string, unknown> | undefined;
    const found = {
      Pipe: pipe.Pipe,
      PipeConnectWrap: pipe.PipeConnectWrap,
      WriteWrap: stream.WriteWrap,
      socketType: constants?.SOCKET,
      state: stream.streamBaseState,
      kReadBytesOrError: stream.kReadBytesOrError,
      kArrayBufferOffset: stream.kArrayBufferOffset,
      kLastWriteWasAsync: stream.kLastWriteWasAsync,
      eof: uv.UV_EOF,
    };
    const shaped =
      typeof found.Pipe === 'function' &&
      typeof found.PipeConnectWrap === 'function' &&
      typeof found.WriteWrap === 'function' &&
      typeof found.socketType === 'number' &&
      found.state instanceof Int32Array &&
      [found.kReadBytesOrError, found.kArrayBufferOffset, found.kLastWriteWasAsync, found.eof].every((value) => typeof value === 'number') &&
      ['connect', 'readStart', 'writeBuffer', 'close'].every((method) => typeof (found.Pipe as { prototype: Record<string, unknown> }).prototype[method] === 'function');
    return shaped ? (found as Bindings) : null;
  } catch {
    return null;
  }
}

/** An error of the pipe, with the errno name as `code` (ENOENT, ECONNREFUSED…) like node:net's. */
export class PipeError extends Error {
  constructor(
    readonly code: string,
    readonly syscall: string,
    readonly path: string,
  ) {
    super(`${syscall} ${code} ${path}`);
  }
}

function pipeError(status: number, syscall: string, path: string): PipeError {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `E${-status}`;
  }
  return new PipeError(code, syscall, path);
}

export interface UnixPipe {
  /** Resolves once the bytes were handed to the kernel. */
  write(data: Buffer): Promise<void>;
  /** Starts reading: `onData` gets each chunk, `onEnd` the end (no error) or a read error. */
  read(onData: (chunk: Buffer) => void, onEnd: (error?: PipeError) => void): void;
  close(): void;
}

/**
 * Connects to the unix socket `path`. Undefined when the bindings are not usable here (the caller uses node:net);
 * rejects with a PipeError when the connect fails.
 */
export function openUnixPipe(path: string): Promise<UnixPipe> | undefined {
  if (bindings === undefined) bindings = loadBindings();
  const b = bindings;
  if (b === null) return undefined;
  return new Promise((resolve, reject) => {
    const handle = new b.Pipe(b.socketType);
    const request = new b.PipeConnectWrap();
    request.oncomplete = (status) => {
      if (status < 0) {
        handle.close();
        reject(pipeError(status, 'connect', path));
      } else resolve(wrap(b, handle, path));
    };
    const status = handle.connect(request, path);
    if (status < 0) {
      handle.close();
      reject(pipeError(status, 'connect', path));
    }
  });
}

const ignoreRead = (): void => undefined;

function wrap(b: Bindings, handle: PipeHandle, path: string): UnixPipe {
  let closed = false;
  return {
    write(data) {
      return new Promise((resolve, reject) => {
        if (closed) return reject(pipeError(-32, 'write', path));
        const request = new b.WriteWrap();
        request.handle = handle;
        request.buffer = data; // held until the write completes
        request.oncomplete = (status) => (status < 0 ? reject(pipeError(status, 'write', path)) : resolve());
        const status = handle.writeBuffer(request, data);
        if (status < 0) reject(pipeError(status, 'write', path));
        else if (b.state[b.kLastWriteWasAsync] === 0) resolve();
      });
    },
    read(onData, onEnd) {
      handle.onread = (arrayBuffer) => {
        const nread = b.state[b.kReadBytesOrError]!;
        if (nread > 0) onData(Buffer.from(arrayBuffer, b.state[b.kArrayBufferOffset]!, nread));
        else if (nread < 0) onEnd(nread === b.eof ? undefined : pipeError(nread, 'read', path));
      };
      const status = handle.readStart();
      if (status < 0) onEnd(pipeError(status, 'read', path));
    },
    close() {
      if (closed) return;
      closed = true;
      handle.onread = ignoreRead;
      handle.close();
    },
  };
}
