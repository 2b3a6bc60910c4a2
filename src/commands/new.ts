/**
 * memfix new ID: scaffold a codemod in a memfix project (a checkout of memfix: the folder that
 * holds its package.json, codemods/ and templates/), found from the current directory, or the
 * folder given with --dir. Never into an installed copy of memfix (a folder under node_modules):
 * a global install is not where codemods are written, and the next `npm i -g` would erase them.
 *
 * It writes codemods/ID/ (meta.json that passes the registry's checks, target.scm, transform.ts
 * written with ts-morph, one scenario folder per outcome) and templates/ID/, and, in a project
 * that has memfix's sanitizer harness (harness/build.sh), the fix's harness file harness/ID.cpp
 * with one scenario that fails until it is written. The transform stub
 * reports `missing` ("not implemented") until it is filled in: a placeholder must never tell CI
 * that a bug is fixed. Everything is written to staging folders first and renamed into place at
 * the end, so a failure leaves nothing half-written.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Project, QuoteKind, VariableDeclarationKind } from 'ts-morph';
import { MemfixError } from '../errors.ts';
import { out } from './common.ts';

export interface NewOptions { title?: string; finding?: string; dir?: string }

/** The outcomes a codemod's scenarios must cover (see codemods/README.md). */
const OUTCOMES = ['apply', 'applied', 'drift', 'missing', 'error'] as const;

const isMemfixCheckout = (d: string): boolean => {
  try {
    const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === 'memfix' && statSync(join(d, 'codemods')).isDirectory();
  } catch {
    return false;
  }
};

const underNodeModules = (d: string) => d.split(sep).includes('node_modules');

/** The project to scaffold into: --dir, else the memfix checkout that holds `cwd`. */
export function findProject(cwd: string, dir?: string): string {
  if (dir !== undefined) {
    const d = resolve(cwd, dir);
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new MemfixError('no such directory (--dir names the project folder that gets codemods/ and templates/)', d);
    const real = realpathSync(d);
    if (underNodeModules(real)) throw new MemfixError('this is an installed copy of memfix (under node_modules), not a project: scaffold in your clone of memfix', d);
    return real;
  }
  const start = realpathSync(cwd);
  for (let d = start; ; d = dirname(d)) {
    if (isMemfixCheckout(d)) {
      if (underNodeModules(d)) throw new MemfixError('this is an installed copy of memfix (under node_modules): run memfix new in your clone of memfix (git clone, npm ci), or pass --dir <project>', d);
      return d;
    }
    if (dirname(d) === d) break;
  }
  throw new MemfixError('not inside a memfix checkout (no package.json named memfix with a codemods/ folder here or above): run memfix new in your clone of memfix, or pass --dir <project>', start);
}

export function metaFor(id: string, o: NewOptions) {
  return {
    id,
    title: o.title ?? `TODO: what ${id} fixes`,
    // a fix of the analysis has "fix": <its number> and no finding; a fix beyond it, fix null and a finding
    analysis: { fix: null, finding: o.finding ?? 'TODO: where this bug was found (what showed it)', issues: [] as string[] },
    why: 'TODO: the bug, in one paragraph.',
    what: 'TODO: the fix, in one paragraph.',
    dependsOn: [] as string[],
    targets: ['header'],
    commit: { subject: `memory_disk_io: TODO (${id})`, body: 'TODO: the commit message body: why the change is needed and what it does.' },
  };
}

/** The transform stub, written with ts-morph so that it is well-formed TypeScript. */
export function transformStub(id: string, title: string): string {
  const project = new Project({ useInMemoryFileSystem: true, manipulationSettings: { quoteKind: QuoteKind.Single } });
  const file = project.createSourceFile('transform.ts');
  file.addStatements([
    '/**',
    ` * ${id}: ${title.replace(/\*\//g, '* /')}`,
    ' * Unsafe shape: TODO. Safe shape: TODO.',
    ' *',
    ' * Until it is filled in, this transform reports `missing` ("not implemented"): a stub must',
    ' * never report `applied`, which would tell CI that the bug is fixed.',
    ' */',
  ].join('\n'));
  file.addImportDeclaration({ moduleSpecifier: '../../src/sdk.ts', namedImports: ['headerClass', 'matchAll', { name: 'Context', isTypeOnly: true }, { name: 'Result', isTypeOnly: true }] });
  file.addVariableStatement({ declarationKind: VariableDeclarationKind.Const, declarations: [{ name: 'ID', initializer: `'${id}'` }] });
  file.addFunction({
    name: 'transform',
    isExported: true,
    parameters: [{ name: 'ctx', type: 'Context' }],
    returnType: 'Result',
    statements: [
      'const src = ctx.files.header!;',
      'const cls = headerClass(src, ctx.className);',
      "if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };",
      "const found = matchAll(ctx.query('target'), cls.body);",
      '// TODO: recognise the safe shape: return { status: \'applied\', at: [loc(src, node.startIndex)] };',
      '// the unsafe shapes: return { status: \'apply\', edits, at, notes: [] } (C++ from templates/<id>/);',
      '// anything else: return drift(src, node.startIndex, \'what was expected\') (loc, drift: src/sdk.ts).',
      "return { status: 'missing', reason: `${ID}: not implemented (target.scm matched ${found.length} place(s))` };",
    ],
  });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  return file.getFullText();
}

/** A project with memfix's sanitizer harness (memfix's own checkout): a new fix gets its harness file there. */
const hasHarness = (project: string) => existsSync(join(project, 'harness', 'build.sh')) && existsSync(join(project, 'harness', 'harness.hpp'));

/**
 * The fix's harness file (harness/README.md, "Adding a scenario"): one hand-driven scenario that
 * fails until it is written, so that a placeholder never tells CI that the bug is fixed.
 */
export function harnessSkeleton(id: string): string {
  const fn = `sc_${id.replace(/-/g, '_')}_todo`;
  return [
    `// memfix harness: the scenarios that prove ${id}.`,
    '//',
    '// TODO: what they show. Until they are written, the placeholder below fails: it',
    '// must never tell CI that the bug is fixed. harness/README.md ("Adding a',
    '// scenario") says how to write one; `memfix verify` runs every scenario',
    '// registered here.',
    '#include "harness.hpp"',
    '#include "hand.hpp"',
    '',
    'namespace memfix {',
    'namespace hand {',
    'namespace {',
    '',
    `void ${fn}()`,
    '{',
    '    Env env(0);',
    '    Torrent& t = env.add(1);',
    '    write_piece(env, t, 0);',
    '    env.drain();',
    `    fail("no scenario written yet for ${id} (harness/${id}.cpp)");`,
    '}',
    '',
    '} // namespace',
    '} // namespace hand',
    '} // namespace memfix',
    '',
    'MEMFIX_SCENARIOS(',
    `    {"${id}-todo", "${id}", "asan", "TODO: what this scenario shows", hand::${fn}},`,
    ')',
    '',
  ].join('\n');
}

/** Every file of the scaffold, relative to the project: path → contents ('' with a trailing / is a folder). */
export function scaffoldFiles(id: string, o: NewOptions, harness = false): Map<string, string> {
  const meta = metaFor(id, o);
  const files = new Map<string, string>();
  const c = `codemods/${id}`;
  files.set(`${c}/meta.json`, JSON.stringify(meta, null, 2) + '\n');
  files.set(`${c}/target.scm`, '; TODO: the structure this codemod locates (tree-sitter-cpp); ctx.query(\'target\') compiles it\n(function_definition declarator: (function_declarator declarator: (field_identifier) @name)) @method\n');
  files.set(`${c}/transform.ts`, transformStub(id, meta.title));
  for (const kind of OUTCOMES) {
    files.set(`${c}/scenarios/${kind}-todo/scenario.json`, JSON.stringify({ expect: { [id]: kind } }, null, 2) + '\n');
    files.set(`${c}/scenarios/${kind}-todo/input/`, '');
  }
  if (harness) files.set(`harness/${id}.cpp`, harnessSkeleton(id));
  files.set(`templates/${id}/README.md`, `C++ that the ${id} codemod inserts: one file per piece, written with a 4-space indentation\nunit and LF; render() adapts it to each file and fills its {{slots}} with names from the matched code.\n`);
  return files;
}

export async function scaffold(id: string, o: NewOptions, cwd = process.cwd()): Promise<void> {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new MemfixError(`codemod id must be a lower-case slug (a-z, 0-9, -), got "${id}"`);
  const project = findProject(cwd, o.dir);
  const harness = hasHarness(project);
  // two folders, and the harness file (a root that is a file)
  const roots = [`codemods/${id}`, `templates/${id}`, ...(harness ? [`harness/${id}.cpp`] : [])];
  for (const r of roots) if (existsSync(join(project, r))) throw new MemfixError('already exists', join(project, r));
  const files = scaffoldFiles(id, o, harness);

  // stage each top folder beside its destination, then rename: all or nothing
  const stamp = `.memfix-new-${process.pid}-${Date.now()}`;
  const staged = roots.map((r) => ({ final: join(project, r), tmp: join(project, dirname(r), `.${id}${stamp}`) }));
  const made: string[] = [];
  try {
    // the staging folders are new (mkdir fails on anything at their name) and their files too
    for (const [i, s] of staged.entries()) {
      // the project's codemods/ or templates/ folder, when it has none yet (new --dir on a fresh folder)
      const parent = dirname(s.tmp);
      if (!existsSync(parent)) { mkdirSync(parent); made.push(parent); }
      if (!files.has(roots[i]!)) mkdirSync(s.tmp);
      made.push(s.tmp);
    }
    for (const [path, text] of files) {
      const root = roots.findIndex((r) => path === r || path.startsWith(r + '/'));
      const target = path === roots[root] ? staged[root]!.tmp : join(staged[root]!.tmp, path.slice(roots[root]!.length + 1));
      if (path.endsWith('/')) { mkdirSync(target, { recursive: true }); continue; }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text, { flag: 'wx' });
    }
    for (const s of staged) renameSync(s.tmp, s.final);
  } catch (e) {
    for (const t of made.reverse()) rmSync(t, { recursive: true, force: true });
    if (e instanceof MemfixError) throw e;
    throw new MemfixError(`cannot write the scaffold: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing written`, project);
  }

  const rel = (p: string) => relative(cwd, join(project, p)) || '.';
  out(`created ${rel(`codemods/${id}`)}/ and ${rel(`templates/${id}`)}/${harness ? ` and ${rel(`harness/${id}.cpp`)}` : ''}`);
  out('next:');
  out(`  1. fill in ${rel(`codemods/${id}`)}/meta.json (title, why, what, analysis, dependsOn, targets, commit),`);
  out('     target.scm and transform.ts; until then the transform reports missing ("not implemented")');
  out(`  2. put the C++ the fix inserts in ${rel(`templates/${id}`)}/`);
  out(`  3. give each scenario in ${rel(`codemods/${id}/scenarios`)}/ an input tree (apply, applied, drift, missing; error: broken where it reads, with errorAt),`);
  out(`     then npm run scenarios:update ${id} and review every expected.diff`);
  if (harness) out(`  4. write the sanitizer scenarios that prove the fix in ${rel(`harness/${id}.cpp`)} (harness/README.md, "Adding a scenario"); until then ${id}-todo fails`);
  out(`  ${harness ? 5 : 4}. npm run build (the memfix command runs the compiled dist/), then npm test`);
}
