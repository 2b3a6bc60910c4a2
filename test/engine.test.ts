/**
 * The engine's reading and parsing (src/engine.ts, src/workspace.ts, src/roles.ts): each file is
 * read at most once and parsed at most once plus once per fix that changes it; files whose bytes
 * do not name what a role needs are never parsed; a group that is a copy of another is planned
 * once, with the same outcomes as if it were planned on its own; step texts built lazily are the
 * texts the fixes produce. Counts come from parseStats, not from timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { plan, type Step } from '../src/engine.ts';
import { byFile, applyEdits, type Edit } from '../src/edits.ts';
import { parseStats, patternsOf, queryStats } from '../src/source.ts';
import { folderSource, readTree, type Tree } from '../src/workspace.ts';
import { stepLine } from '../src/steps.ts';
import { repoRoot } from './scenario-lib.ts';

const mods = await loadCodemods();
const sample = readTree(join(repoRoot, 'fixtures/sample'));

function resetStats(): void {
  parseStats.full = 0;
  parseStats.incremental = 0;
  parseStats.byPath.clear();
}

/** How many taken steps changed each file. */
function changesPerFile(steps: Step[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of steps) if (s.taken && s.outcome.status === 'apply') for (const f of byFile(s.outcome.edits).keys()) m.set(f, (m.get(f) ?? 0) + 1);
  return m;
}

test('each file of the sample is parsed once, plus once per fix that changes it; files that cannot be targets are not parsed', async () => {
  resetStats();
  assert.equal(queryStats.compilations, 0, 'nothing compiled before the first run');
  const { steps } = await plan(sample, mods);
  // the run's queries (the roles', every codemod's) are compiled once, as one query, each text once
  const texts = new Set([join(repoRoot, 'src/roles'), join(repoRoot, 'src/queries'), ...mods.map((m) => join(repoRoot, 'codemods', m.meta.id))].flatMap((d) =>
    readdirSync(d).filter((f) => f.endsWith('.scm')).map((f) => patternsOf(readFileSync(join(d, f), 'utf8')))));
  assert.equal(queryStats.compilations, 1, 'one compilation per run');
  assert.equal(queryStats.texts, texts.size, 'each distinct query text compiled once');
  assert.ok(texts.size < mods.reduce((n, m) => n + Object.keys(m.queries).length, 3), 'codemods share query texts');
  const changed = changesPerFile(steps);
  assert.ok(changed.size >= 2, 'the fixes change the header and a SWIG file');
  assert.equal(parseStats.full, parseStats.byPath.size, 'one full parse per file parsed');
  for (const [path, n] of parseStats.byPath) assert.equal(n, 1 + (changed.get(path) ?? 0), `${path}: ${n} parses for ${changed.get(path) ?? 0} change(s)`);
  assert.equal(parseStats.incremental, [...changed.values()].reduce((a, b) => a + b, 0), 'every re-parse after a fix is incremental');
  // the 1.2.x header names disk_interface but not buffer_allocator_interface: never parsed
  assert.ok(!parseStats.byPath.has('upgrade_1.2.x/libtorrent-go/memory_storage.hpp'), [...parseStats.byPath.keys()].join(', '));
  assert.ok(!parseStats.byPath.has('upgrade_1.2.x/libtorrent-go/interfaces/session.i'));
  assert.ok(parseStats.byPath.has('upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp'));
  await plan(sample, mods);
  assert.equal(queryStats.compilations, 1, 'a second run compiles nothing');
});

test('a folder is read once: reading a file a second time throws', () => {
  const files = folderSource(join(repoRoot, 'fixtures/sample'));
  const p = 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp';
  assert.ok(files.read(p, { all: ['disk_interface'] }, []));
  assert.throws(() => files.read(p, { all: ['disk_interface'] }, []), /read twice/);
});

/** The sample's 2.0.x group copied under several roots (and one copy changed), as a tree in memory. */
function copies(roots: string[], changed?: string): Tree {
  const tree: Tree = new Map();
  for (const r of roots) for (const [p, t] of sample) if (p.startsWith('upgrade_2.0.x/libtorrent-go/')) {
    const text = r === changed && p.endsWith('.hpp') ? `// another copy\n${t}` : t;
    tree.set(p.replace('upgrade_2.0.x/libtorrent-go', r), text);
  }
  return tree;
}

test('copies of a group, planned together, each get the outcomes they get planned on their own', async () => {
  const roots = ['a/lib', 'b', 'c/d/e', 'f'];
  const tree = copies(roots, 'f');
  const together = await plan(tree, mods);
  for (const r of roots) {
    const alone = await plan(new Map([...tree].filter(([p]) => p.startsWith(r + '/'))), mods);
    const mine = together.steps.filter((s) => s.group === r);
    assert.deepEqual(mine.map(stepLine), alone.steps.map(stepLine), `${r}: outcomes`);
    assert.deepEqual(mine.map((s) => s.changes), alone.steps.map((s) => s.changes), `${r}: changes`);
    for (const [p, t] of alone.tree) assert.equal(together.tree.get(p), t, `${p}: final text`);
  }
  // asking step by step (apply) plans every group: the same outcomes
  const asked = await plan(tree, mods, { decide: () => true });
  assert.deepEqual(asked.steps.map(stepLine), together.steps.map(stepLine));
});

test('a step\'s texts, built when first read, are the texts before and after its edits', async () => {
  const { steps, tree } = await plan(sample, mods);
  const state = new Map(sample);
  for (const s of steps) {
    if (s.outcome.status !== 'apply') { assert.deepEqual(s.changes, []); continue; }
    const edits = byFile(s.outcome.edits as Edit[]);
    assert.deepEqual(s.changes.map((c) => c.path), [...edits.keys()]);
    for (const c of s.changes) {
      assert.equal(c.before, state.get(c.path), `${s.codemod.meta.id}: before`);
      assert.equal(c.after, applyEdits(c.before, edits.get(c.path)!), `${s.codemod.meta.id}: after`);
      if (s.taken) state.set(c.path, c.after);
    }
  }
  assert.deepEqual([...tree].sort(), [...state].sort());
});

test('a folder: the plan\'s trees hold the files that passed a token test, as read and as fixed', async () => {
  const { steps, tree, original } = await plan(folderSource(join(repoRoot, 'fixtures/sample')), mods);
  // the three role files, session_params.i (it names memory_disk_io) and libtorrent.i (it includes the header); not 1.2.x's
  assert.deepEqual([...original.keys()].sort(), ['upgrade_2.0.x/libtorrent-go/interfaces/disk_interface.i', 'upgrade_2.0.x/libtorrent-go/interfaces/session.i', 'upgrade_2.0.x/libtorrent-go/interfaces/session_params.i', 'upgrade_2.0.x/libtorrent-go/libtorrent.i', 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp']);
  for (const [p, t] of original) assert.equal(t, sample.get(p));
  const fixed = await plan(sample, mods);
  assert.deepEqual(steps.map(stepLine), fixed.steps.map(stepLine));
  for (const [p, t] of tree) assert.equal(t, fixed.tree.get(p), p);
});

test('many different groups in a folder: each file parsed once, plus once per change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memfix-groups-'));
  try {
    // 40 different headers (a comment differs), each in its own folder
    const header = sample.get('upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp')!;
    for (let i = 0; i < 40; i++) {
      cpSync(join(repoRoot, 'fixtures/sample/upgrade_2.0.x/libtorrent-go'), join(dir, `g${i}`), { recursive: true });
      writeFileSync(join(dir, `g${i}`, 'memory_disk_io.hpp'), `// copy ${i}\n${header}`);
    }
    resetStats();
    const { steps } = await plan(folderSource(dir), mods);
    assert.equal(steps.length, 40 * mods.length);
    assert.equal(parseStats.full, 40 * 5, 'each group\'s five files (three roles, session_params.i, libtorrent.i), once');
    assert.equal(parseStats.incremental, 40 * [...changesPerFile(steps).values()].reduce((a, b) => a + b, 0) / 40);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
