import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingRunner } from '../exec';

/**
 * A stand-in for iproute2 and nft in unit tests: records every command, and keeps a fake /sys/class/net and
 * /proc/sys in a temp dir so that "does the link exist" and sysctl writes behave like the real thing.
 */
export class FakeKernel {
  readonly root = mkdtempSync(join(tmpdir(), 'c-fake-kernel-'));
  readonly sysfs = join(this.root, 'sys/class/net');
  readonly procSys = join(this.root, 'proc/sys');
  routes: { dst: string; dev?: string; type?: string }[] = [{ dst: '192.0.2.0/24', dev: 'eth0' }];
  readonly runner: RecordingRunner;

  constructor() {
    mkdirSync(join(this.sysfs, 'eth0'), { recursive: true });
    writeFileSync(join(this.sysfs, 'eth0', 'mtu'), '1450\n');
    mkdirSync(join(this.procSys, 'net/ipv4'), { recursive: true });
    this.runner = new RecordingRunner((argv, input) => this.answer(argv, input));
  }

  /** The commands sent so far, as one string each ("argv | first input line ..."). */
  commands(): string[] {
    return this.runner.calls.map((c) => [c.argv.join(' '), ...(c.input?.trim().split('\n') ?? [])].filter((l) => l !== '').join(' | '));
  }

  clear(): void {
    this.runner.calls.length = 0;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private addLink(name: string): void {
    mkdirSync(join(this.sysfs, name), { recursive: true });
    mkdirSync(join(this.procSys, 'net/ipv4/conf', name), { recursive: true });
  }

  private answer(argv: readonly string[], input?: string): string {
    const command = argv.join(' ');
    if (command === 'ip -j -4 route show default') return JSON.stringify([{ dst: 'default', dev: 'eth0', gateway: '192.0.2.1' }]);
    if (command === 'ip -j -4 route show table all') return JSON.stringify(this.routes);
    if (command.startsWith('ip link del ')) rmSync(join(this.sysfs, argv[3] ?? 'x'), { recursive: true, force: true });
    if (command === 'ip -batch -') {
      for (const line of input?.split('\n') ?? []) {
        const match = /^link add name (\S+)/.exec(line);
        if (match?.[1]) this.addLink(match[1]);
      }
    }
    return '';
  }
}
