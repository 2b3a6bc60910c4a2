/**
 * What each command loads (measured, not assumed): `list` reads metadata only (no parser, no
 * transform, no query), and only `new` loads
 * ts-morph. Every query file compiles (queries are compiled lazily at run time, so a broken one
 * would otherwise only fail the run that needs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileQueries, compileQuery, declareQueries, parseSource as parseSourceSync, reparseSource } from '../src/source.ts';
import { loadCodemodInfo } from '../src/registry.ts';
import { spyQueries } from './spies.ts';
import { assertOneLineError, copyTree, memfix, REPO, run, SAMPLE, show, tempRoot } from './e2e-helpers.ts';

const tmp = tempRoot('memfix-loading-');
test.after(() => tmp.cleanup());

async function loaded(args: string[]): Promise<string[]> {
  const log = join(tmp.root, `load-${args[0]}-${Math.random().toString(36).slice(2)}.log`);
  const r = await memfix(args, { env: { NODE_OPTIONS: `--import ${join(REPO, 'test', 'load-log', 'register.mjs')}`, MEMFIX_LOAD_LOG: log } });
  assert.ok(r.code === 0 || r.code === 1, show(r));
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
}

const has = (mods: string[], what: RegExp) => mods.some((m) => what.test(m));

test('list loads no parser, no transform and no query', async () => {
  const mods = await loaded(['list']);
  assert.ok(has(mods, /dist\/src\/commands\/list\.cjs$/), mods.join('\n'));
  for (const what of [/tree-sitter/, /transform\.js$/, /magic-string/, /ts-morph/, /dist\/src\/engine\.js$/]) assert.ok(!has(mods, what), `list loads ${what}`);
  // dist/ is bundled (build.mjs): the engine and the parser's module sit in shared chunks, which list must not load either
  const ours = mods.filter((m) => m.includes('/dist/')).map((m) => (m.startsWith('file:') ? fileURLToPath(m) : m));
  assert.ok(ours.length > 0, mods.join('\n'));
  for (const f of ours) {
    const code = readFileSync(f, 'utf8');
    for (const fn of ['function plan(', 'function parseSource(', 'function compileQuery(']) assert.ok(!code.includes(fn), `list loads ${f}, which holds ${fn}`);
  }
});

test('scan, series and check do not load ts-morph', async () => {
  const dir = copyTree(SAMPLE, tmp.dir('tree'));
  const patches = join(tmp.root, 'patches');
  const runs = { scan: ['scan', dir], series: ['series', dir, '-o', patches], check: ['check', dir, '--patches', patches] };
  for (const [name, args] of Object.entries(runs)) {
    const mods = await loaded(args);
    assert.ok(has(mods, /tree-sitter-cpp/), `${name} parses`);
    assert.ok(!has(mods, /ts-morph/), `${name} loads ts-morph`);
    // the engine and every codemod come in one bundle (build.mjs): a handful of our files, not one per module
    const ours = mods.filter((m) => m.includes('/dist/'));
    assert.ok(ours.length <= 8, `${name} loads ${ours.length} files of dist/:\n${ours.join('\n')}`);
    assert.ok(!has(mods, /dist\/codemods\//), `${name} loads a codemod's module by path`);
  }
});

test('a checkout not built: exit 2, one line saying to build', async () => {
  const root = tmp.dir('unbuilt');
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  const none = await run(process.execPath, [join(root, 'bin', 'memfix.js'), 'list']);
  assert.equal(none.code, 2, show(none));
  assert.match(assertOneLineError(none, 'no dist/'), /not built: run `npm run build` there$/);
});

test('every query file compiles, alone and with the others of its folder', () => {
  const folders = [join(REPO, 'src', 'roles'), join(REPO, 'src', 'queries'), ...loadCodemodInfo().map((c) => c.dir)];
  let n = 0;
  for (const dir of folders) {
    const named: Record<string, string> = {};
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.scm'))) {
      named[f.slice(0, -4)] = readFileSync(join(dir, f), 'utf8');
      assert.doesNotThrow(() => compileQuery(named[f.slice(0, -4)]!, join(dir, f)), f);
      n++;
    }
    const views = compileQueries(named, dir);
    assert.deepEqual(Object.keys(views).sort(), Object.keys(named).sort());
  }
  assert.ok(n >= 10, `${n} query files`);
});

test('a broken query file is named when its folder\'s queries are compiled together', () => {
  assert.throws(() => compileQueries({ good: '(identifier) @i', bad: '(identifier @i' }, 'codemods/x/'), /codemods\/x\/bad\.scm: invalid tree-sitter query/);
});

test('a view of a combined query keeps only its own patterns\' matches', async () => {
  const { parseSource } = await import('../src/source.ts');
  const src = parseSource('x.hpp', 'int a = 1; void f() { g(); }');
  const views = compileQueries({ decl: '(declaration) @d', call: '(call_expression) @c' });
  assert.deepEqual(views.decl!.matches(src.root).map((m) => m.captures[0]!.node.type), ['declaration']);
  assert.deepEqual(views.call!.matches(src.root).map((m) => m.captures[0]!.node.type), ['call_expression']);
  assert.deepEqual(views.call!.captures(src.root).map((c) => c.node.text), ['g()']);
});

test('a view of a combined query on a large node (run alone there) gives the same matches as on a small one', async () => {
  const { parseSource } = await import('../src/source.ts');
  const unit = 'int a = 1; void f() { g(); }\n';
  const small = parseSource('s.hpp', unit);
  const large = parseSource('l.hpp', unit.repeat(Math.ceil(300_000 / unit.length)));
  assert.ok(large.root.endIndex > 256 * 1024);
  const views = compileQueries({ decl: '(declaration) @d', call: '(call_expression) @c' });
  const n = Math.ceil(300_000 / unit.length);
  assert.equal(views.decl!.matches(small.root).length, 1);
  assert.equal(views.decl!.matches(large.root).length, n);
  assert.ok(views.decl!.matches(large.root).every((m) => m.captures[0]!.node.type === 'declaration'));
  assert.deepEqual(views.call!.captures(large.root).slice(0, 2).map((c) => c.node.text), ['g()', 'g()']);
  assert.equal(views.call!.captures(large.root).length, n);
});

test('on a large node the views of rare texts share one pass over it; any other view runs alone', async (t) => {
  const { parseSource } = await import('../src/source.ts');
  const unit = 'namespace n { int a = 1; }\nvoid f() { g(); std::make_unique<T>(1); }\n';
  const n = Math.ceil(300_000 / unit.length);
  const large = parseSource('r.hpp', unit.repeat(n));
  assert.ok(large.root.endIndex > 256 * 1024);
  const views = declareQueries({
    items: '; memfix: rare\n(declaration_list (declaration) @rare_item)',
    makers: ';memfix:rare (few)\n(call_expression function: (qualified_identifier name: (template_function) @rare_maker))',
    calls: '(call_expression function: (identifier) @plain_fn) @plain_call',
  }, 'rare/');
  const queries = spyQueries();
  t.after(() => queries.stop());
  const items = views.items!.matches(large.root);
  assert.equal(queries.passes, 1);
  const makers = views.makers!.matches(large.root);
  assert.equal(queries.passes, 1, 'the second rare view takes its matches from the same pass');
  // each view keeps only its own matches, as many as there are
  assert.equal(items.length, n);
  assert.ok(items.every((m) => m.captures.length === 1 && m.captures[0]!.name === 'rare_item' && m.captures[0]!.node.text === 'int a = 1;'));
  assert.equal(makers.length, n);
  assert.ok(makers.every((m) => m.captures[0]!.node.text === 'make_unique<T>'));
  assert.equal(views.calls!.matches(large.root).length, n);
  assert.equal(queries.passes, 2, 'a text not marked rare runs alone');
  queries.stop();
  // on a small node, the run's combined query serves them all, as before
  const small = parseSource('s.hpp', unit);
  assert.deepEqual([views.items!, views.makers!, views.calls!].map((v) => v.matches(small.root).length), [1, 1, 1]);
});

test('texts that differ only in comments and blanks are one query: compiled once, their views share its matches', async (t) => {
  const { parseSource } = await import('../src/source.ts');
  const src = parseSource('d.hpp', 'int a = 1;\nvoid f() { g(); h(); }\n');
  const queries = spyQueries();
  t.after(() => queries.stop());
  // the texts compiled: each compilation's source holds its texts one a line
  const texts = () => queries.compiled.flatMap((q) => q.split('\n')).length;
  const one = declareQueries({ calls: '; calls\n(call_expression\n  function: (identifier) @shared_fn) @shared_call' }, 'one/');
  const two = declareQueries({ mine: '(call_expression function: (identifier) @shared_fn) @shared_call ; the same', other: '(declaration) @shared_test_decl' }, 'two/');
  assert.equal(texts(), 0, 'nothing compiled before a view runs');
  assert.deepEqual(one.calls!.matches(src.root).map((m) => m.captures[1]!.node.text), ['g', 'h']);
  assert.equal(texts(), 2, 'two distinct texts compiled, the same text once');
  const shared = two.mine!.matches(src.root);
  assert.deepEqual(shared.map((m) => m.captures[1]!.node.text), ['g', 'h']);
  assert.strictEqual(shared[0], one.calls!.matches(src.root)[0], 'one run of the query over a node serves every view');
  assert.deepEqual(two.other!.matches(src.root).map((m) => m.captures[0]!.node.text), ['int a = 1;']);
  // an edited tree's matches are found again, not taken from what was found before the edit
  const text = src.text.replace('h();', 'h(); k();');
  const at = src.text.indexOf('h();') + 4;
  const after = reparseSource(src, text, [{ start: at, end: at, text: ' k();' }]);
  assert.deepEqual(one.calls!.matches(after.root).map((m) => m.captures[1]!.node.text), ['g', 'h', 'k']);
  // a string keeps its blanks: these are two texts
  const a = declareQueries({ q: '((identifier) @shared_i (#eq? @shared_i "a  b"))' });
  const b = declareQueries({ q: '((identifier) @shared_i (#eq? @shared_i "a b"))' });
  a.q!.matches(src.root);
  b.q!.matches(src.root);
  assert.equal(texts(), 4);
  queries.stop();
});

test('a broken text declared with others is named when the run first uses a query, and stays an error', () => {
  const views = declareQueries({ good: '(identifier) @broken_test_i', bad: '(identifier @broken_test_i' }, 'codemods/y/');
  assert.throws(() => views.good!.matches(parseSourceSync('x.hpp', 'int a;').root), /codemods\/y\/bad\.scm: invalid tree-sitter query/);
  assert.throws(() => views.good!.matches(parseSourceSync('x.hpp', 'int a;').root), /codemods\/y\/bad\.scm: invalid tree-sitter query/);
});
