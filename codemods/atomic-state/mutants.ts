/**
 * atomic-state's mutants: on a tree with every fix applied, each makes one of the shared
 * variables plain again; the ThreadSanitizer scenarios (size-race, abort-race) must then report
 * a data race. The one-definition part has no mutant here: the harness links one translation
 * unit of the header, so no scenario can see it (test/beyond-analysis.test.ts links two).
 */
import { headerClass, ofType, textOf, type Context, type Edit, type Mutant, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { SUFFIX, abortWrites, atomicArgument, filesUsing, headerState } from './shape.ts';

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** `a::b<>::c` → `c` */
function innermostName(n: SyntaxNode): string | undefined {
  let name = n.childForFieldName('name');
  while (name?.type === 'qualified_identifier') name = name.childForFieldName('name');
  return name?.text;
}

/** `std::atomic<T>` → `T`. */
const plain = (src: SourceFile, type: SyntaxNode): Edit => ({ file: src.path, start: type.startIndex, end: type.endIndex, text: atomicArgument(src, type)! });

/** Calls of `.load()` / `.store(x)` on `target` (text) in a file: `target` / `target = x`, so a plain variable still compiles. */
function plainAccess(file: SourceFile, target: (n: SyntaxNode) => boolean): Edit[] {
  const edits: Edit[] = [];
  for (const call of ofType(file.root, 'call_expression')) {
    const f = call.childForFieldName('function');
    if (f?.type !== 'field_expression') continue;
    const obj = f.childForFieldName('argument');
    const op = f.childForFieldName('field')?.text;
    if (!obj || !target(obj)) continue;
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    if (op === 'load' && args.length === 0) edits.push({ file: file.path, start: call.startIndex, end: call.endIndex, text: textOf(file, obj) });
    if (op === 'store' && args.length === 1) edits.push({ file: file.path, start: call.startIndex, end: call.endIndex, text: `${textOf(file, obj)} = ${textOf(file, args[0]!)}` });
  }
  return edits;
}

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header;
  if (!src) return [];
  const out: Mutant[] = [];

  for (const m of headerState(ctx, src).members) {
    if (!m.atomic || !m.definition || atomicArgument(src, m.definition.type) === null) continue;
    const edits: Edit[] = [plain(src, m.type), plain(src, m.definition.type)];
    // <struct><>::<member>.load() / .store(x), wherever the group uses it
    const named = (n: SyntaxNode) => n.type === 'qualified_identifier' && innermostName(n) === m.member && ofType(n, 'type_identifier').some((t) => t.text === m.struct);
    for (const file of filesUsing(ctx, m.struct)) edits.push(...plainAccess(file, named));
    // the old name, a reference to the member (`static std::atomic<T>& old = <struct><>::<member>;`), refers to the plain one
    for (const decl of ofType(src.root, 'declaration')) {
      const type = decl.childForFieldName('type');
      const init = decl.namedChildren.find((c) => c.type === 'init_declarator');
      if (!type || init?.childForFieldName('declarator')?.type !== 'reference_declarator' || atomicArgument(src, type) === null) continue;
      if (ofType(init, 'qualified_identifier').some(named)) edits.push(plain(src, type));
    }
    out.push({ id: `${slug(m.struct.endsWith(SUFFIX) ? m.struct.slice(0, -SUFFIX.length) : m.struct)}-plain`, description: `${m.struct}::${m.member} is a plain ${m.valueType} again (written by the setter while storages read it)`, edits });
  }

  const cls = headerClass(src, ctx.className);
  if (cls) {
    for (const { name, field } of abortWrites(ctx, src, cls.body).members) {
      const type = field.childForFieldName('type')!;
      if (atomicArgument(src, type) === null) continue;
      const edits: Edit[] = [plain(src, type), ...plainAccess(src, (n) => n.type === 'identifier' && n.text === name)];
      out.push({ id: `${slug(name.replace(/^m_/, ''))}-plain`, description: `${name}, which abort() writes, is a plain ${atomicArgument(src, type)} again`, edits });
    }
  }
  return out;
}
