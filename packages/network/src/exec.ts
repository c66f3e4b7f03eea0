import { spawn } from 'node:child_process';
import { CError } from '@c/errors';

/** Runs one host tool (`ip`, `nft`, `nsenter`, `sysctl`-like writes go through fs). A seam for unit tests. */
export interface CommandRunner {
  run(argv: readonly string[], input?: string): Promise<string>;
}

/** Runs commands with child_process.spawn; a non-zero exit becomes a CError naming the command and its stderr. */
export class SpawnRunner implements CommandRunner {
  run(argv: readonly string[], input?: string): Promise<string> {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new CError('INTERNAL', 'empty command line'));
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (cause) =>
        reject(
          new CError('UNAVAILABLE', `cannot run ${file}: ${cause.message}`, {
            cause,
            hint: `install ${file === 'nft' ? 'nftables' : file === 'ip' ? 'iproute2' : file} (apt-get install -y ${file === 'nft' ? 'nftables' : file === 'ip' ? 'iproute2' : 'util-linux'})`,
          }),
        ),
      );
      child.on('close', (code) => {
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const stderr = Buffer.concat(err).toString('utf8').trim();
        reject(
          new CError('SYSCALL', `${argv.join(' ')} failed (exit ${code}): ${stderr}`, {
            hint: 'networking needs root (CAP_NET_ADMIN); check the message for the interface or rule that failed',
            details: { argv, input, stderr, exitCode: code },
          }),
        );
      });
      // A tool that exits without reading stdin makes the write fail with EPIPE: its exit code tells the story.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }
}

/** Records every command and answers from a handler: unit tests assert the exact commands sent to the kernel tools. */
export class RecordingRunner implements CommandRunner {
  readonly calls: { argv: string[]; input: string | undefined }[] = [];
  constructor(private readonly answer: (argv: readonly string[], input?: string) => string = () => '') {}
  async run(argv: readonly string[], input?: string): Promise<string> {
    this.calls.push({ argv: [...argv], input });
    return this.answer(argv, input);
  }
}
