#!/usr/bin/env node
// The `kvc` executable: runs the compiled CLI (built by `npm install` through the root `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error(
    'kvc: the CLI is not built (apps/cli/dist/main.js is missing).\nhint: run `npm install` (or `npm run build`) at the repository root.',
  );
  process.exit(1);
}
const { run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
