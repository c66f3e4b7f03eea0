/** What the CLI tests' fake daemons answer with: a JSON response, a hijacked multiplexed stream, a control frame. */
import type { Socket } from 'node:net';
import { encodeFrame } from '@c/api';

export const json = (socket: Socket, status: string, value: unknown): void => {
  const body = JSON.stringify(value);
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
};

/** 101, then `frames`; ends the socket unless `end` is false. */
export const upgraded = (socket: Socket, frames: Buffer[], end = true): void => {
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  for (const frame of frames) socket.write(frame);
  if (end) socket.end();
};

/** A stream-3 frame carrying one RunStreamControl message. */
export const control = (message: unknown): Buffer => encodeFrame(3, JSON.stringify(message));
