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
