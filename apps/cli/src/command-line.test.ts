import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './command-line';

afterEach(() => {
  process.exitCode = undefined;
});

async function usageError(args: string[]): Promise<string> {
  const lines: string[] = [];
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((text) => lines.push(String(text)) > 0);
  try {
    await main(args);
  } finally {
    stderr.mockRestore();
  }
  return lines.join('');
}

describe('the full command line', () => {
  it.each([[['ps', '--format']], [['ps', '-f']], [['exec', '-e']], [['ps', '--bogus']]])('reports a usage error with exit 125: %j', async (args) => {
    const text = await usageError(args);
    expect(text).toMatch(/^Error: .+: see 'c --help'\n$/);
    expect(process.exitCode).toBe(125);
  });
});
