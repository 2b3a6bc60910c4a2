/**
 * The sanitizer proof, both directions: on our unpatched sample the read scenarios fail with
 * AddressSanitizer's heap-use-after-free and the global scenario with its use-after-free; with
 * every fix applied (sample, early and head shapes) every scenario passes.
 * Needs g++ and libtorrent-rasterbar-dev: skipped locally without them, a failure under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadCodemods } from '../src/registry.ts';
import { plan } from '../src/engine.ts';
import { readTree } from '../src/workspace.ts';
import { verifyTree } from '../src/verify/run.ts';

const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing (apt-get install -y g++ libtorrent-rasterbar-dev)' : false;
const fixture = (p: string) => readTree(fileURLToPath(new URL(`../fixtures/${p}/`, import.meta.url)));
const mods = await loadCodemods();

test('unpatched sample: the bugs are real', { skip, timeout: 600_000 }, async () => {
  const v = await verifyTree(fixture('sample'), { label: 'before' });
  const by = new Map(v.results.map((r) => [r.name, r.summary]));
  const readScenarios = v.scenarios.filter((s) => s.name.startsWith('read-') && s.fix === 'copy-on-read').map((s) => s.name);
  assert.ok(readScenarios.length >= 5, `read scenarios: ${readScenarios}`);
  for (const n of readScenarios) assert.match(by.get(n)!, /AddressSanitizer: heap-use-after-free/, n);
  assert.match(by.get('global-after-destroy')!, /use-after-free/);
  for (const n of ['stale-read', 'stale-hash']) assert.notEqual(by.get(n), 'pass', n);
});

for (const shape of ['sample', 'shapes/early', 'shapes/head']) {
  test(`${shape} with every fix applied: every scenario passes`, { skip, timeout: 600_000 }, async () => {
    const fixed = (await plan(fixture(shape), mods)).tree;
    const v = await verifyTree(fixed, { label: 'after' });
    const failed = v.results.filter((r) => !r.pass).map((r) => `${r.name}: ${r.summary}`);
    assert.deepEqual(failed, []);
    assert.ok(v.results.length >= 13);
  });
}

const memfix = fileURLToPath(new URL('../bin/memfix.js', import.meta.url));
const cli = (args: string[], cwd?: string) => spawnSync(process.execPath, [memfix, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 900_000 });

test('a tree that does not build: exit 2 with the compiler\'s first error; --compare still shows the fixed column', { skip, timeout: 900_000 }, () => {
  const head = fileURLToPath(new URL('../fixtures/shapes/head/', import.meta.url));
  const r = cli(['verify', head]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /^memfix: cannot build: .*error/m);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const c = cli(['verify', head, '--compare']);
  assert.equal(c.status, 0, c.stdout + c.stderr);
  assert.match(c.stdout, /read-clear-piece\s+copy-on-read\s+does not build\s+pass/);
  assert.match(c.stdout, /before: cannot build/);
});

test('series --verify: every prefix compiles, the cover letter carries the before/after table', { skip, timeout: 900_000 }, async () => {
  const { mkdtempSync, cpSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'memfix-series-verify-'));
  try {
    cpSync(fileURLToPath(new URL('../fixtures/sample/', import.meta.url)), join(dir, 'tree'), { recursive: true });
    const r = cli(['series', join(dir, 'tree'), '-o', join(dir, 'p'), '--verify', '--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const id of ['free-disk-buffer', 'copy-on-read', 'guarded-global', 'storage-generation']) assert.match(r.stdout, new RegExp(`compiles after ${id}: yes`));
    const cover = readFileSync(join(dir, 'p', '0000-cover-letter.patch'), 'utf8');
    assert.match(cover, /scenario\s+proves\s+before\s+after/);
    assert.match(cover, /read-clear-piece\s+copy-on-read\s+AddressSanitizer: heap-use-after-free\s+pass/);
    assert.match(cover, /global-after-destroy\s+guarded-global\s+AddressSanitizer: heap-use-after-free\s+pass/);
    assert.match(cover, /stale-read\s+storage-generation\s+.+\s+pass/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
