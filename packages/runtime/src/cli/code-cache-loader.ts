#!/usr/bin/env node
// dist/c-runtime.cjs, the `c-runtime` bin: runs the CLI bundle (dist/c-runtime-main.cjs) from a V8 code cache kept
// next to it (@c/tooling/code-cache-loader), so a start-up deserializes code instead of compiling ~170 kB of
// JavaScript (issue #4: compile 14.5 -> 1.9 ms).
import { join } from 'node:path';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';

loadWithCodeCache(join(__dirname, 'c-runtime-main.cjs'), require);
