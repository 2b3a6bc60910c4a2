// Run by build.mjs after bundling: runs the engine as users do most (scan, series, check of
// fixtures/sample), then writes V8's code cache for it, which then holds the code of every
// function those runs compiled, to dist/src/commands/engine.v8cache (see build/engine-loader.js).
// Its output is of no interest: the build discards it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { engineScript, scan, series, check } = await import(new URL('../dist/src/commands/index.js', import.meta.url).href);
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
