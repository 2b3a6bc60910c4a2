#!/usr/bin/env node
'use strict';
// memfix runs the JavaScript that `npm run build` (esbuild, build.mjs; run by `npm ci` through `prepare`)
// compiles from src/ and codemods/ into dist/: no TypeScript is transpiled at run time. This file
// and what it loads are CommonJS (bin/package.json): node starts its ES module loader only when a
// command imports an ES module (the prompt library), not for every run (~12 ms of each here).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist', 'src');
const cli = join(dist, 'cli.cjs');
if (!existsSync(cli)) {
  process.stderr.write(`memfix: ${join(__dirname, '..')}: not built: run \`npm run build\` there\n`);
  process.exit(2);
}
// The command is done, and what it wrote is written (memfix writes its files synchronously and
// awaits every process it starts). What is left in the event loop (a handle being closed, an
// immediate, the finalizers of the parser's native trees) kept the process 6-80 ms past its last
// line of output on the upstream-shaped tree: end now, once stdout and stderr have handed over
// all they hold (pipes and terminals may be asynchronous on some systems).
const drained = (s) => (s.writableLength ? new Promise((resolve) => { s.once('drain', resolve); s.once('error', resolve); }) : undefined);
const { main } = require(cli);
main(process.argv.slice(2)).then(async (code) => {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit();
});
