import { version } from '../../package.json';
import type { GlobalOptions } from '../context';

export async function run(_argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  process.stdout.write(
    [
      'Client:',
      ` Version:    ${version}`,
      ` Node:       ${process.version}`,
      ` OS/Arch:    ${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      ` Root:       ${globals.root}`,
      '',
    ].join('\n'),
  );
}
