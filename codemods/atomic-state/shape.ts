/**
 * What atomic-state looks at, found by structure (shared by transform.ts and mutants.ts).
 *
 * - Namespace-scope variables the header defines (not const, not inline, extern or static): each
 *   is one variable per translation unit that includes the header (the one-definition rule; two
 *   such units do not link) and, when the setter Go calls writes it while storages read it, a
 *   data race. Integers, bools and std::atomic of them are known.
 * - Class-template static data members (`template <typename Unused = void> struct X { static T
 *   value; }` and its out-of-class definition): the C++14 way to define one object program-wide
 *   in a header. Safe when T is std::atomic<...>.
 * - Namespace-scope functions a header file (.h, .hh, .hpp, .hxx, .h++, .ipp, .tpp) defines without
 *   `inline` (the same rule), except those with internal linkage (`static`, in an unnamed
 *   namespace), `main`, and templates (not matched: a template's definition is a
 *   template_declaration). A .cpp is one translation unit: its functions are left alone, as
 *   are SWIG's `%{ %}` bodies (SWIG copies them into the one wrapper .cxx it generates).
 * - The data members that the disk I/O class's abort() writes: read by other threads' jobs, so
 *   std::atomic.
 */
import { dataMembers, declaredName, matchAll, methodDefinitions, ofType, textOf, type Context, type Role, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

export const SUFFIX = '_t';
export const MEMBER = 'value';

const ARITHMETIC = /^(?:(?:un)?signed\s+)?(?:bool|char|short|int|long|long\s+long|float|double)(?:\s+int)?$|^(?:std::)?(?:u?int(?:8|16|32|64|max|ptr)?_t|u?int_(?:fast|least)(?:8|16|32|64)_t|size_t|ptrdiff_t)$/;

export const isArithmetic = (type: string) => ARITHMETIC.test(type.replace(/\s+/g, ' ').trim());

/** `std::atomic<T>` (or `atomic<T>`): T's text, else null. */
export function atomicArgument(src: SourceFile, type: SyntaxNode): string | null {
  const t = type.type === 'qualified_identifier' ? type.childForFieldName('name') : type;
  if (t?.type !== 'template_type' || t.childForFieldName('name')?.text !== 'atomic') return null;
  const scope = type.type === 'qualified_identifier' ? textOf(src, type.childForFieldName('scope')!) : 'std';
  if (scope.replace(/^::/, '') !== 'std') return null;
  const args = t.childForFieldName('arguments')?.namedChildren ?? [];
  return args.length === 1 ? textOf(src, args[0]!) : null;
}

const specifiers = (n: SyntaxNode) => n.children.filter((c) => c.type === 'storage_class_specifier' || c.type === 'type_qualifier').map((c) => c.text);

/** The namespaces enclosing a node, outermost first. */
export function namespacesOf(node: SyntaxNode): string[] {
  const out: string[] = [];
  for (let p = node.parent; p; p = p.parent) if (p.type === 'namespace_definition') out.unshift(p.childForFieldName('name')?.text ?? '');
  return out;
}

export interface SharedVariable {
  decl: SyntaxNode;
  name: string;
  nameNode: SyntaxNode;
  /** the value type (T of std::atomic<T>, or the plain type) */
  valueType: string;
  atomic: boolean;
  /** the initializer as a brace initializer (`{0}`), or '' */
  init: string;
  namespaces: string[];
}

export interface StateMember {
  struct: string;
  member: string;
  field: SyntaxNode;
  type: SyntaxNode;
  /** its out-of-class definition, if found */
  definition?: { decl: SyntaxNode; type: SyntaxNode; declarator: SyntaxNode };
  valueType: string;
  atomic: boolean;
}

export interface HeaderState {
  variables: SharedVariable[];
  /** namespace-scope variables of a kind atomic-state does not know (a pointer, a class object ...) */
  unknown: SyntaxNode[];
  /** namespace-scope functions defined without inline */
  functions: SyntaxNode[];
  members: StateMember[];
}

/** A header file: several translation units include it, so what it defines at namespace scope must be inline. */
export const isHeaderPath = (path: string) => /\.(h|hh|hpp|hxx|h\+\+|ipp|tpp)$/i.test(path);

/** A namespace-scope function definition that `inline` keeps to one definition program-wide. */
function needsInline(src: SourceFile, fn: SyntaxNode): boolean {
  if (!isHeaderPath(src.path)) return false;
  const name = declaredName(fn.childForFieldName('declarator'));
  if (!name || name.text === 'main' || name.text === '::main') return false;
  // internal linkage: every enclosing namespace must have a name
  for (let p = fn.parent; p; p = p.parent) if (p.type === 'namespace_definition' && !p.childForFieldName('name')) return false;
  return true;
}

export function headerState(ctx: Context, src: SourceFile): HeaderState {
  const state: HeaderState = { variables: [], unknown: [], functions: [], members: [] };
  for (const { item } of matchAll(ctx.query('namespace-scope'), src.root) as { item: SyntaxNode }[]) {
    const spec = specifiers(item);
    if (item.type === 'function_definition') {
      if (!spec.some((s) => ['inline', 'static', 'constexpr'].includes(s)) && item.childForFieldName('body') && needsInline(src, item)) state.functions.push(item);
      continue;
    }
    const declarators = item.childrenForFieldName('declarator');
    if (declarators.length === 0 || declarators.some((d) => ofType(d, 'function_declarator').length > 0)) continue;
    if (spec.some((s) => ['inline', 'static', 'extern', 'thread_local', 'const', 'constexpr'].includes(s))) continue;
    if (declarators.length !== 1) { state.unknown.push(item); continue; }
    const declarator = declarators[0]!;
    const nameNode = declarator.type === 'init_declarator' ? declarator.childForFieldName('declarator') : declarator;
    const type = item.childForFieldName('type');
    if (nameNode?.type !== 'identifier' || !type) { state.unknown.push(item); continue; }
    const atomicOf = atomicArgument(src, type);
    const valueType = atomicOf ?? textOf(src, type);
    if (!isArithmetic(valueType)) { state.unknown.push(item); continue; }
    const value = declarator.type === 'init_declarator' ? declarator.childForFieldName('value') : null;
    const init = !value ? '' : value.type === 'initializer_list' ? textOf(src, value) : `{${textOf(src, value)}}`;
    state.variables.push({ decl: item, name: nameNode.text, nameNode, valueType, atomic: atomicOf !== null, init, namespaces: namespacesOf(item) });
  }
  // class-template static data members of an arithmetic or atomic type, with their definitions
  let definitions: SyntaxNode[] | undefined;
  for (const m of matchAll(ctx.query('state-template'), src.root)) {
    if (!m.field!.children.some((c) => c.type === 'storage_class_specifier' && c.text === 'static')) continue;
    const type = m.type!;
    const atomicOf = atomicArgument(src, type);
    const valueType = atomicOf ?? textOf(src, type);
    if (!isArithmetic(valueType)) continue;
    const struct = m.struct!.text;
    const member = m.member!.text;
    let definition: StateMember['definition'];
    definitions ??= ofType(src.root, 'template_declaration').flatMap((t) => t.namedChildren.filter((c) => c.type === 'declaration'));
    for (const d of definitions) {
      const declarator = d.childForFieldName('declarator');
      const q = declarator?.type === 'init_declarator' ? declarator.childForFieldName('declarator') : declarator;
      if (q?.type !== 'qualified_identifier' || q.childForFieldName('name')?.text !== member) continue;
      if (q.childForFieldName('scope')?.childForFieldName('name')?.text !== struct) continue;
      definition = { decl: d, type: d.childForFieldName('type')!, declarator: declarator! };
    }
    state.members.push({ struct, member, field: m.field!, type, definition, valueType, atomic: atomicOf !== null });
  }
  return state;
}

/** The data members abort() writes (assigns, or stores into). */
export function abortWrites(ctx: Context, src: SourceFile, classBody: SyntaxNode): { abort?: SyntaxNode; members: { name: string; field: SyntaxNode }[] } {
  const abort = methodDefinitions(classBody).find((m) => m.name.text === 'abort');
  if (!abort) return { members: [] };
  const fields = new Map<string, SyntaxNode>();
  for (const d of dataMembers(classBody)) for (const decl of d.childrenForFieldName('declarator')) {
    const n = declaredName(decl);
    if (n) fields.set(textOf(src, n), d);
  }
  const written = new Set<string>();
  const memberOf = (n: SyntaxNode | null): string | null => {
    if (!n) return null;
    if (n.type === 'identifier') return n.text;
    if (n.type === 'field_expression' && n.childForFieldName('argument')?.type === 'this') return n.childForFieldName('field')?.text ?? null;
    return null;
  };
  for (const a of ofType(abort.body, 'assignment_expression')) { const n = memberOf(a.childForFieldName('left')); if (n) written.add(n); }
  for (const c of ofType(abort.body, 'call_expression')) {
    const f = c.childForFieldName('function');
    if (f?.type === 'field_expression' && /^(store|exchange)$/.test(f.childForFieldName('field')?.text ?? '')) { const n = memberOf(f.childForFieldName('argument')); if (n) written.add(n); }
  }
  return { abort: abort.method, members: [...written].filter((n) => fields.has(n)).map((name) => ({ name, field: fields.get(name)! })) };
}

/** The files of the group that may use `name`: those the engine says name it, else the role files. */
export function filesUsing(ctx: Context, name: string): SourceFile[] {
  const files = ctx.filesNaming?.(name) ?? (Object.keys(ctx.files) as Role[]).map((r) => ctx.files[r]!).filter((f) => f.text.includes(name));
  return files.filter((f, i) => files.findIndex((g) => g.path === f.path) === i);
}

/** Does a declaration in an enclosing scope of `use` (a parameter, a local) hide the namespace-scope `name`? */
function shadowed(src: SourceFile, use: SyntaxNode, name: string): boolean {
  for (let p: SyntaxNode | null = use.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda_expression') {
      const params = ofType(p.childForFieldName('declarator') ?? p, 'parameter_declaration', 'optional_parameter_declaration');
      if (params.some((d) => declaredName(d.childForFieldName('declarator'))?.text === name)) return true;
    }
    if (p.type === 'compound_statement' || p.type === 'for_statement' || p.type === 'for_range_loop') {
      for (const d of p.namedChildren.filter((c) => c.type === 'declaration' && c.startIndex < use.startIndex))
        if (d.childrenForFieldName('declarator').some((x) => declaredName(x)?.text === name)) return true;
      if (p.type === 'for_range_loop' && declaredName(p.childForFieldName('declarator'))?.text === name) return true;
    }
  }
  void src;
  return false;
}

export interface Use { file: SourceFile; node: SyntaxNode }

/**
 * The identifiers of a file spelled `name`, in document order: found where the text has `name`
 * (a walk over every identifier of a large header costs more than its parse).
 */
function identifiersNamed(file: SourceFile, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  for (let i = file.text.indexOf(name); i >= 0 && name; i = file.text.indexOf(name, i + 1)) {
    const node = file.root.descendantForIndex(i, i + name.length);
    if (node.type === 'identifier' && node.startIndex === i && node.endIndex === i + name.length && node.text === name) found.push(node);
  }
  return found;
}

function ancestors(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(p);
  return out;
}

/** Uses of the namespace-scope `name` (declared in `namespaces`) in the group's files; `exclude` is its own declarator. */
export function usesOf(ctx: Context, name: string, namespaces: string[], exclude?: SyntaxNode): { uses: Use[]; unknown?: Use } {
  const uses: Use[] = [];
  for (const file of filesUsing(ctx, name)) {
    for (const node of identifiersNamed(file, name)) {
      if (exclude && node.id === exclude.id && file.path === ctx.files.header?.path) continue;
      const parent = node.parent;
      if (parent?.type === 'qualified_identifier' && parent.childForFieldName('name')?.id === node.id) {
        const scope = textOf(file, parent.childForFieldName('scope')!).replace(/\s+/g, '').replace(/^::/, '');
        if (scope !== namespaces.join('::')) continue; // another entity of that name
        if (parent.parent?.type === 'using_declaration') return { uses, unknown: { file, node: parent.parent } };
      } else if (parent?.type === 'using_declaration') {
        return { uses, unknown: { file, node: parent } };
      }
      // the name a declaration declares (a declaration holding it is one of its ancestors)
      if (ancestors(node).some((d) => d.type === 'declaration' && d.childrenForFieldName('declarator').some((x) => declaredName(x)?.id === node.id))) continue;
      if (shadowed(file, node, name)) continue;
      uses.push({ file, node });
    }
  }
  return { uses };
}
