import { describe, expect, it } from 'vitest';
import { ResponseReader, exchange, requestBytes, type ResponseHead } from './http-exchange';
import type { UnixPipe } from './unix-pipe';

/** A pipe whose peer sends `chunks` (then closes, unless `close` is false) once read starts; records what was written. */
function scriptedPipe(chunks: readonly (string | Buffer)[], close = true): UnixPipe & { written: Buffer[]; closed: boolean } {
  const pipe = {
    written: [] as Buffer[],
    closed: false,
    write: async (data: Buffer) => void pipe.written.push(data),
    read(onData: (chunk: Buffer) => void, onEnd: () => void) {
      setImmediate(() => {
        for (const chunk of chunks) if (!pipe.closed) onData(Buffer.from(chunk));
        if (close && !pipe.closed) onEnd();
      });
    },
    close: () => void (pipe.closed = true),
  };
  return pipe;
}

describe('requestBytes', () => {
  it('puts the API version before the path, encodes the query and leaves out unset parameters', () => {
    const body = Buffer.from('{"Image":"bb"}');
    const text = requestBytes('POST', '/c/run', { name: 'a b/c', skipped: undefined, condition: 'removed' }, { Connection: 'close' }, body).toString('latin1');
    expect(text).toBe(
      'POST /v1.43/c/run?name=a%20b%2Fc&condition=removed HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{"Image":"bb"}',
    );
    expect(requestBytes('POST', '/containers/x/kill', {}, {}).toString('latin1')).toBe('POST /v1.43/containers/x/kill HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n');
  });
});

describe('ResponseReader', () => {
  it('finds the head however the bytes are split, and passes on what follows it', () => {
    const heads: ResponseHead[] = [];
    const after: string[] = [];
    const reader = new ResponseReader((head) => heads.push(head), (chunk) => after.push(chunk.toString()));
    for (const byte of Buffer.from('HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\nX-Odd:  spaced \r\n\r\nabc')) reader.push(Buffer.from([byte]));
    reader.push(Buffer.from('def'));
    expect(heads).toEqual([{ status: 101, headers: { upgrade: 'tcp', 'x-odd': 'spaced' } }]);
    expect(after.join('')).toBe('abcdef');
    expect(reader.headReceived).toBe(true);
  });

  it('refuses a malformed status line and a head above 64 KiB', () => {
    expect(() => new ResponseReader(() => undefined, () => undefined).push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/malformed response: not an HTTP\/1\.x status line: "SSH-2.0-OpenSSH"/);
    const reader = new ResponseReader(() => undefined, () => undefined);
    expect(() => reader.push(Buffer.alloc(65 * 1024, 'a'))).toThrow(/a response head of more than 65536 bytes/);
  });
});

describe('exchange', () => {
  it('reads a body of Content-Length bytes without waiting for the close, and closes the pipe', async () => {
    const pipe = scriptedPipe(['HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{"Id":', '"x"}'], false);
    const { head, body } = await exchange(pipe, Buffer.from('request'));
    expect(head.status).toBe(201);
    expect(body.toString()).toBe('{"Id":"x"}');
    expect(pipe.written.map(String)).toEqual(['request']);
    expect(pipe.closed).toBe(true);
  });

  it('reads a body without Content-Length up to the close', async () => {
    const { head, body } = await exchange(scriptedPipe(['HTTP/1.1 404 Not Found\r\n\r\n', '{"message":"page not found"}']), Buffer.from('r'));
    expect(head.status).toBe(404);
    expect(JSON.parse(body.toString())).toEqual({ message: 'page not found' });
  });

  it('refuses chunked, truncated and oversized bodies, and a close before any answer', async () => {
    await expect(exchange(scriptedPipe(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n']), Buffer.from('r'))).rejects.toThrow(/a chunked body/);
    await expect(exchange(scriptedPipe(['HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{}']), Buffer.from('r'))).rejects.toThrow(/the body ended after 2 of 10 bytes/);
    await expect(exchange(scriptedPipe(['HTTP/1.1 200 OK\r\n\r\n', Buffer.alloc(1024 * 1024 + 1)]), Buffer.from('r'))).rejects.toThrow(/a body of more than 1048576 bytes/);
    await expect(exchange(scriptedPipe(['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n']), Buffer.from('r'))).rejects.toThrow(/Content-Length -1/);
    await expect(exchange(scriptedPipe([]), Buffer.from('r'))).rejects.toThrow(/the connection closed before a response/);
  });
});
