// Run by build.mjs after bundling: runs the engine as users do most (scan, series, check of
// fixtures/sample), then writes V8's code cache for it, which then holds the code of every
// function those runs compiled, to dist/src/commands/engine.v8cache (see build/engine-loader.cjs).
// Its output is of no interest: the build discards it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { engineScript, scan, series, check } = createRequire(import.meta.url)('../dist/src/commands/index.cjs');
const sample = join(root, 'fixtures', 'sample');
const out = mkdtempSync(join(tmpdir(), 'memfix-train-'));
try {
  const patches = join(out, 'patches');
  await scan(sample, {});
  await series(sample, { output: patches, author: 'memfix build <build@memfix.invalid>', date: '2026-01-01T00:00:00Z' });
  await check(sample, { patches });
} finally {
  rmSync(out, { recursive: true, force: true });
}
writeFileSync(join(root, 'dist', 'src', 'commands', 'engine.v8cache'), engineScript.createCachedData());
process.exit(0);
