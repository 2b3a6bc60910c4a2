/**
 * The fixes survive a reformatted header: fixtures/sample's memory_disk_io.hpp is run through
 * clang-format with each of its base styles (the SWIG .i files are left alone: clang-format
 * cannot format SWIG), then every fix must still apply, the tree must compile after each fix
 * (C++14, g++ and clang++), and a second run must change nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { plan, type Step } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree, type Tree } from '../src/workspace.ts';
import { assertSeriesCompiles } from './compile-lib.ts';
import { repoRoot } from './scenario-lib.ts';

const STYLES = ['LLVM', 'Google', 'Chromium', 'Mozilla', 'WebKit', 'GNU', 'Microsoft'];
const HEADER = 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp';

const version = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
const available = !version.error && version.status === 0;
const reason = available ? undefined : `clang-format is not installed (${version.error?.message ?? version.stderr?.trim() ?? 'exit ' + version.status}); apt-get install -y clang-format`;

if (!available && process.env.CI === 'true') {
  test('clang-format is installed (required on CI)', () => assert.fail(reason));
}

const describeOutcome = (s: Step) => `${s.codemod.meta.id}: ${JSON.stringify({ ...s.outcome, edits: undefined })}`;

function clangFormat(text: string, style: string): string {
  const r = spawnSync('clang-format', [`--style=${style}`, '--assume-filename=x.hpp'], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`clang-format --style=${style} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

const mods = await loadCodemods();
const sample = readTree(join(repoRoot, 'fixtures/sample'));

for (const style of STYLES) {
  test(`clang-format --style=${style}: every fix applies, a second run changes nothing, every prefix compiles (C++14, g++ and clang++)`, { skip: reason, timeout: 600_000 }, async () => {
    const header = sample.get(HEADER);
    assert.ok(header !== undefined, `${HEADER} is missing from fixtures/sample`);
    const formatted = clangFormat(header, style);
    assert.notEqual(formatted, header, `clang-format --style=${style} left the header unchanged: the test would prove nothing`);
    const input: Tree = new Map(sample);
    input.set(HEADER, formatted);

    const { steps, tree } = await plan(input, mods);
    assert.equal(steps.length, mods.length, steps.map(describeOutcome).join('\n'));
    const notApplied = steps.filter((s) => s.outcome.status !== 'apply');
    assert.deepEqual(notApplied.map(describeOutcome), [], `with --style=${style}`);
    assert.notEqual(tree.get(HEADER), formatted, 'the header was not changed');

    const again = await plan(tree, mods);
    for (const s of again.steps) assert.equal(s.outcome.status, 'applied', `second run, --style=${style}: ${describeOutcome(s)}`);
    for (const [p, t] of again.tree) assert.ok(t === tree.get(p), `second run changed ${p} (--style=${style})`);

    // every prefix of the series and the patched tree: C++14, -pedantic-errors, g++ and clang++
    await assertSeriesCompiles(`--style=${style}`, input, mods, { minPrefixes: mods.length });
  });
}
