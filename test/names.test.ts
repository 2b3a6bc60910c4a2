/**
 * Names come from the matched code: the sample tree with its members, locals, parameters, the
 * global, its mutex and its setter all renamed still takes every fix, keeps none of the old
 * names in what the fixes insert, runs twice to the same bytes, and passes every sanitizer
 * scenario (the harness only knows the SWIG wrappers and the constructor lambda).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree, type Tree } from '../src/workspace.ts';
import { verifyTree } from '../src/verify/run.ts';
import { repoRoot } from './scenario-lib.ts';
import { assertSeriesCompiles } from './compile-lib.ts';

const RENAMES: [string, string][] = [
  ['m_mutex', 'm_state_lock'], ['m_ioc', 'm_context'], ['m_torrents', 'm_slots'], ['m_free_slots', 'm_recycled'],
  ['g_memory_disk_io_mutex', 'g_live_disk_guard'], ['g_memory_disk_io', 'g_live_disk'], ['set_global_memory_disk_io', 'publish_live_disk'],
  ['dio', 'instance'], ['handler', 'on_done'], ['storage', 'slot'],
  ['m_file_data', 'm_piece_bytes'], ['m_touched', 'm_recency'], ['buffer_used', 'm_pieces_held'], ['remove_piece', 'drop_piece'],
  ['memory_disk_memory_size', 'g_ram_per_torrent'], ['m_abort', 'm_aborting'],
];
const rename = (t: string) => RENAMES.reduce((s, [from, to]) => s.replace(new RegExp(`\\b${from}\\b`, 'g'), to), t);

const mods = await loadCodemods();
const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing' : false;

for (const fixture of ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head']) {
  const input: Tree = new Map([...readTree(join(repoRoot, fixture))].map(([p, t]) => [p, rename(t)]));
  const run = plan(input, mods);

  test(`${fixture}, renamed: every fix applies with the file's own names`, async () => {
    const { steps, tree } = await run;
    for (const s of steps) assert.equal(s.outcome.status, 'apply', `${s.codemod.meta.id}: ${JSON.stringify({ ...s.outcome, edits: undefined })}`);
    for (const [p, after] of tree) {
      const added = diffLines(input.get(p)!, after).filter((d) => d.added).map((d) => d.value).join('').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, ''); // code, not comments
      // members, globals and the setter must come from the file; new helper functions may name their own parameters
      for (const [old] of RENAMES.filter(([o]) => /^(m_|g_|set_)/.test(o))) assert.doesNotMatch(added, new RegExp(`\\b${old}\\b`), `${p}: a fix inserted the old name ${old}`);
    }
    const again = await plan(tree, mods);
    for (const s of again.steps) assert.equal(s.outcome.status, 'applied', s.codemod.meta.id);
    for (const [p, t] of again.tree) assert.equal(t, tree.get(p), `second run changed ${p}`);
  });
}

for (const fixture of ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head']) {
  test(`${fixture}, renamed: every prefix of the series compiles (C++14, g++ and clang++)`, { skip, timeout: 600_000 }, async () => {
    const input: Tree = new Map([...readTree(join(repoRoot, fixture))].map(([p, t]) => [p, rename(t)]));
    await assertSeriesCompiles(`${fixture}, renamed`, input, mods, { minPrefixes: mods.length });
  });
}

test('fixtures/sample, renamed and fixed: every sanitizer scenario passes', { skip, timeout: 900_000 }, async () => {
  const input: Tree = new Map([...readTree(join(repoRoot, 'fixtures/sample'))].map(([p, t]) => [p, rename(t)]));
  const v = await verifyTree((await plan(input, mods)).tree, { label: 'renamed' });
  assert.deepEqual(v.results.filter((r) => !r.pass).map((r) => `${r.name}: ${r.summary}`), []);
});
