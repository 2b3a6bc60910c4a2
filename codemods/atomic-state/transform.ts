/**
 * atomic-state: state that one thread writes while another reads it is std::atomic, and what the
 * header defines at namespace scope is defined once program-wide (C++14: no inline variables).
 *
 * Unsafe shapes: a namespace-scope variable defined in the header (`std::int64_t
 * memory_disk_memory_size = 0;`, or HEAD's `std::atomic<std::int64_t> ...{0};`): one object per
 * translation unit that includes the header, so two such units do not link, and (when plain) a
 * data race between the setter Go calls and the storages that read it; a namespace-scope
 * function defined without `inline` (the same rule); a plain data member that abort() writes
 * while other threads' jobs may read it (`bool m_abort`).
 * Safe shape (ours or hand-written): the variable is a static data member of a class template,
 * of std::atomic type, defined in the header (`template <typename Unused = void> struct
 * <name>_t { static std::atomic<T> value; };` and its definition), and every use in the group's
 * files (the header, session.i, session_params.i ...) names it; namespace-scope functions are
 * inline; what abort() writes is std::atomic.
 */
import { drift, ensureIncludes, headerClass, loc, ofType, renderBlock, textOf, type Context, type Edit, type Loc, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { MEMBER, SUFFIX, abortWrites, atomicArgument, headerState, isArithmetic, namespacesOf, usesOf, type Use } from './shape.ts';

const ID = 'atomic-state';

const replace = (src: SourceFile, node: SyntaxNode, text: string): Edit => ({ file: src.path, start: node.startIndex, end: node.endIndex, text });

/** `name` → `name_t<>::value` at each use. */
const renameUses = (uses: Use[], name: string): Edit[] => uses.map((u) => replace(u.file, u.node, `${name}${SUFFIX}<>::${MEMBER}`));

/** A data member or static member declared `T x = v;`, `T x{v};` or `T x;` made std::atomic<T>. */
function atomicDeclaration(src: SourceFile, type: SyntaxNode, declarator: SyntaxNode | null, value: SyntaxNode | null): Edit[] {
  const edits: Edit[] = [replace(src, type, `std::atomic<${textOf(src, type)}>`)];
  // `= v` copy-initialises, which std::atomic does not allow before C++17: `{v}`
  if (declarator && value && value.type !== 'initializer_list') edits.push({ file: src.path, start: declarator.endIndex, end: value.endIndex, text: `{${textOf(src, value)}}` });
  return edits;
}

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };

  const edits: Edit[] = [];
  const at: Loc[] = [];
  const notes: string[] = [];
  const state = headerState(ctx, src);
  const touched = new Set<string>();

  if (state.unknown.length) {
    const u = state.unknown[0]!;
    return drift(src, u.startIndex, `a namespace-scope variable of the header that is an integer, a bool or a std::atomic of one (to define it once program-wide, atomic), not ${textOf(src, u).replace(/\s+/g, ' ').slice(0, 80)}`);
  }

  // namespace-scope variables: one atomic program-wide, every use renamed
  // the classes of the header (walked only when a variable needs the check: a large header's walk is costly)
  let classes: Set<string> | undefined;
  const structs = () => (classes ??= new Set([...state.members.map((m) => m.struct), ...ofType(src.root, 'struct_specifier', 'class_specifier').map((c) => c.childForFieldName('name')?.text ?? '')]));
  for (const v of state.variables) {
    if (src.text.includes(v.name + SUFFIX) && structs().has(v.name + SUFFIX)) return drift(src, v.decl.startIndex, `no class named ${v.name}${SUFFIX} besides the one this fix defines for ${v.name}`);
    const { uses, unknown } = usesOf(ctx, v.name, v.namespaces, v.nameNode);
    if (unknown) return drift(unknown.file, unknown.node.startIndex, `uses of ${v.name} that can be renamed to ${v.name}${SUFFIX}<>::${MEMBER} (not a using-declaration)`);
    edits.push(replace(src, v.decl, renderBlock(src, v.decl, `${ID}/shared.cpp`, { name: v.name, suffix: SUFFIX, member: MEMBER, type: v.valueType, init: v.init })));
    edits.push(...renameUses(uses, v.name));
    at.push(loc(src, v.decl.startIndex));
    for (const u of uses) { touched.add(u.file.path); if (u.file.path !== src.path) at.push(loc(u.file, u.node.startIndex)); }
  }

  // already a class-template static member: atomic, and no use left under the old name
  for (const m of state.members) {
    if (!m.atomic) {
      edits.push(...atomicDeclaration(src, m.type, null, null));
      if (m.definition) {
        const d = m.definition;
        const value = d.declarator.type === 'init_declarator' ? d.declarator.childForFieldName('value') : null;
        edits.push(...atomicDeclaration(src, d.type, d.declarator.type === 'init_declarator' ? d.declarator.childForFieldName('declarator') : null, value));
      }
      at.push(loc(src, m.field.startIndex));
    }
    if (m.member === MEMBER && m.struct.endsWith(SUFFIX)) {
      const old = m.struct.slice(0, -SUFFIX.length);
      const tpl = ofType(src.root, 'template_declaration').find((t) => t.startIndex <= m.field.startIndex && m.field.endIndex <= t.endIndex)!;
      const { uses, unknown } = usesOf(ctx, old, namespacesOf(tpl));
      if (unknown) return drift(unknown.file, unknown.node.startIndex, `uses of ${old} that can be renamed to ${m.struct}<>::${MEMBER} (not a using-declaration)`);
      if (uses.length) {
        edits.push(...renameUses(uses, old));
        for (const u of uses) { touched.add(u.file.path); at.push(loc(u.file, u.node.startIndex)); }
      }
    }
  }

  // namespace-scope functions: inline
  for (const f of state.functions) {
    edits.push({ file: src.path, start: f.startIndex, end: f.startIndex, text: 'inline ' });
    at.push(loc(src, f.startIndex));
  }

  // what abort() writes: std::atomic
  const { abort, members } = abortWrites(ctx, src, cls.body);
  if (!abort) return drift(src, cls.classNode.startIndex, `an abort(bool) override defined in ${cls.name}`);
  for (const { name, field } of members) {
    const type = field.childForFieldName('type')!;
    if (atomicArgument(src, type) !== null) continue;
    if (field.childrenForFieldName('declarator').length !== 1 || field.children.some((c) => c.type === 'type_qualifier' || c.type === 'storage_class_specifier') || !isArithmetic(textOf(src, type)))
      return drift(src, field.startIndex, `${name}, which abort() writes, declared as one plain integer or bool member (to make it std::atomic), or std::atomic already`);
    edits.push(...atomicDeclaration(src, type, field.childForFieldName('declarator'), field.childForFieldName('default_value')));
    at.push(loc(src, field.startIndex));
  }

  if (edits.length === 0) return { status: 'applied', at: [loc(src, abort.startIndex)] };
  if (edits.some((e) => e.file === src.path && /std::atomic</.test(e.text))) edits.push(...ensureIncludes(src, ['atomic']));
  for (const path of touched) if (path !== src.path) notes.push(`uses renamed in ${path}`);
  return { status: 'apply', edits, at: dedupe(at), notes };
}

const dedupe = (at: Loc[]) => at.filter((l, i) => at.findIndex((x) => x.file === l.file && x.line === l.line) === i);
