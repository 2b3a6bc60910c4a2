#!/usr/bin/env node
// memfix runs the JavaScript that `npm run build` (esbuild, build.mjs; run by `npm ci` through `prepare`)
// compiles from src/ and codemods/ into dist/: no TypeScript is transpiled at run time.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(`memfix: ${fileURLToPath(new URL('..', import.meta.url))}: not built: run \`npm run build\` there\n`);
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
