/**
 * memfix new ID: scaffold a codemod folder (meta.json, a query, transform.ts written with
 * ts-morph, a templates/ID folder and the three kinds of scenario to fill in).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, VariableDeclarationKind } from 'ts-morph';
import { MemfixError } from '../errors.ts';
import { codemodsDir, loadCodemods } from '../registry.ts';
import { templatesDir } from '../template.ts';
import { out } from './common.ts';

export async function scaffold(id: string, o: { title?: string }, dirs = { codemods: codemodsDir, templates: templatesDir }): Promise<void> {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new MemfixError(`codemod id must be a lower-case slug (a-z, 0-9, -), got "${id}"`);
  const folder = join(dirs.codemods, id);
  if (existsSync(folder)) throw new MemfixError('already exists', folder);
  const fixes = dirs.codemods === codemodsDir ? (await loadCodemods()).flatMap((m) => (m.meta.analysis.fix === null ? [] : [m.meta.analysis.fix])) : [];
  const meta = {
    id,
    title: o.title ?? `TODO: what ${id} fixes`,
    analysis: { fix: Math.max(0, ...fixes) + 1, issues: ['TODO'] },
    why: 'TODO: the bug, in one paragraph.',
    what: 'TODO: the fix, in one paragraph.',
    dependsOn: [],
    targets: ['header'],
    commit: { subject: `memory_disk_io: TODO (${id})`, body: 'TODO: the commit message body.' },
  };
  mkdirSync(join(folder, 'scenarios'), { recursive: true });
  writeFileSync(join(folder, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  writeFileSync(join(folder, 'target.scm'), '; TODO: the structure this codemod locates\n(function_definition declarator: (function_declarator declarator: (field_identifier) @name)) @method\n');

  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile('transform.ts');
  file.addStatements(`/**\n * ${id}: ${meta.title}\n * Unsafe shape: TODO. Safe shape: TODO.\n */`);
  file.addImportDeclaration({ moduleSpecifier: '../../src/codemod.ts', namedImports: ['drift', 'loc', { name: 'Context', isTypeOnly: true }, { name: 'Result', isTypeOnly: true }] });
  file.addImportDeclaration({ moduleSpecifier: '../../src/cppedit.ts', namedImports: ['headerClass'] });
  file.addImportDeclaration({ moduleSpecifier: '../../src/source.ts', namedImports: ['matchAll'] });
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
      "const found = matchAll(ctx.query('target'), cls.body)[0];",
      'if (!found) return drift(src, cls.classNode.startIndex, `${ID}: TODO what was expected`);',
      '// TODO: recognise the safe shape (applied), the unsafe shapes (apply: return edits), anything else (drift)',
      "return { status: 'applied', at: [loc(src, found.method!.startIndex)] };",
    ],
  });
  file.formatText({ indentSize: 2 });
  writeFileSync(join(folder, 'transform.ts'), file.getFullText());
  for (const kind of ['apply', 'applied', 'drift']) {
    mkdirSync(join(folder, 'scenarios', `${kind}-todo`, 'input'), { recursive: true });
    writeFileSync(join(folder, 'scenarios', `${kind}-todo`, 'scenario.json'), JSON.stringify({ expect: { [id]: kind } }, null, 2) + '\n');
  }
  mkdirSync(join(dirs.templates, id), { recursive: true });
  writeFileSync(join(dirs.templates, id, 'README.md'), `C++ that the ${id} codemod inserts (4-space indentation, LF; render() adapts it to each file).\n`);
  out(`created ${folder} and templates/${id}: fill in meta.json, target.scm, transform.ts and the scenarios`);
}
