/**
 * upstream-build: upstream's own code compiles in upstream's build (its Makefile: C++14 with
 * TORRENT_ABI_VERSION=3), so that every prefix of the series compiles. First in the series.
 *
 * 1. ABI 3. libtorrent's strong typedefs (storage_index_t, piece_index_t, ...) convert to their
 *    integer only explicitly, and only to their own underlying type: `static_cast<int>(slot)`,
 *    `int(slot)` or `(int)slot` on a storage_index_t (a std::uint32_t) compiles in ABI 1 (an
 *    implicit conversion) and fails in ABI 3. Unsafe shape: a conversion to a built-in arithmetic
 *    type whose operand's declared type (a parameter, a local, a data member, a namespace-scope
 *    variable, or an element of a std::vector/deque/array/aux::vector of them) is one of those
 *    typedefs, to a type other than its underlying one. The fix converts to the underlying type
 *    first: `static_cast<int>(static_cast<storage_index_t::underlying_type>(slot))` (the member
 *    alias every strong_typedef has, in both ABIs). Conversions to the underlying type itself
 *    (`int(piece)` on a piece_index_t) compile in both and are left alone.
 * 2. The disk_io_constructor. Upstream HEAD's session.i lambda makes the disk I/O with
 *    make_shared, hands the shared_ptr to the global's setter and returns it, where libtorrent
 *    requires a std::unique_ptr<disk_interface>: it does not compile. The fix restores the shape
 *    that compiled (upstream 3a7f5cb): the lambda makes a std::unique_ptr and passes `.get()`;
 *    disk_interface.i's setter takes, and its global holds, a raw pointer (`.reset()` becomes
 *    `= nullptr`, `.get()` the pointer itself). What makes that pointer safe is guarded-global's.
 *
 * Safe shape: no such conversion in the group's files, and no disk_io_constructor lambda that
 * returns a shared_ptr. Drift: a shared_ptr lambda whose disk I/O goes anywhere but a setter
 * the fix can follow, or a global whose uses a raw pointer does not support.
 */
import {
  declaredName, drift, fill, findConstructorLambdas, findGlobalPointers, functionName, loadTemplate, loc, matchAll, ofType, parameters, textOf,
  type Context, type Edit, type Loc, type Result, type SourceFile, type SyntaxNode,
} from '../../src/sdk.ts';

/**
 * libtorrent 2.0's public strong typedefs (units.hpp, storage_defs.hpp, ...) and how their
 * underlying type is spelled: a conversion to one of these spellings compiles in ABI 3.
 */
const INT32 = ['int', 'signed', 'signed int', 'int32_t', 'std::int32_t'];
const UINT32 = ['unsigned', 'unsigned int', 'uint32_t', 'std::uint32_t'];
const UINT8 = ['uint8_t', 'std::uint8_t'];
export const STRONG_TYPEDEFS: Record<string, string[]> = {
  storage_index_t: UINT32,
  piece_index_t: INT32,
  file_index_t: INT32,
  queue_position_t: INT32,
  port_mapping_t: INT32,
  peer_class_t: UINT32,
  download_priority_t: UINT8,
  disconnect_severity_t: UINT8,
};

/** A built-in arithmetic type, as a conversion names it. */
const ARITHMETIC = /^(::)?(std::)?((un)?signed|bool|char|wchar_t|char16_t|char32_t|short|int|long|float|double|size_t|ptrdiff_t|u?int(8|16|32|64|max|ptr)_t|u?int_(fast|least)(8|16|32|64)_t)$/;
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const isArithmetic = (type: string) => squash(type).split(' ').filter((w) => w !== 'const' && w !== 'volatile').every((w) => ARITHMETIC.test(w));
const lastName = (s: string) => s.replace(/\s+/g, '').replace(/^.*::/, '');
const CONTAINERS = new Set(['vector', 'deque', 'array', 'list', 'span']);
const ELEMENT_ACCESS = new Set(['back', 'front', 'at']);

/** The type node a declaration gives `name`, if `declarator` declares it. */
function declares(declarator: SyntaxNode | null, name: string): boolean {
  const n = declaredName(declarator);
  return !!n && lastName(n.text) === name;
}

/** The declared type (a type node) of the entity an identifier names, found in its enclosing scopes. */
function typeOfName(src: SourceFile, id: SyntaxNode): SyntaxNode | null {
  const name = id.text;
  const fromDecl = (d: SyntaxNode) => (d.childrenForFieldName('declarator').some((x) => declares(x, name)) ? d.childForFieldName('type') : null);
  for (let p = id.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda_expression') {
      const param = parameters(p, (n) => textOf(src, n)).find((x) => x.name === name);
      if (param) return param.node.childForFieldName('type');
    }
    if (['compound_statement', 'translation_unit', 'declaration_list', 'field_declaration_list', 'for_range_loop', 'for_statement'].includes(p.type)) {
      for (const d of p.namedChildren) {
        if (p.type === 'compound_statement' && d.startIndex > id.startIndex) break;
        if (d.type === 'declaration' || d.type === 'field_declaration') {
          const t = fromDecl(d);
          if (t) return t;
        }
      }
      if (p.type === 'for_range_loop' && declares(p.childForFieldName('declarator'), name)) return p.childForFieldName('type');
    }
  }
  return null;
}

/** The first template argument of a container type (`std::vector<storage_index_t>` → storage_index_t). */
function elementType(type: SyntaxNode | null): SyntaxNode | null {
  while (type?.type === 'qualified_identifier') type = type.childForFieldName('name');
  if (type?.type !== 'template_type') return null;
  if (!CONTAINERS.has(type.childForFieldName('name')?.text ?? '')) return null;
  const arg = type.childForFieldName('arguments')?.namedChildren[0];
  return arg?.type === 'type_descriptor' ? arg.childForFieldName('type') : null;
}

/** The declared type of an expression, as far as its structure tells: a name, this->member, an element of a container. */
export function declaredTypeOf(src: SourceFile, expr: SyntaxNode): SyntaxNode | null {
  let e = expr;
  while (e.type === 'parenthesized_expression' && e.namedChildCount === 1) e = e.namedChildren[0]!;
  if (e.type === 'identifier') return typeOfName(src, e);
  if (e.type === 'field_expression' && e.childForFieldName('argument')?.type === 'this') {
    const field = e.childForFieldName('field')!;
    for (let p = e.parent; p; p = p.parent) {
      if (p.type !== 'field_declaration_list') continue;
      for (const d of p.namedChildren) if (d.type === 'field_declaration' && d.childrenForFieldName('declarator').some((x) => declares(x, field.text))) return d.childForFieldName('type');
      return null;
    }
    return null;
  }
  if (e.type === 'subscript_expression') return elementType(declaredTypeOf(src, e.childForFieldName('argument')!));
  if (e.type === 'call_expression') {
    const f = e.childForFieldName('function');
    if (f?.type === 'field_expression' && ELEMENT_ACCESS.has(f.childForFieldName('field')?.text ?? '')) return elementType(declaredTypeOf(src, f.childForFieldName('argument')!));
  }
  return null;
}

interface Conversion { cast: SyntaxNode; type: string; value: SyntaxNode; typedef: string; typedefText: string }

/** Conversions to an arithmetic type other than a strong typedef's underlying one: ABI 3 rejects them. */
export function abi3Conversions(ctx: Context, src: SourceFile): Conversion[] {
  const out: Conversion[] = [];
  for (const m of matchAll(ctx.query('conversion'), src.root)) {
    const typeNode = m.type!;
    const type = textOf(src, typeNode.type === 'type_descriptor' ? typeNode : typeNode);
    if (!isArithmetic(type)) continue;
    const t = declaredTypeOf(src, m.value!);
    if (!t) continue;
    const typedef = lastName(textOf(src, t));
    const underlying = STRONG_TYPEDEFS[typedef];
    if (!underlying || underlying.includes(squash(type).replace(/\b(const|volatile)\b/g, '').trim())) continue;
    out.push({ cast: m.cast!, type: squash(type), value: m.value!, typedef, typedefText: textOf(src, t).replace(/\s+/g, '') });
  }
  return out;
}

/** A drift found deep in the analysis: returned up to transform, which returns it. */
type Drift = Extract<Result, { status: 'drift' }>;
const stop = (src: SourceFile, index: number, expected: string): Drift => drift(src, index, expected) as Drift;

/** Nodes of a type under node that belong to it, not to a lambda nested in it. */
const ownNodes = (node: SyntaxNode, type: string) => ofType(node, type).filter((x) => {
  for (let p = x.parent; p && p.id !== node.id; p = p.parent) if (p.type === 'lambda_expression') return false;
  return true;
});

/** A comment just above a declaration that still speaks of shared ownership: said in a note, left as it is. */
function staleComment(src: SourceFile, decl: SyntaxNode, notes: string[]): void {
  // past a declaration or two (the mutex beside the global), then the comment lines above
  let c = decl.previousNamedSibling;
  while (c?.type === 'declaration' && c.endIndex > decl.startIndex - 200) c = c.previousNamedSibling;
  for (; c?.type === 'comment'; c = c.previousNamedSibling) {
    if (!/shar/i.test(textOf(src, c))) continue;
    notes.push(`${src.path}:${loc(src, c.startIndex).line}: the comment there still speaks of shared ownership`);
    return;
  }
}

/** HEAD's shared_ptr disk_io_constructor (see the header comment, 2): edits, or nothing when the lambda makes a unique_ptr; a drift when its shape is not one the fix knows. */
function ownershipEdits(ctx: Context, C: string, edits: Edit[], at: Loc[], notes: string[]): Drift | undefined {
  const session = ctx.files.session;
  if (!session) return;
  const di = ctx.files['disk-interface'];
  for (const lambda of findConstructorLambdas(session, [C])) {
    const body = lambda.childForFieldName('body');
    if (!body) continue;
    const makers = matchAll(ctx.query('factory'), body).filter((m) => m.maker!.text === 'make_shared' && lastName(textOf(session, m.targs!).slice(1, -1)) === C);
    if (!makers.length) continue;
    const expected = `a disk_io_constructor lambda that makes one std::make_shared<${C}>, hands it only to a setter of disk_interface.i and returns it (or returns std::make_shared<${C}>(...) itself)`;
    if (makers.length > 1) return stop(session, makers[1]!.call!.startIndex, expected);
    const make = makers[0]!;
    at.push(loc(session, lambda.startIndex));
    edits.push({ file: session.path, start: make.maker!.startIndex, end: make.maker!.endIndex, text: 'make_unique' });
    notes.push(`${session.path}:${loc(session, make.call!.startIndex).line}: std::make_unique where it was std::make_shared`);
    if (make.call!.parent?.type === 'return_statement') continue;
    // the local that holds it
    const decl = make.call!.parent?.type === 'init_declarator' ? make.call!.parent.parent : null;
    if (decl?.type !== 'declaration' || decl.parent?.id !== body.id) return stop(session, make.call!.startIndex, expected);
    const localNode = declaredName(decl!.childrenForFieldName('declarator')[0] ?? null);
    const declType = decl!.childForFieldName('type')!;
    if (!localNode || !(textOf(session, declType) === 'auto' || /\bshared_ptr\s*</.test(textOf(session, declType)))) return stop(session, decl!.startIndex, expected);
    for (const x of ofType(declType, 'type_identifier').filter((y) => y.text === 'shared_ptr')) edits.push({ file: session.path, start: x.startIndex, end: x.endIndex, text: 'unique_ptr' });
    staleComment(session, decl!, notes);
    const L = localNode!.text;
    const setters = new Set<string>();
    for (const ref of ownNodes(body, 'identifier').filter((x) => x.text === L && x.id !== localNode!.id)) {
      const p = ref.parent!;
      if (p.type === 'return_statement') continue;
      if (p.type === 'field_expression' && p.childForFieldName('argument')?.id === ref.id && (p.child(1)?.text === '->' || p.childForFieldName('field')?.text === 'get')) continue;
      if (p.type === 'argument_list' && p.namedChildCount === 1 && p.parent?.type === 'call_expression') {
        const fn = p.parent.childForFieldName('function')!;
        // `return std::move(dio);`
        if (lastName(textOf(session, fn)) === 'move' && p.parent.parent?.type === 'return_statement') continue;
        if (fn.type !== 'identifier' && fn.type !== 'qualified_identifier') return stop(session, ref.startIndex, expected);
        setters.add(lastName(textOf(session, fn)));
        edits.push({ file: session.path, start: ref.endIndex, end: ref.endIndex, text: '.get()' });
        continue;
      }
      return stop(session, ref.startIndex, expected);
    }
    for (const name of setters) {
      const d = setterEdits(ctx, di, session, C, name, edits, notes);
      if (d) return d;
    }
  }
}

/** The setter the lambda calls takes a raw pointer, and the global it sets is one (or a drift). */
function setterEdits(ctx: Context, di: SourceFile | undefined, session: SourceFile, C: string, name: string, edits: Edit[], notes: string[]): Drift | undefined {
  const fn = di && ofType(di.root, 'function_definition').find((f) => functionName(f) === name && ['translation_unit', 'declaration_list'].includes(f.parent?.type ?? ''));
  if (!di || !fn) return stop(session, 0, `the definition of ${name}(), which the disk_io_constructor lambda calls, in disk_interface.i`);
  const params = parameters(fn, (n) => textOf(di, n));
  const p = params[0];
  const pointee = p && ofType(p.node.childForFieldName('type') ?? p.node, 'template_argument_list')[0]?.namedChildren[0];
  if (params.length !== 1 || !p!.name || !/\bshared_ptr\s*</.test(p!.type) || !pointee || lastName(textOf(di, pointee)) !== C)
    return stop(di, fn.startIndex, `${name}() taking one std::shared_ptr<${C}>`);
  edits.push({ file: di.path, start: p!.node.startIndex, end: p!.node.endIndex, text: `${textOf(di, pointee)}* ${p!.name}` });
  notes.push(`${di.path}:${loc(di, fn.startIndex).line}: ${name}() takes a raw ${C}* again`);
  for (const m of ofType(fn.childForFieldName('body')!, 'call_expression').filter((c) => lastName(textOf(di, c.childForFieldName('function')!)) === 'move')) {
    const arg = m.childForFieldName('arguments')!.namedChildren;
    if (arg.length === 1 && arg[0]!.text === p!.name) edits.push({ file: di.path, start: m.startIndex, end: m.endIndex, text: p!.name! });
  }
  // the global: a namespace-scope std::shared_ptr<C> becomes a C* (its uses must be ones a raw pointer supports)
  for (const g of findGlobalPointers(di, [C])) {
    const type = g.childForFieldName('type')!;
    if (!/\bshared_ptr\s*</.test(textOf(di, type))) continue;
    const declarator = g.childForFieldName('declarator')!;
    const G = declaredName(declarator);
    const gPointee = ofType(type, 'template_argument_list')[0]?.namedChildren[0];
    if (!G || g.childrenForFieldName('declarator').length !== 1 || declarator.type !== 'identifier' || !gPointee)
      return stop(di, g.startIndex, `\`std::shared_ptr<${C}> <name>;\` (one declarator, no initialiser)`);
    edits.push({ file: di.path, start: type.startIndex, end: declarator.endIndex, text: `${textOf(di, gPointee)}* ${G.text} = nullptr` });
    notes.push(`${di.path}:${loc(di, g.startIndex).line}: ${G.text} holds a raw ${C}* again, as before it became a std::shared_ptr`);
    staleComment(di, g, notes);
    for (const ref of ofType(di.root, 'identifier').filter((x) => x.text === G.text && x.id !== G.id)) {
      const e = ref.parent?.type === 'qualified_identifier' ? ref.parent : ref;
      const q = e.parent!;
      if (q.type === 'field_expression' && q.childForFieldName('argument')?.id === e.id) {
        const field = q.childForFieldName('field')?.text;
        const call = q.parent?.type === 'call_expression' && q.parent.childForFieldName('arguments')!.namedChildCount === 0 ? q.parent : null;
        if (q.child(1)?.text === '->') continue;
        if (call && field === 'reset') { edits.push({ file: di.path, start: call.startIndex, end: call.endIndex, text: `${textOf(di, e)} = nullptr` }); continue; }
        if (call && field === 'get') { edits.push({ file: di.path, start: call.startIndex, end: call.endIndex, text: textOf(di, e) }); continue; }
      } else if (['binary_expression', 'condition_clause', 'parenthesized_expression', 'assignment_expression', 'return_statement'].includes(q.type) || (q.type === 'unary_expression' && q.child(0)?.text === '!')) {
        continue;
      }
      return stop(di, ref.startIndex, `uses of ${G.text} that a raw pointer supports (->, comparisons, tests, assignment, .reset(), .get())`);
    }
  }
}

/** The operand, converted to its strong typedef's underlying type first (one line: the template's newline dropped). */
let underlying: string | undefined;
const UNDERLYING_TEMPLATE = () => (underlying ??= loadTemplate('upstream-build/underlying.cpp').replace(/\r?\n$/, ''));

export function transform(ctx: Context): Result {
  const header = ctx.files.header;
  if (!header) return { status: 'missing', reason: 'no memory_disk_io header' };
  const edits: Edit[] = [];
  const at: Loc[] = [];
  const notes: string[] = [];
  const files = [header, ctx.files['disk-interface'], ctx.files.session].filter((f): f is SourceFile => !!f);
  for (const src of files) {
    const found = abi3Conversions(ctx, src);
    for (const c of found) {
      edits.push({ file: src.path, start: c.value.startIndex, end: c.value.endIndex, text: fill(UNDERLYING_TEMPLATE(), { typedef: c.typedefText, value: textOf(src, c.value) }, 'templates/upstream-build/underlying.cpp') });
      at.push(loc(src, c.cast.startIndex));
    }
    if (found.length) notes.push(`${found.length} conversion(s) of a ${[...new Set(found.map((c) => c.typedef))].join('/')} to another integer type, which ABI 3 does not allow: ${found.map((c) => `${src.path}:${loc(src, c.cast.startIndex).line}`).join(', ')}`);
  }
  if (ctx.className) {
    const d = ownershipEdits(ctx, ctx.className, edits, at, notes);
    if (d) return d;
  }
  if (!edits.length) return { status: 'applied', at: [loc(header, 0)] };
  return { status: 'apply', edits, at, notes };
}
