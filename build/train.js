// Run by build.mjs after bundling: runs the command line as users do most (scan, series, check of
// fixtures/sample), then writes V8's code cache for the command line and for the engine, which
// then hold the code of every function those runs compiled: dist/src/cli.v8cache and
// dist/src/commands/engine.v8cache (see build/script-loader.cjs). Its output is of no interest:
// the build discards it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist', 'src');
const require = createRequire(import.meta.url);
// the command line as the bin loads it, without a cache (this run makes it)
const cli = require(join(dist, 'script-loader.cjs')).load(join(dist, 'cli.cjs'), join(dist, 'none.v8cache'));
const sample = join(root, 'fixtures', 'sample');
const out = mkdtempSync(join(tmpdir(), 'memfix-train-'));
try {
  const patches = join(out, 'patches');
  const runs = [
    ['scan', sample],
    ['series', sample, '-o', patches, '--author', 'memfix build <build@memfix.invalid>', '--date', '2026-01-01T00:00:00Z'],
    ['check', sample, '--patches', patches],
  ];
  for (const args of runs) {
    const code = await cli.exports.main(args);
    if (code !== 0 && code !== 1) throw new Error(`memfix ${args[0]} exited ${code}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
// the engine the command line loaded (the same module: require's cache)
const { engineScript } = require(join(dist, 'commands', 'index.cjs'));
writeFileSync(join(dist, 'commands', 'engine.v8cache'), engineScript.createCachedData());
writeFileSync(join(dist, 'cli.v8cache'), cli.script.createCachedData());
process.exit(0);
