/**
 * The engine's reading and parsing (src/engine.ts, src/workspace.ts, src/roles.ts): each file is
 * read at most once and parsed at most once plus once per fix that changes it; files whose bytes
 * do not name what a role needs are never parsed; a group that is a copy of another is planned
 * once, with the same outcomes as if it were planned on its own; step texts built lazily are the
 * texts the fixes produce. Counts come from spies on tree-sitter's parser and query classes and on
 * node's fs (test/spies.ts), not from timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { plan, type Step } from '../src/engine.ts';
import { byFile, applyEdits, type Edit } from '../src/edits.ts';
import { patternsOf } from '../src/source.ts';
import { folderSource, readTree, type Tree } from '../src/workspace.ts';
import { stepLine } from '../src/steps.ts';
import { repoRoot } from './scenario-lib.ts';
import { spyParses, spyQueries, spyReads } from './spies.ts';

const mods = await loadCodemods();
const sample = readTree(join(repoRoot, 'fixtures/sample'));

/** How many taken steps changed each file. */
function changesPerFile(steps: Step[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of steps) if (s.taken && s.outcome.status === 'apply') for (const f of byFile(s.outcome.edits).keys()) m.set(f, (m.get(f) ?? 0) + 1);
  return m;
}

test('each file of the sample is parsed once, plus once per fix that changes it; files that cannot be targets are not parsed', async () => {
  const queries = spyQueries();
  const parses = spyParses(sample);
  try {
    const { steps } = await plan(sample, mods);
    // the run's queries (the roles', every codemod's) are compiled once, as one query, each text once
    const texts = new Set([join(repoRoot, 'src/roles'), join(repoRoot, 'src/queries'), ...mods.map((m) => join(repoRoot, 'codemods', m.meta.id))].flatMap((d) =>
      readdirSync(d).filter((f) => f.endsWith('.scm')).map((f) => patternsOf(readFileSync(join(d, f), 'utf8')))));
    assert.equal(queries.compiled.length, 1, 'one compilation per run');
    // the one query is the texts joined, one a line (patternsOf makes each text one line)
    assert.deepEqual(queries.compiled[0]!.split('\n').sort(), [...texts].sort(), 'each distinct query text compiled once');
    assert.ok(texts.size < mods.reduce((n, m) => n + Object.keys(m.queries).length, 3), 'codemods share query texts');
    const changed = changesPerFile(steps);
    assert.ok(changed.size >= 2, 'the fixes change the header and a SWIG file');
    assert.ok(!parses.byPath.has('?'), 'every parse is of a file of the sample, or of one a fix changed');
    assert.equal(parses.full, parses.byPath.size, 'one full parse per file parsed');
    for (const [path, n] of parses.byPath) assert.equal(n, 1 + (changed.get(path) ?? 0), `${path}: ${n} parses for ${changed.get(path) ?? 0} change(s)`);
    assert.equal(parses.incremental, [...changed.values()].reduce((a, b) => a + b, 0), 'every re-parse after a fix is incremental');
    // the 1.2.x header names disk_interface but not buffer_allocator_interface: never parsed
    assert.ok(!parses.byPath.has('upgrade_1.2.x/libtorrent-go/memory_storage.hpp'), [...parses.byPath.keys()].join(', '));
    assert.ok(!parses.byPath.has('upgrade_1.2.x/libtorrent-go/interfaces/session.i'));
    assert.ok(parses.byPath.has('upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp'));
    await plan(sample, mods);
    assert.equal(queries.compiled.length, 1, 'a second run compiles nothing');
  } finally {
    queries.stop();
    parses.stop();
  }
});

test('a folder: the plan reads each file at most once', async () => {
  const dir = join(repoRoot, 'fixtures/sample');
  const reads = spyReads();
  try {
    await plan(folderSource(dir), mods);
  } finally {
    reads.stop();
  }
  const mine = [...reads.byPath].filter(([p]) => p.startsWith(dir + '/'));
  assert.ok(mine.length >= 5, `the role files and the SWIG files that name them are read: ${mine.map(([p]) => p).join(', ')}`);
  for (const [p, n] of mine) assert.equal(n, 1, `${p} read ${n} times`);
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
    const parses = spyParses();
    const reads = spyReads();
    let steps: Step[];
    try {
      ({ steps } = await plan(folderSource(dir), mods));
    } finally {
      parses.stop();
      reads.stop();
    }
    assert.equal(steps.length, 40 * mods.length);
    assert.equal(parses.full, 40 * 5, 'each group\'s five files (three roles, session_params.i, libtorrent.i), once');
    assert.equal(parses.incremental, 40 * [...changesPerFile(steps).values()].reduce((a, b) => a + b, 0) / 40);
    for (const [p, n] of reads.byPath) if (p.startsWith(dir + '/')) assert.equal(n, 1, `${p} read ${n} times`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
