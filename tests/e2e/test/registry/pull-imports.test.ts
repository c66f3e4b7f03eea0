/**
 * What a cold pull loads before its first request: the BUILT `@c/engine/images` entry (what bench/pull-c.mjs and
 * an ESM embedder import) is one module with its workspace packages inside, and importing it loads neither zlib
 * nor child_process (unpack, import, save and mounts load them on first use) nor koffi (the first lock does), nor
 * http/https (plain-HTTP GETs go over bare sockets; uploads and TLS load them) nor worker_threads (hash workers).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const IMAGES_DIST = resolve(here, '../../../../packages/engine/dist/images/index.js');

// Prints the built-in modules and the CommonJS files the import loaded, as JSON.
const PROBE = `
const before = new Set(process.moduleLoadList);
const { createImageService } = await import(process.argv[1]);
createImageService({ root: '/nonexistent/c-probe' });
const { createRequire } = await import('node:module');
const cjs = Object.keys(createRequire(import.meta.url).cache);
const natives = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13));
console.log(JSON.stringify({ natives, cjs }));
`;

describe.skipIf(!existsSync(IMAGES_DIST))('@c/engine/images (built) on a cold pull path', () => {
  it('imports no other workspace module: they are bundled in', () => {
    const source = readFileSync(IMAGES_DIST, 'utf8');
    expect(source).toMatch(/from\s*["']node:net["']|from\s*["']net["']/); // the pattern below sees imports
    expect(source.match(/from\s*["']@c\/[^"']+["']/g) ?? []).toEqual([]);
  });

  it('loads neither zlib, child_process, http, https, worker_threads nor koffi at import', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, IMAGES_DIST], {
      encoding: 'utf8',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
    });
    const { natives, cjs } = JSON.parse(out) as { natives: string[]; cjs: string[] };
    expect(natives).toContain('net'); // the probe saw the import's built-ins
    for (const name of ['zlib', 'child_process', 'http', 'https', 'worker_threads']) expect(natives).not.toContain(name);
    expect(cjs.filter((path) => path.includes('koffi'))).toEqual([]);
  });
});
