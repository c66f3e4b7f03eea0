#!/usr/bin/env node
// The c-runtime CLI (runc-compatible). Kept thin: parsing and dispatch live in cli/main.
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`c-runtime: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
