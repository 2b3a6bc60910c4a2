/**
 * Wildcard parents (src/wildcards.ts): the combined query compiles its parent steps below a root
 * as wildcards and filters by type afterwards. Its matches must be the written query's, match for
 * match and in the same order, on every file memfix has (fixtures and every scenario's input and
 * expected output); and what it leaves as written (quantifiers, negated fields, a pattern that
 * would lose its selectivity, unknown types, roots) stays as written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Parser from 'tree-sitter';
import { language, parseSource, patternsOf, type SourceFile } from '../src/source.ts';
import { filterTyped, relaxQuery } from '../src/wildcards.ts';
import { readTree } from '../src/workspace.ts';
import { loadScenarios, repoRoot } from './scenario-lib.ts';
import { loadCodemodInfo, loadCodemods } from '../src/registry.ts';

const require = createRequire(import.meta.url);
const TreeSitter = require('tree-sitter') as typeof Parser;
const named = new Set((language.nodeTypeInfo as { type: string; named: boolean; subtypes?: unknown }[]).filter((t) => t.named && !t.subtypes).map((t) => t.type));
const isType = (n: string) => named.has(n);
const relax = (text: string) => relaxQuery(patternsOf(text), isType, { n: 0 });

/** Every query text memfix has: the roles', the shared ones, every codemod's. */
function queryTexts(): [string, string][] {
  const dirs = [join(repoRoot, 'src', 'roles'), join(repoRoot, 'src', 'queries'), ...loadCodemodInfo().map((c) => c.dir)];
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.scm')).map((f): [string, string] => [join(d, f), readFileSync(join(d, f), 'utf8')]));
}

/** Every C++ and SWIG file of the fixtures and of every scenario (input and expected output). */
async function sources(): Promise<SourceFile[]> {
  const trees = ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head'].map((f) => readTree(join(repoRoot, f)));
  const mods = await loadCodemods();
  for (const mod of mods) for (const s of loadScenarios(mod, mods)) trees.push(s.input, s.expected);
  const out: SourceFile[] = [];
  for (const tree of trees) for (const [path, text] of tree) if (/\.(hpp|h|cpp|cc|i)$/.test(path)) out.push(parseSource(path, text));
  return out;
}

const show = (ms: Parser.QueryMatch[]) => ms.map((m) => `${m.pattern} ${m.captures.map((c) => `${c.name}=${c.node.type}@${c.node.startIndex}-${c.node.endIndex}`).join(' ')}`);

test('the relaxed queries find what the written ones find, match for match, on every file memfix has', async () => {
  const texts = queryTexts();
  const files = await sources();
  assert.ok(files.length > 50, `${files.length} files`);
  let relaxedParents = 0;
  let compared = 0;
  // each text alone, and all of them as one query (as a run compiles them)
  const counter = { n: 0 };
  const each = texts.map(([, t]) => relaxQuery(patternsOf(t), isType, counter));
  const runs: [string, string, string, Map<string, string>][] = texts.map(([f, t], k) => [f, patternsOf(t), each[k]!.text, each[k]!.types]);
  runs.push(['all', texts.map(([, t]) => patternsOf(t)).join('\n'), each.map((r) => r.text).join('\n'), new Map(each.flatMap((r) => [...r.types]))]);
  for (const [what, written, relaxed, types] of runs) {
    relaxedParents += what === 'all' ? 0 : types.size;
    const a = new TreeSitter.Query(language, written);
    const b = new TreeSitter.Query(language, relaxed);
    for (const src of files) {
      const want = show(a.matches(src.root));
      const got = show(filterTyped(b.matches(src.root), types));
      assert.deepEqual(got, want, `${what} on ${src.path}`);
      compared += want.length;
    }
  }
  assert.ok(relaxedParents >= 10, `only ${relaxedParents} parent steps relaxed`);
  assert.ok(compared > 1000, `${compared} matches compared`);
});

test('a parent below the root becomes a wildcard with a capture of its type; the root keeps its type', () => {
  const r = relax('(call_expression function: (field_expression field: (field_identifier) @fn) arguments: (argument_list) @args) @call');
  assert.equal(r.text, '(call_expression function: (_ field: (field_identifier) @fn) @_memfix.type.0 arguments: (argument_list) @args) @call');
  assert.deepEqual([...r.types], [['_memfix.type.0', 'field_expression']]);
  // a capture numbering that runs across the texts of one query
  const counter = { n: 5 };
  assert.deepEqual([...relaxQuery('(call_expression (field_expression field: (_)))', isType, counter).types.keys()], ['_memfix.type.5']);
  assert.equal(counter.n, 6);
});

test('what a wildcard finds beyond its type is dropped, with the added captures', () => {
  // at file scope a function definition has a `type:` too: the wildcard finds it, the filter drops it
  const src = parseSource('x.cpp', 'int x; int f() { return 0; } long y;');
  const r = relax('(translation_unit (declaration type: (_) @t) @d)');
  assert.equal(r.types.size, 1);
  const raw = new TreeSitter.Query(language, r.text).matches(src.root);
  assert.equal(raw.length, 3, 'the wildcard alone finds the function too');
  const kept = filterTyped(raw, r.types);
  assert.deepEqual(kept.map((m) => m.captures.map((c) => `${c.name}=${c.node.text}`).join(' ')), ['d=int x; t=int', 'd=long y; t=long']);
  assert.deepEqual(show(kept), show(new TreeSitter.Query(language, patternsOf('(translation_unit (declaration type: (_) @t) @d)')).matches(src.root)));
});

test('what is left as written: quantifiers, negated fields, unselective parents, unknown types, full capture lists', () => {
  for (const text of [
    '(call_expression arguments: (argument_list (identifier)*))', // a quantifier
    '(call_expression arguments: (argument_list (identifier))?)',
    '(call_expression function: (field_expression !field))', // a negated field
    '(translation_unit (declaration (_)))', // a wildcard declaration would match any node with a child
    '(translation_unit (no_such_type field: (_)))', // tree-sitter reports it, as before
    '(translation_unit (declaration type: (_)) @a @b @c)', // the root: kept anyway
    '[(declaration) (function_definition)] @item',
  ]) assert.equal(relax(text).text, patternsOf(text), text);
  // three captures on a parent: it keeps its type (tree-sitter allows three per step)
  assert.equal(relax('(translation_unit (declaration type: (_)) @a @b @c)').types.size, 0);
  assert.equal(relax('(translation_unit (declaration type: (_)) @a @b)').types.size, 1);
  // an alternation's captures count as its alternatives' own: 2 + 1 is three, 1 + 1 leaves room
  assert.equal(relax('(call_expression function: [(identifier) (field_expression field: (_)) @a @b] @c)').types.size, 0);
  assert.equal(relax('(call_expression function: [(identifier) (field_expression field: (_)) @a] @c)').types.size, 1);
  // a captured group is left as written
  assert.equal(relax('(translation_unit ((declaration type: (_)) (declaration type: (_))) @g)').types.size, 0);
  // strings, predicates and fields written with a space before the colon
  const r = relax('(call_expression function : (field_expression field: (field_identifier) @fn) (#eq? @fn "a (b) [c]"))');
  assert.equal(r.text, '(call_expression function : (_ field: (field_identifier) @fn) @_memfix.type.0 (#eq? @fn "a (b) [c]"))');
});

test('every relaxed query file compiles', () => {
  for (const [f, t] of queryTexts()) assert.doesNotThrow(() => new TreeSitter.Query(language, relax(t).text), f);
});

test('a field its parent type cannot have: refused as written; relaxed, it compiles and the filter leaves nothing', () => {
  // what relaxing loses is tree-sitter's "impossible pattern" error for such a step
  // (test/loading.test.ts compiles every query file as written); the matches stay right
  const text = '(translation_unit (field_expression declarator: (_) @d))';
  assert.throws(() => new TreeSitter.Query(language, patternsOf(text)), /Structure/);
  const r = relax(text);
  assert.equal(r.types.size, 1, r.text);
  const src = parseSource('x.cpp', 'int x = 1; long y; int z() { return a.b; }');
  const raw = new TreeSitter.Query(language, r.text).matches(src.root);
  assert.ok(raw.length >= 2, 'the wildcard finds the declarations (they have a declarator)');
  assert.deepEqual(filterTyped(raw, r.types), []);
});
