/** Reading what the user types or pipes in. */
import { createInterface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks one question on the terminal; `hidden` keeps a password off the screen. */
export async function prompt(question: string, hidden: boolean, input: Readable = process.stdin, output: Writable = process.stdout): Promise<string> {
  output.write(question);
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output: echo, terminal: true });
  muted = hidden;
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    if (hidden) output.write('\n');
  }
}
