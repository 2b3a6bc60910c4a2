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
// The command is done, and what it wrote is written (memfix writes its files synchronously and
// awaits every process it starts). What is left in the event loop (a handle being closed, an
// immediate, the finalizers of the parser's native trees) kept the process 6-80 ms past its last
// line of output on the upstream-shaped tree: end now, once stdout and stderr have handed over
// all they hold (pipes and terminals may be asynchronous on some systems).
const drained = (s) => (s.writableLength ? new Promise((resolve) => { s.once('drain', resolve); s.once('error', resolve); }) : undefined);
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit();
