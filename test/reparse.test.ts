/**
 * Incremental re-parsing (src/source.ts reparseSource): after a fix's edits, the tree tree-sitter
 * builds from the edited old tree is the tree a fresh parse of the new text gives, node for
 * node (type, indices, positions). Checked on the codemods' own edits over every fixture and
 * scenario input, and on random edits (non-ASCII text, CRLF, a BOM, SWIG directives whose
 * masking changes beyond the edit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { plan } from '../src/engine.ts';
import { byFile, type Edit } from '../src/edits.ts';
import { applyEdits } from '../src/edits.ts';
import { changedRegions, parseSource, reparseSource, type SourceFile } from '../src/source.ts';
import { descendants } from '../src/cst.ts';
import { readTree, type Tree } from '../src/workspace.ts';
import { repoRoot } from './scenario-lib.ts';

/** Every node of a tree, named and anonymous, with its extent: equal dumps are equal trees. */
function dump(src: SourceFile): string {
  const out: string[] = [];
  const c = src.root.walk();
  let depth = 0;
  for (;;) {
    const n = c.currentNode;
    out.push(`${depth} ${n.type}${n.isMissing ? '!' : ''} ${n.startIndex}-${n.endIndex} ${n.startPosition.row}:${n.startPosition.column}-${n.endPosition.row}:${n.endPosition.column}`);
    if (c.gotoFirstChild()) { depth++; continue; }
    while (!c.gotoNextSibling()) {
      if (!c.gotoParent()) return out.join('\n');
      depth--;
    }
  }
}

function assertSameTree(a: SourceFile, b: SourceFile, what: string): void {
  const x = dump(a).split('\n');
  const y = dump(b).split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  assert.ok(i < 0 && x.length === y.length, `${what}: incremental and fresh trees differ at node ${i}: ${x[i]} vs ${y[i]}`);
}

/** Re-parse `text` after `edits` incrementally and from scratch; the trees must be the same. */
function check(path: string, before: string, edits: Edit[], what: string): void {
  const after = applyEdits(before, edits);
  const old = parseSource(path, before);
  const incremental = reparseSource(old, after, edits);
  assert.equal(incremental.text, after);
  assertSameTree(incremental, parseSource(path, after), what);
}

const trees: [string, Tree][] = [];
for (const f of ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head']) trees.push([f, readTree(join(repoRoot, f))]);
for (const mod of readdirSync(join(repoRoot, 'codemods'))) {
  const dir = join(repoRoot, 'codemods', mod, 'scenarios');
  if (!existsSync(dir)) continue;
  for (const s of readdirSync(dir)) if (existsSync(join(dir, s, 'input'))) trees.push([`${mod}/${s}`, readTree(join(dir, s, 'input'))]);
}

test('the codemods\' own edits: every taken step\'s re-parse equals a fresh parse', async () => {
  const mods = await loadCodemods();
  let checked = 0;
  for (const [name, tree] of trees) {
    // every fix; on the fixtures, also each fix alone (other states of the files)
    for (const only of [undefined, ...(name.startsWith('fixtures/') ? mods.map((m) => new Set([m.meta.id])) : [])]) {
      const { steps } = await plan(tree, mods, { only });
      for (const s of steps.filter((x) => x.taken && x.outcome.status === 'apply')) {
        const edits = byFile((s.outcome as { edits: Edit[] }).edits);
        for (const c of s.changes) { check(c.path, c.before, edits.get(c.path)!, `${name}: ${s.codemod.meta.id} on ${c.path}`); checked++; }
      }
    }
  }
  assert.ok(checked >= 20, `only ${checked} changes checked`);
});

/** A small deterministic generator (the property tests are reproducible). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; };
}

const SNIPPETS = ['', ' ', '\n', '\r\n', 'int x = 1;\n', '{', '}', '/* é—漢 */', '// 💥\n', '%{\n', '%}\n', '%extend X {\n', '"str', 'namespace n {\n', '#include <x>\n', '$self->', 'std::lock_guard<std::mutex> l(m);', '𝄞'];

function randomEdits(text: string, next: (n: number) => number): Edit[] {
  const edits: Edit[] = [];
  const n = 1 + next(4);
  const points = Array.from({ length: n * 2 }, () => next(text.length + 1)).sort((a, b) => a - b);
  for (let i = 0; i < n; i++) {
    let start = points[2 * i]!;
    let end = next(3) === 0 ? start : points[2 * i + 1]!;
    // never split a surrogate pair: edits are made between characters
    const low = (k: number) => k > 0 && k < text.length && /[\uDC00-\uDFFF]/.test(text[k]!);
    if (low(start)) start--;
    if (low(end)) end++;
    if (end < start) end = start;
    const prev = edits.at(-1);
    if (prev && start < prev.end) continue;
    edits.push({ file: 'f', start, end, text: SNIPPETS[next(SNIPPETS.length)]! });
  }
  return edits;
}

test('random edits (non-ASCII, CRLF, BOM, SWIG directives): re-parse equals a fresh parse', () => {
  const next = rng(20261128);
  const sample = trees[0]![1];
  const files: [string, string][] = [...sample].filter(([p]) => p.includes('2.0.x'));
  // the same files with CRLF endings and a BOM
  for (const [p, t] of [...files]) files.push([p.replace(/(\.\w+)$/, '-crlf$1'), '\uFEFF' + t.replace(/\n/g, '\r\n')]);
  let n = 0;
  for (const [path, text] of files) {
    for (let i = 0; i < 25; i++) { check(path, text, randomEdits(text, next), `${path}, random edits #${i}`); n++; }
  }
  assert.equal(n, 25 * files.length);
});

test('a SWIG edit that changes the masking beyond it: the re-parse still equals a fresh parse', () => {
  const sample = trees[0]![1];
  const path = 'upgrade_2.0.x/libtorrent-go/interfaces/disk_interface.i';
  const text = sample.get(path)!;
  const at = text.indexOf('%{');
  assert.ok(at >= 0);
  // deleting `%{` unmasks nothing locally but turns the block's `%}` into stray text: masking changes far away
  const edits: Edit[] = [{ file: path, start: at, end: at + 2, text: '' }];
  const before = parseSource(path, text);
  const after = applyEdits(text, edits);
  assert.equal(changedRegions(before.root.tree.rootNode.text, parseSource(path, after).root.text, edits), null, 'the masked texts differ outside the edit');
  check(path, text, edits, 'unopened %}');
});

test('node objects are not cached: the same node asked for twice is two objects with one id', () => {
  // src/source.ts turns node-tree-sitter's node cache off (tree.edit visited every cached node);
  // memfix compares nodes by id. Were the cache back on, this fails and the comment there is wrong
  const src = parseSource('x.hpp', 'struct a { int b; void f() { g(b); } };');
  const first = src.root.firstNamedChild!;
  const again = src.root.firstNamedChild!;
  assert.notEqual(first, again);
  assert.equal(first.id, again.id);
  assert.equal(first.firstNamedChild!.parent!.id, first.id);
});

test('nodes are of one class, not one per type: setLanguage kept the table src/source.ts gave it', () => {
  // src/source.ts spares setLanguage building ~600 classes (~15 ms a run). Were they built anyway
  // (a tree-sitter that reads its classes from elsewhere), the root would be a TranslationUnitNode
  const src = parseSource('x.hpp', 'struct a { int b; void f() { g(b); } };');
  assert.equal(src.root.constructor.name, 'SyntaxNode');
  const nodes = [...descendants(src.root)];
  assert.deepEqual([...new Set(nodes.map((n) => n.constructor))], [src.root.constructor], 'every node is of the one class');
  // and each node still says its own type (node.type is the native call): the cursor's walk agrees
  const types = nodes.map((n) => n.type);
  assert.deepEqual(types.slice(0, 4), ['translation_unit', 'struct_specifier', 'struct', 'type_identifier']);
  assert.ok(types.includes('field_declaration') && types.includes('call_expression'), types.join(' '));
});

test('many edits across a file (every use of a name renamed): each is its own region, and the re-parse equals a fresh parse', () => {
  const sample = trees[0]![1];
  const path = [...sample.keys()].find((p) => p.endsWith('memory_disk_io.hpp'))!;
  const text = sample.get(path)!;
  const edits: Edit[] = [];
  for (const m of text.matchAll(/\b(?:lock|std|size_t)\b/g)) edits.push({ file: path, start: m.index!, end: m.index! + m[0].length, text: `${m[0]}_renamed_ä` });
  assert.ok(edits.length > 100, `${edits.length} edits`);
  check(path, text, edits, 'renamed uses');
});
