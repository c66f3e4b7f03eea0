/**
 * A reverse proxy in front of a registry that slows blob downloads to a set rate and records what it served,
 * so a test can kill a pull mid-download and then measure how much the resumed pull fetched again.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

export interface BlobRequest {
  path: string;
  range: string | undefined;
  status: number;
  /** Body bytes sent to the client so far. */
  bytes: number;
}

export interface SlowProxy {
  host: string;
  blobRequests: BlobRequest[];
  /** Blob body bytes sent since the last reset. */
  blobBytes(): number;
  setRate(bytesPerSecond: number | undefined): void;
  reset(): void;
  stop(): Promise<void>;
}

const PIECE = 64 * 1024;

class Throttle extends Transform {
  constructor(
    private readonly rate: () => number | undefined,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    void this.send(chunk).then(() => callback(), callback);
  }
  private async send(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += PIECE) {
      const piece = chunk.subarray(offset, offset + PIECE);
      const rate = this.rate();
      if (rate) await new Promise((resolve) => setTimeout(resolve, (piece.length / rate) * 1000));
      if (this.destroyed) return;
      this.push(piece);
      this.onBytes(piece.length);
    }
  }
}

export async function startSlowProxy(upstreamPort: number): Promise<SlowProxy> {
  let rate: number | undefined;
  const blobRequests: BlobRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!req.url?.includes('/blobs/') || req.method !== 'GET') {
          answer.pipe(res);
          return;
        }
        const record: BlobRequest = { path: req.url, range: req.headers.range, status: answer.statusCode ?? 0, bytes: 0 };
        blobRequests.push(record);
        const throttle = new Throttle(() => rate, (n) => (record.bytes += n));
        answer.pipe(throttle).pipe(res);
        res.on('close', () => {
          throttle.destroy();
          answer.destroy();
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    blobRequests,
    blobBytes: () => blobRequests.reduce((sum, r) => sum + r.bytes, 0),
    setRate: (value) => (rate = value),
    reset: () => void blobRequests.splice(0),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
