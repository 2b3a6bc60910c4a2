/**
 * Meta-test of the codemod folders (in the spirit of typescript-eslint's rule conventions test):
 * what codemods/README.md promises about every folder holds, and the engine stays generic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot as ourRoot } from './scenario-lib.ts';
import { sharedQueries } from '../src/registry.ts';
import { patternsOf } from '../src/source.ts';

// The project whose folders are checked: this repository, or (MEMFIX_CONVENTIONS_ROOT) another
// one, which is how test/new.test.ts shows that a scaffolded codemod is accepted and that a
// broken folder is not.
const repoRoot = process.env.MEMFIX_CONVENTIONS_ROOT ? resolve(process.env.MEMFIX_CONVENTIONS_ROOT) : ourRoot;
const codemodsDir = join(repoRoot, 'codemods');
const srcDir = join(repoRoot, 'src');
const templatesDir = join(repoRoot, 'templates');

interface MetaJson { id?: unknown; dependsOn?: unknown; analysis?: { fix?: unknown; finding?: unknown; issues?: unknown } }

const folders = readdirSync(codemodsDir)
  .filter((n) => statSync(join(codemodsDir, n)).isDirectory() && existsSync(join(codemodsDir, n, 'meta.json')))
  .sort();
const metas = new Map<string, MetaJson>(folders.map((f) => [f, JSON.parse(readFileSync(join(codemodsDir, f, 'meta.json'), 'utf8')) as MetaJson]));

/** Every module specifier a TypeScript file imports or re-exports (static, side-effect and dynamic). */
function importSpecifiers(file: string): string[] {
  return specifiersIn(readFileSync(file, 'utf8'));
}

/** A TypeScript source without its comments (roughly: enough for the checks here). */
const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

function specifiersIn(source: string): string[] {
  const text = withoutComments(source);
  const out: string[] = [];
  for (const re of [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /(?:^|[;\s])import\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of text.matchAll(re)) out.push(m[1]!);
  }
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'scenarios') out.push(...tsFiles(p)); }
    else if (/\.(c|m)?tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

const inside = (dir: string, p: string) => { const r = relative(dir, p); return r !== '' && !r.startsWith('..') && !r.startsWith(sep) && r !== '..'; };

test('the import scanner finds static, re-export, side-effect and dynamic imports', () => {
  // a guard for the checks below: they are only as good as this scanner
  const specs = specifiersIn([
    "import { a } from './a.ts';",
    'import {',
    '  b,',
    '  type C,',
    "} from '../../codemods/other/transform.ts';",
    "import type { D } from 'd-pkg';",
    "export { e } from './e.ts';",
    "export * from './f.ts';",
    "import './side-effect.ts';",
    "const g = await import('./g.ts');",
    "// import { no } from './commented.ts';",
    "/* import { no } from './block-commented.ts'; */",
    "const url = 'http://example.com/'; import x from './after-url.ts';",
  ].join('\n'));
  assert.deepEqual(specs.sort(), ['../../codemods/other/transform.ts', './a.ts', './after-url.ts', './e.ts', './f.ts', './g.ts', './side-effect.ts', 'd-pkg'].sort());
  // and it finds the real imports of a real file
  assert.ok(importSpecifiers(join(srcDir, 'engine.ts')).includes('./edits.ts'));
});

test('there are codemods to check', () => {
  assert.ok(folders.length > 0, `no codemod folder (with a meta.json) in ${codemodsDir}`);
});

for (const id of folders) {
  const dir = join(codemodsDir, id);
  const meta = metas.get(id)!;

  test(`${id}: meta.id is the folder name`, () => {
    assert.equal(meta.id, id);
  });

  test(`${id}: its own queries are not empty and copy no shared one (src/queries/: run it by name)`, () => {
    const shared = new Map(Object.entries(sharedQueries()).map(([n, t]) => [patternsOf(t), n]));
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.scm'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      assert.ok(patternsOf(text).length > 0, `${f} is empty`);
      assert.ok(!shared.has(patternsOf(text)), `codemods/${id}/${f} is src/queries/${shared.get(patternsOf(text))}.scm again`);
    }
  });

  test(`${id}: transform.ts exports transform`, async () => {
    const file = join(dir, 'transform.ts');
    assert.ok(existsSync(file), `codemods/${id}/transform.ts is missing`);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    assert.equal(typeof mod.transform, 'function', 'transform.ts must export a function named transform');
  });

  test(`${id}: has a templates/${id}/ folder with templates in it`, () => {
    const t = join(templatesDir, id);
    assert.ok(existsSync(t) && statSync(t).isDirectory(), `templates/${id}/ is missing`);
    assert.ok(readdirSync(t).length > 0, `templates/${id}/ is empty`);
  });

  test(`${id}: scenarios cover apply, applied, drift, missing and error for this codemod`, () => {
    const root = join(dir, 'scenarios');
    const kinds = new Map<string, string[]>();
    if (existsSync(root)) {
      for (const name of readdirSync(root)) {
        const spec = join(root, name, 'scenario.json');
        if (!existsSync(spec)) continue;
        const s = JSON.parse(readFileSync(spec, 'utf8')) as { expect?: Record<string, string> };
        const want = s.expect?.[id];
        if (want) kinds.set(want, [...(kinds.get(want) ?? []), name]);
      }
    }
    const missing = ['apply', 'applied', 'drift', 'missing', 'error'].filter((k) => !kinds.has(k));
    assert.deepEqual(missing, [], `codemods/${id}/scenarios has no scenario expecting ${id} to be ${missing.join(', ')} (found: ${JSON.stringify(Object.fromEntries(kinds))})`);
  });

  test(`${id}: imports no other codemod folder`, () => {
    const bad: string[] = [];
    for (const file of tsFiles(dir)) {
      for (const spec of importSpecifiers(file)) {
        if (!spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('file:')) continue;
        const target = resolve(dirname(file), spec.replace(/^file:\/\//, ''));
        if (inside(codemodsDir, target) && !inside(dir, target) && target !== dir)
          bad.push(`${relative(repoRoot, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test(`${id}: imports from src/ only src/sdk.ts`, () => {
    const bad: string[] = [];
    for (const file of tsFiles(dir)) {
      for (const spec of importSpecifiers(file)) {
        if (!spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('file:')) continue;
        const target = resolve(dirname(file), spec.replace(/^file:\/\//, ''));
        if (inside(srcDir, target) && target !== join(srcDir, 'sdk.ts')) bad.push(`${relative(repoRoot, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, [], 'a codemod uses memfix through src/sdk.ts (add what it needs there)');
  });

  test(`${id}: returns drift, never throws it (no throw, no catch)`, () => {
    const bad = tsFiles(dir).filter((file) => /\bthrow\b|\bcatch\s*[({]/.test(withoutComments(readFileSync(file, 'utf8'))));
    assert.deepEqual(bad.map((f) => relative(repoRoot, f)), [], 'a codemod signals a shape it does not know by returning drift (sdk drift()), as a value up to transform');
  });
}

test('dependsOn names existing codemods, and there is no dependency cycle', () => {
  const unknown: string[] = [];
  for (const [id, m] of metas) {
    assert.ok(Array.isArray(m.dependsOn), `${id}: dependsOn must be a list`);
    for (const d of m.dependsOn as unknown[]) {
      if (typeof d !== 'string' || !metas.has(d)) unknown.push(`${id} -> ${String(d)}`);
      if (d === id) unknown.push(`${id} depends on itself`);
    }
  }
  assert.deepEqual(unknown, []);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, chain: string[]) => {
    if (state.get(id) === 'done') return;
    assert.notEqual(state.get(id), 'visiting', `dependency cycle: ${[...chain, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const d of metas.get(id)!.dependsOn as string[]) visit(d, [...chain, id]);
    state.set(id, 'done');
  };
  for (const id of metas.keys()) visit(id, []);
});

test('analysis: a fix of the analysis has a unique fix number and no finding; a fix beyond it has fix null and names its finding', () => {
  // no list of fix numbers here: a new codemod (memfix new) is either one of the analysis' fixes
  // with a number no other codemod claims, or a finding beyond the analysis
  const seen = new Map<number, string>();
  const bad: string[] = [];
  for (const [id, m] of metas) {
    const a = m.analysis;
    if (!a || typeof a !== 'object') { bad.push(`${id}: no analysis object`); continue; }
    if (!Array.isArray(a.issues) || a.issues.some((i) => typeof i !== 'string' || i.trim() === '')) bad.push(`${id}: analysis.issues must be a list of non-empty strings`);
    const n = a.fix;
    if (n === null) {
      if (typeof a.finding !== 'string' || a.finding.trim() === '') bad.push(`${id}: analysis.fix is null, so analysis.finding must say where the bug was found`);
      continue;
    }
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) { bad.push(`${id}: analysis.fix is ${JSON.stringify(n)}, not a fix number (1, 2, ...) or null`); continue; }
    if (a.finding !== undefined) bad.push(`${id}: analysis.fix is #${n}, so it has no finding (a finding is for a fix beyond the analysis)`);
    if (seen.has(n)) bad.push(`${id} and ${seen.get(n)} both claim analysis fix #${n}`);
    seen.set(n, id);
  }
  assert.deepEqual(bad, []);
});

test('nothing in src/ imports from codemods/', () => {
  const bad: string[] = [];
  for (const file of tsFiles(srcDir)) {
    for (const spec of importSpecifiers(file)) {
      if (/(^|\/)codemods(\/|$)/.test(spec)) { bad.push(`${relative(repoRoot, file)} imports ${spec}`); continue; }
      if (!spec.startsWith('.')) continue;
      if (inside(codemodsDir, resolve(dirname(file), spec))) bad.push(`${relative(repoRoot, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no source in src/ names a particular codemod', () => {
  // the README: "Nothing outside this folder names a particular codemod"
  const bad: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const id of folders) if (new RegExp(`['"\`/]${id}['"\`/]`).test(text)) bad.push(`${relative(repoRoot, file)} names ${id}`);
  }
  assert.deepEqual(bad, []);
});

test('test/tiers.json names test files that exist, each in one tier', () => {
  const tiers = JSON.parse(readFileSync(join(ourRoot, 'test', 'tiers.json'), 'utf8')) as Record<string, string[]>;
  const seen = new Set<string>();
  for (const [tier, files] of Object.entries(tiers)) {
    for (const f of files) {
      assert.ok(existsSync(join(ourRoot, 'test', `${f}.test.ts`)), `${tier}: test/${f}.test.ts does not exist`);
      assert.ok(!seen.has(f), `test/${f}.test.ts is in two tiers`);
      seen.add(f);
    }
  }
});

// ---- the harness: one file per fix (harness/README.md, "Adding a fix") ----
// Checked where the project has a harness (memfix's own checkout; a project of test/new.test.ts
// may have none).
const harnessDir = join(repoRoot, 'harness');
const hasHarness = existsSync(join(harnessDir, 'build.sh'));
/** The harness files that are shared code, named by no fix; every other harness/*.cpp is a fix's. */
const SHARED_HARNESS = new Set(['main.cpp']);
const harnessFiles = hasHarness ? readdirSync(harnessDir).filter((f) => f.endsWith('.cpp')).sort() : [];

/** The scenarios a harness file registers: name and fix of each `{"name", "fix", …}` in its MEMFIX_SCENARIOS(…) calls. */
function registeredScenarios(source: string): { name: string; fix: string }[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: { name: string; fix: string }[] = [];
  for (let at = text.indexOf('MEMFIX_SCENARIOS('); at >= 0; at = text.indexOf('MEMFIX_SCENARIOS(', at + 1)) {
    // the call's arguments: up to the parenthesis that closes it, strings skipped
    let depth = 0;
    let end = at + 'MEMFIX_SCENARIOS'.length;
    for (; end < text.length; end++) {
      const c = text[end];
      if (c === '"') { for (end++; end < text.length && text[end] !== '"'; end++) if (text[end] === '\\') end++; }
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    for (const m of text.slice(at, end).matchAll(/\{\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"/g)) out.push({ name: m[1]!, fix: m[2]! });
  }
  return out;
}

test('the harness scanner finds every scenario a MEMFIX_SCENARIOS call registers', () => {
  // a guard for the checks below: they are only as good as this scanner
  const found = registeredScenarios([
    '// MEMFIX_SCENARIOS({"in-a-comment", "x", "asan", "no", f})',
    'MEMFIX_SCENARIOS(',
    '    {"one", "fix-a", "asan",',
    '        "a description with, commas, (parentheses) and a \\"quote\\"", hand::sc_one},',
    '    {"two", "fix-a", "asan,tsan", "…", live::sc_two, Exit::at_once},',
    ')',
    'void later() { std::vector<std::string> v{"not", "registered"}; }',
  ].join('\n'));
  assert.deepEqual(found, [{ name: 'one', fix: 'fix-a' }, { name: 'two', fix: 'fix-a' }]);
});

test('harness: every fix has its file, harness/<fix-id>.cpp', { skip: !hasHarness && 'no harness/ in this project' }, () => {
  const missing = folders.filter((id) => !harnessFiles.includes(`${id}.cpp`));
  assert.deepEqual(missing, [], `no harness file for ${missing.join(', ')} (codemods/README.md, "A new codemod")`);
});

test('harness: every harness file is shared code (main.cpp), all.cpp, or named by a registered fix', { skip: !hasHarness && 'no harness/ in this project' }, () => {
  const stray = harnessFiles.filter((f) => !SHARED_HARNESS.has(f) && f !== 'all.cpp' && !folders.includes(f.replace(/\.cpp$/, '')));
  assert.deepEqual(stray, [], 'harness files named by no codemod folder');
});

test('harness: each file registers scenarios of its own fix only (all.cpp: `all`), shared code none; names unique', { skip: !hasHarness && 'no harness/ in this project' }, () => {
  const bad: string[] = [];
  const seen = new Map<string, string>();
  let total = 0;
  for (const f of harnessFiles) {
    const own = f.replace(/\.cpp$/, '');
    for (const s of registeredScenarios(readFileSync(join(harnessDir, f), 'utf8'))) {
      total++;
      if (SHARED_HARNESS.has(f)) bad.push(`${f} is shared code but registers ${s.name}`);
      else if (s.fix !== own) bad.push(`harness/${f} registers ${s.name} for fix ${s.fix}: it belongs in harness/${s.fix}.cpp`);
      if (seen.has(s.name)) bad.push(`${s.name} is registered in ${seen.get(s.name)} and ${f}`);
      seen.set(s.name, f);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(total > 0, 'no scenario registered in harness/*.cpp');
});

test('harness: no file over 500 lines', { skip: !hasHarness && 'no harness/ in this project' }, () => {
  const long = readdirSync(harnessDir).filter((f) => statSync(join(harnessDir, f)).isFile())
    .map((f) => [f, readFileSync(join(harnessDir, f), 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 500);
  assert.deepEqual(long, []);
});
