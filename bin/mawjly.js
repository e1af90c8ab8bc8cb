#!/usr/bin/env node
// Entry point of the `mawjly` command: runs the compiled CLI (npm start builds it first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write(
    'mawjly: the compiled CLI is missing; run `npm run build` (npm start does it for you)\n',
  );
  process.exit(1);
}
await import(compiled.href);
