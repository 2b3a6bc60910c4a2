/**
 * memfix new: it scaffolds into the memfix checkout it is run in (or --dir), never into an
 * installed copy; the stub it writes type-checks, passes the registry's checks and the folder
 * conventions, and reports `missing` ("not implemented"), never `applied`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { runCodemod } from '../src/engine.ts';
import { discoverTargets } from '../src/roles.ts';
import { readTree, sources } from '../src/workspace.ts';
import { EARLY, HEAD, REPO, SAMPLE, assertOneLineError, assertSameTree, memfix, run, show, tempRoot } from './e2e-helpers.ts';

const tmp = tempRoot('memfix-new-');
test.after(() => tmp.cleanup());

/** A memfix checkout for the test: our package.json name, src/ and node_modules/ linked, our codemods and templates linked one by one. */
function checkout(name: string): string {
  const root = tmp.dir(name);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'memfix', type: 'module' }) + '\n');
  symlinkSync(join(REPO, 'src'), join(root, 'src'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  for (const d of ['codemods', 'templates']) {
    mkdirSync(join(root, d));
    for (const e of readdirSync(join(REPO, d), { withFileTypes: true })) if (e.isDirectory()) symlinkSync(join(REPO, d, e.name), join(root, d, e.name));
  }
  return root;
}

/** Run test/conventions.test.ts on another project (a test run of its own, not a subtest of this one). */
function conventions(root: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, MEMFIX_CONVENTIONS_ROOT: root, NO_COLOR: '1' };
  delete env.NODE_TEST_CONTEXT;
  return run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', join(REPO, 'test', 'conventions.test.ts')], { cwd: REPO, env, timeoutMs: 600_000 });
}

/** Every file under dir (relative path -> bytes); a symbolic link is recorded as its target, not followed. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) files.set(r, Buffer.from(`-> ${readlinkSync(join(d, e.name))}`));
      else if (e.isDirectory()) walk(join(d, e.name), r);
      else files.set(r, readFileSync(join(d, e.name)));
    }
  };
  walk(dir, '');
  return files;
}

test('memfix new in a checkout: scaffolds there, says what to do next; the stub type-checks, loads, and reports missing', { timeout: 900_000 }, async () => {
  const root = checkout('project');
  const before = snapshot(root);
  const r = await memfix(['new', 'foo-bar', '--title', 'Frobnicate the bar'], { cwd: join(root, 'codemods') });
  assert.equal(r.code, 0, show(r));
  for (const step of [/meta\.json/, /transform\.ts/, /scenarios/, /npm run build/, /scenarios:update foo-bar/]) assert.match(r.stdout, step, show(r));

  // exactly the scaffold was added
  const after = snapshot(root);
  const added = [...after.keys()].filter((k) => !before.has(k)).sort();
  assert.deepEqual(added, [
    'codemods/foo-bar/meta.json',
    'codemods/foo-bar/scenarios/applied-todo/scenario.json',
    'codemods/foo-bar/scenarios/apply-todo/scenario.json',
    'codemods/foo-bar/scenarios/drift-todo/scenario.json',
    'codemods/foo-bar/scenarios/error-todo/scenario.json',
    'codemods/foo-bar/scenarios/missing-todo/scenario.json',
    'codemods/foo-bar/target.scm',
    'codemods/foo-bar/transform.ts',
    'templates/foo-bar/README.md',
  ]);
  for (const k of before.keys()) assert.ok(after.get(k)!.equals(before.get(k)!), `${k} changed`);
  for (const kind of ['apply', 'applied', 'drift', 'missing', 'error']) assert.ok(existsSync(join(root, 'codemods/foo-bar/scenarios', `${kind}-todo`, 'input')));

  // the registry's checks pass (meta.json, the query compiles, transform is exported); a fix
  // beyond the analysis comes after the analysis' fixes
  const mods = await loadCodemods(join(root, 'codemods') + '/');
  const mod = mods.find((m) => m.meta.id === 'foo-bar');
  assert.ok(mod, 'the scaffolded codemod is not loaded');
  assert.equal(mod.meta.analysis.fix, null);
  assert.equal(mod.meta.title, 'Frobnicate the bar');
  const numbered = mods.filter((m) => m.meta.analysis.fix !== null).map((m) => mods.indexOf(m));
  assert.ok(numbered.every((i) => i < mods.indexOf(mod)), 'a fix beyond the analysis is ordered after the numbered ones');

  // the stub never claims a fix: missing, "not implemented", on every shape we have
  for (const dir of [SAMPLE, EARLY, HEAD]) {
    for (const group of discoverTargets(sources(readTree(dir)))) {
      if (!group.files.header) continue;
      const result = runCodemod(mod, group);
      assert.equal(result.status, 'missing', `${dir}: ${JSON.stringify(result)}`);
      assert.match((result as { reason: string }).reason, /not implemented/);
    }
  }

  // the generated TypeScript type-checks against the engine's types
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({
    extends: join(REPO, 'tsconfig.json'),
    compilerOptions: { noUnusedLocals: true, noUnusedParameters: true },
    include: ['codemods/foo-bar/transform.ts'],
  }));
  const tsc = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(root, 'tsconfig.json')], { cwd: root, timeoutMs: 600_000 });
  assert.equal(tsc.code, 0, `tsc on the scaffolded transform.ts:\n${show(tsc)}`);

  // and the folder conventions accept it, with no list of fix numbers to update
  const c = await conventions(root);
  assert.equal(c.code, 0, `conventions.test.ts on the project with the new codemod:\n${c.stdout.split('\n').filter((l) => /^not ok|error|expected|actual/i.test(l)).join('\n')}`);
  assert.match(c.stdout, /ok \d+ - foo-bar: meta.id is the folder name/);
});

test('the conventions still refuse what breaks the folder contract', { timeout: 600_000 }, async () => {
  const root = checkout('broken');
  const add = (id: string, analysis: unknown) => {
    const r = join(root, 'codemods', id);
    mkdirSync(join(r, 'scenarios'), { recursive: true });
    const meta = JSON.parse(readFileSync(join(REPO, 'codemods/free-disk-buffer/meta.json'), 'utf8'));
    writeFileSync(join(r, 'meta.json'), JSON.stringify({ ...meta, id, analysis }));
    writeFileSync(join(r, 'q.scm'), '(translation_unit) @root\n');
    writeFileSync(join(r, 'transform.ts'), "export function transform() { return { status: 'missing', reason: 'x' }; }\n");
    mkdirSync(join(root, 'templates', id));
    writeFileSync(join(root, 'templates', id, 'x.cpp'), '\n');
  };
  const fixNumber = (id: string) => (JSON.parse(readFileSync(join(REPO, 'codemods', id, 'meta.json'), 'utf8')) as { analysis: { fix: number } }).analysis.fix;
  add('twice-numbered', { fix: fixNumber('free-disk-buffer'), issues: [] });
  add('no-finding', { fix: null, issues: [] });
  add('numbered-with-finding', { fix: 99, finding: 'here', issues: [] });
  const c = await conventions(root);
  assert.notEqual(c.code, 0, 'conventions.test.ts accepted broken codemods');
  assert.match(c.stdout, /twice-numbered and free-disk-buffer both claim analysis fix|free-disk-buffer and twice-numbered both claim analysis fix/);
  assert.match(c.stdout, /no-finding: analysis.fix is null, so analysis.finding must say where the bug was found/);
  assert.match(c.stdout, /numbered-with-finding: analysis.fix is #99, so it has no finding/);
  assert.match(c.stdout, /not ok \d+ - no-finding: scenarios cover apply, applied, drift, missing and error/);
});

test('memfix new in a checkout with the harness: writes harness/ID.cpp too, which compiles with the harness, registers one failing scenario of its fix, and passes the conventions', { timeout: 900_000 }, async () => {
  const root = checkout('with-harness');
  mkdirSync(join(root, 'harness'));
  for (const f of readdirSync(join(REPO, 'harness'))) symlinkSync(join(REPO, 'harness', f), join(root, 'harness', f));
  const r = await memfix(['new', 'foo-bar'], { cwd: root });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /harness\/foo-bar\.cpp/, show(r));
  assert.deepEqual(readdirSync(join(root, 'harness')).filter((f) => !existsSync(join(REPO, 'harness', f))), ['foo-bar.cpp']);
  const text = readFileSync(join(root, 'harness/foo-bar.cpp'), 'utf8');
  assert.match(text, /\{"foo-bar-todo", "foo-bar", "asan",/);
  assert.match(text, /fail\("no scenario written yet/);
  // it compiles in the harness's one translation unit (as build.sh compiles it)
  const unity = join(root, 'harness-all.cpp');
  writeFileSync(unity, readdirSync(join(root, 'harness')).filter((f) => f.endsWith('.cpp')).sort().map((f) => `#include "${join(root, 'harness', f)}"\n`).join(''));
  const cflags = spawnSync('pkg-config', ['--cflags', 'libtorrent-rasterbar'], { encoding: 'utf8' });
  if (cflags.status === 0) {
    const cc = await run('g++', ['-std=c++14', '-pedantic-errors', '-fsyntax-only', ...cflags.stdout.trim().split(/\s+/).filter(Boolean), unity], { cwd: root, timeoutMs: 600_000 });
    assert.equal(cc.code, 0, show(cc));
  }
  const c = await conventions(root);
  assert.equal(c.code, 0, `conventions.test.ts on the project with the new codemod:\n${c.stdout.split('\n').filter((l) => /^not ok|error|expected|actual/i.test(l)).join('\n')}`);
  assert.match(c.stdout, /ok \d+ - harness: every fix has its file/);
});

test('memfix new --dir: another folder gets codemods/ID and templates/ID', async () => {
  const dir = tmp.dir('elsewhere');
  const r = await memfix(['new', 'other-fix', '--dir', dir], { cwd: tmp.root });
  assert.equal(r.code, 0, show(r));
  assert.ok(existsSync(join(dir, 'codemods/other-fix/transform.ts')));
  assert.ok(existsSync(join(dir, 'templates/other-fix/README.md')));
});

test('memfix new refuses, with one line and exit 2, and writes nothing: outside a checkout, in an installed copy, an existing id, a bad id', async () => {
  const outside = tmp.dir('not-a-checkout');
  const r1 = await memfix(['new', 'x-fix'], { cwd: outside });
  assert.equal(r1.code, 2, show(r1));
  assert.match(assertOneLineError(r1, 'outside a checkout'), /not inside a memfix checkout.*--dir/);
  assert.deepEqual(readdirSync(outside), []);

  // a global install: node_modules/memfix with our package.json name and codemods/
  const installed = tmp.dir('prefix/lib/node_modules/memfix');
  writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'memfix' }));
  mkdirSync(join(installed, 'codemods'));
  const snap = snapshot(installed);
  for (const cwd of [installed, join(installed, 'codemods')]) {
    const r = await memfix(['new', 'x-fix'], { cwd });
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'installed copy'), /installed copy of memfix/);
  }
  const r2 = await memfix(['new', 'x-fix', '--dir', installed], { cwd: tmp.root });
  assert.equal(r2.code, 2, show(r2));
  assertSameTree(snapshot(installed), snap, 'the installed copy');

  const root = checkout('existing');
  const before = snapshot(root);
  const r3 = await memfix(['new', 'free-disk-buffer'], { cwd: root });
  assert.equal(r3.code, 2, show(r3));
  assert.match(assertOneLineError(r3, 'existing id'), /already exists/);
  const r4 = await memfix(['new', 'Not_A_Slug'], { cwd: root });
  assert.equal(r4.code, 2, show(r4));
  assertOneLineError(r4, 'bad id');
  assertSameTree(snapshot(root), before, 'the checkout');
});
