/**
 * What v2-block-hash looks at, found by structure (shared by transform.ts and mutants.ts): the
 * methods of the header's classes that feed a `hasher256` a span `{<pointer>, <length>}`, and
 * what bounds each `<length>`: the stored buffer's `.size()` (the bug: at the end of a file the
 * stored piece is the v1 piece, pad bytes included) or the piece's v2 size, `piece_size2`.
 */
import { dataMembers, declaredName, matchAll, methodDefinitions, ofType, textOf, type Context, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

export const V2_SIZE = 'piece_size2';

/** The name a declarator declares (a reference or pointer declarator too). */
const nameOf = (decl: SyntaxNode | null) => decl && (declaredName(decl) ?? ofType(decl, 'field_identifier', 'identifier')[0] ?? null);

export interface Method { node: SyntaxNode; name: string; params: SyntaxNode; body: SyntaxNode; classBody: SyntaxNode }

/** A block hash: the update call and what its length is made of. */
export interface BlockHash {
  method: Method;
  call: SyntaxNode;
  length: SyntaxNode;
  /** `<buffer>.size()` calls the length is bounded by */
  sizes: SyntaxNode[];
  /** references to the v2 piece size in the length: `<files>.piece_size2(<piece>)` calls, or locals initialised from one */
  v2: { node: SyntaxNode; call: SyntaxNode }[];
}

/** The local variables of a body with the value they are initialised with (the first declaration of each name). */
function initialisers(body: SyntaxNode): Map<string, { value: SyntaxNode; at: number }> {
  const out = new Map<string, { value: SyntaxNode; at: number }>();
  for (const d of ofType(body, 'declaration')) for (const decl of d.childrenForFieldName('declarator')) {
    if (decl.type !== 'init_declarator') continue;
    const name = declaredName(decl);
    const value = decl.childForFieldName('value');
    if (name && value && !out.has(name.text)) out.set(name.text, { value, at: d.startIndex });
  }
  return out;
}

const calledField = (call: SyntaxNode) => {
  const f = call.childForFieldName('function');
  return f?.type === 'field_expression' ? f.childForFieldName('field')?.text : undefined;
};
const noArgs = (call: SyntaxNode) => call.childForFieldName('arguments')?.namedChildCount === 0;

/** The declarations of hasher256 locals in a body. */
function hasher256Locals(src: SourceFile, body: SyntaxNode): Set<string> {
  const names = new Set<string>();
  for (const d of ofType(body, 'declaration')) {
    const type = d.childForFieldName('type');
    if (!type || !/(^|::)hasher256$/.test(textOf(src, type).trim())) continue;
    for (const decl of d.childrenForFieldName('declarator')) { const n = declaredName(decl); if (n) names.add(n.text); }
  }
  return names;
}

/** The methods defined in the class bodies of the file, in order. */
function methodsOf(src: SourceFile): Method[] {
  return ofType(src.root, 'field_declaration_list').flatMap(methodDefinitions).sort((a, b) => a.method.startIndex - b.method.startIndex)
    .map((m) => ({ node: m.method, name: m.name.text, params: m.params, body: m.body, classBody: m.method.parent! }));
}

/**
 * `<hasher>.update({<pointer>, <length>})` under node, on a local (member-call.scm: the call on an
 * identifier named `update` whose one argument is a braced list of two).
 */
function spanUpdates(ctx: Context, node: SyntaxNode): { call: SyntaxNode; hasher: SyntaxNode; length: SyntaxNode }[] {
  return matchAll(ctx.query('member-call'), node).flatMap((m) => {
    const args = m.args!.namedChildren;
    const span = args.length === 1 && args[0]!.type === 'initializer_list' ? args[0]!.namedChildren : [];
    return m.object!.type === 'identifier' && m.fn!.text === 'update' && span.length === 2 ? [{ call: m.call!, hasher: m.object!, length: span[1]! }] : [];
  });
}

/** Every block hash of the file, with what bounds its length. */
export function blockHashes(ctx: Context, src: SourceFile): BlockHash[] {
  const out: BlockHash[] = [];
  for (const method of methodsOf(src)) {
    const hashers = hasher256Locals(src, method.body);
    if (!hashers.size) continue;
    const inits = initialisers(method.body);
    for (const m of spanUpdates(ctx, method.body)) {
      if (!hashers.has(m.hasher.text)) continue;
      // the length and, through the locals it names (declared before the call), what it is made of
      const seen = new Set<string>();
      const parts: SyntaxNode[] = [m.length];
      const v2: BlockHash['v2'] = [];
      for (let i = 0; i < parts.length; i++) {
        for (const id of [parts[i]!, ...ofType(parts[i]!, 'identifier')].filter((n) => n.type === 'identifier')) {
          const init = inits.get(id.text);
          if (!init || init.at >= m.call.startIndex || seen.has(id.text)) continue;
          seen.add(id.text);
          const v = v2Call(init.value);
          if (v) v2.push({ node: id, call: v });
          else parts.push(init.value);
        }
      }
      const calls = parts.flatMap((p) => [p, ...ofType(p, 'call_expression')].filter((c) => c.type === 'call_expression'));
      for (const c of calls) if (calledField(c) === V2_SIZE) v2.push({ node: c, call: c });
      const sizes = calls.filter((c) => calledField(c) === 'size' && noArgs(c));
      out.push({ method, call: m.call, length: m.length, sizes, v2 });
    }
  }
  return out;
}

/** `<files>.piece_size2(<piece>)` when value is that call (or a cast of it: `int(...)`, `static_cast<T>(...)`), else null. */
function v2Call(value: SyntaxNode): SyntaxNode | null {
  let v: SyntaxNode | null | undefined = value;
  while (v?.type === 'parenthesized_expression') v = v.namedChildren[0];
  if (v?.type !== 'call_expression') return null;
  if (calledField(v) === V2_SIZE) return v;
  const args = v.childForFieldName('arguments');
  const fn = v.childForFieldName('function');
  const cast = fn && ['primitive_type', 'template_function', 'qualified_identifier', 'type_identifier'].includes(fn.type);
  return cast && args?.namedChildCount === 1 ? v2Call(args.namedChildren[0]!) : null;
}

/**
 * The expression for a piece's v2 size in `method`: a local initialised from
 * `<files>.piece_size2(<piece>)` (declared before `before`), that call where the method makes
 * it, or one built from the class's file_storage member and the method's piece parameter.
 */
export function v2Size(ctx: Context, src: SourceFile, method: Method, before: number): { text: string } | { missing: string } {
  const inits = initialisers(method.body);
  for (const [name, init] of inits) if (init.at < before && v2Call(init.value)) return { text: name };
  const call = ofType(method.body, 'call_expression').find((c) => calledField(c) === V2_SIZE);
  if (call) return { text: textOf(src, call) };
  const files = dataMembers(method.classBody).find((d) => /\bfile_storage\b/.test(textOf(src, d.childForFieldName('type') ?? d)));
  const filesName = files && nameOf(files.childForFieldName('declarator'));
  if (!filesName) return { missing: `a file_storage member in the class of ${method.name}() (for ${V2_SIZE})` };
  const piece = ofType(method.params, 'parameter_declaration', 'optional_parameter_declaration').find((p) => /\bpiece_index_t\b/.test(textOf(src, p.childForFieldName('type') ?? p)));
  const pieceName = piece && nameOf(piece.childForFieldName('declarator'));
  if (!pieceName) return { missing: `a piece_index_t parameter of ${method.name}() (for ${V2_SIZE})` };
  return { text: `${textOf(src, filesName)}.${V2_SIZE}(${textOf(src, pieceName)})` };
}
