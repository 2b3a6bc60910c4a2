/**
 * guarded-global: one mutex guards the global pointer to the live disk I/O object; the object
 * unregisters itself in its destructor; ownership stays a std::unique_ptr<disk_interface>.
 *
 * Unsafe shapes (disk_interface.i / session.i):
 *   - early: `C* g = nullptr;` with no mutex, unguarded wrappers, the lambda assigns
 *     `ns::g = dio.get()` on a make_unique;
 *   - analysed: a `std::mutex` next to `C* g`, a setter, guarded wrappers, the lambda calls
 *     `setter(dio.get())`; nothing clears the pointer when the object dies;
 *   - HEAD: `std::shared_ptr<C> g`, a setter taking a shared_ptr, the lambda make_shared's and
 *     returns the shared_ptr (which libtorrent does not accept).
 * Safe shape: the header defines (before the class) `inline std::mutex m; inline C* g = nullptr;`,
 * the class's destructor clears g under m only when it points to this; the .i defines neither,
 * every function of the .i that uses g holds m; the lambda makes a unique_ptr and publishes
 * its raw pointer (through the setter or under m).
 */
import { posix } from 'node:path';
import { drift, loc, type Context, type Loc, type Result } from '../../src/codemod.ts';
import { endOfLine, ensureIncludes, headerClass, insertLinesAfter, insertLinesBefore, renderAt, renderBlock, statements } from '../../src/cppedit.ts';
import { declaredName, functionName, methods, ofType, parameters } from '../../src/cst.ts';
import type { Edit } from '../../src/edits.ts';
import { findConstructorLambdas, findGlobalPointers, type HeaderClass } from '../../src/roles.ts';
import { matchAll, textOf, type SourceFile, type SyntaxNode } from '../../src/source.ts';
import { indentAt, lineStart } from '../../src/text.ts';

/** A drift found deep in the analysis: thrown, turned into the Result at the top. */
class Drift {
  constructor(readonly result: Result) {}
}
function stop(src: SourceFile, index: number, expected: string): never {
  throw new Drift(drift(src, index, expected));
}

const words = (s: string): string[] => s.match(/[A-Za-z_]\w*/g) ?? [];
const lastName = (s: string) => s.replace(/\s+/g, '').replace(/^.*::/, '');
const squash = (s: string) => s.replace(/\s+/g, '');

/** The namespaces enclosing a node, outermost first (an anonymous one, e.g. a masked %extend, is ''). */
function namespacePath(src: SourceFile, node: SyntaxNode): string[] {
  const out: string[] = [];
  for (let p = node.parent; p; p = p.parent) {
    if (p.type !== 'namespace_definition') continue;
    const name = p.childForFieldName('name');
    out.unshift(...(name ? squash(textOf(src, name)).split('::') : ['']));
  }
  return out;
}

interface Decl {
  node: SyntaxNode;
  name: string;
  /** what it declares */
  kind: 'mutex' | 'raw' | 'shared' | 'other';
  storage: string[];
  declarators: number;
  init: SyntaxNode | null;
}

/** Classify a namespace-scope declaration against the class name. */
function classify(src: SourceFile, d: SyntaxNode, cls: string): Decl {
  const declarators = d.childrenForFieldName('declarator');
  const first = declarators[0] ?? null;
  const init = first?.type === 'init_declarator' ? first.childForFieldName('value') : null;
  const nameNode = declaredName(first);
  const type = squash(textOf(src, d.childForFieldName('type') ?? d));
  const storage = d.namedChildren.filter((c) => c.type === 'storage_class_specifier').map((c) => c.text);
  const target = first?.type === 'init_declarator' ? first.childForFieldName('declarator') : first;
  let kind: Decl['kind'] = 'other';
  if (/^(::)?(std::)?mutex$/.test(type) && target?.type === 'identifier') kind = 'mutex';
  else if (target?.type === 'pointer_declarator' && target.childForFieldName('declarator')?.type === 'identifier' && lastName(type) === cls
    && ofType(d.childForFieldName('type')!, 'type_qualifier').length === 0) kind = 'raw';
  else if (target?.type === 'identifier' && new RegExp(`^(::)?(std::)?shared_ptr<(\\w+::)*${cls}>$`).test(type)) kind = 'shared';
  return { node: d, name: nameNode ? lastName(textOf(src, nameNode)) : '', kind, storage, declarators: declarators.length, init };
}

/** Namespace-scope declarations of a file (not in a function, class or %extend body). */
function namespaceDecls(ctx: Context, src: SourceFile, cls: string): Decl[] {
  return matchAll(ctx.query('namespace-decl'), src.root)
    .map((c) => c.decl!)
    .filter((d) => !namespacePath(src, d).includes(''))
    .map((d) => classify(src, d, cls));
}

/** The mutex declared next to `decl` (the adjacent declaration, else the only one in its scope). */
function mutexNextTo(decl: Decl, all: Decl[]): Decl | undefined {
  const siblings = decl.node.parent!.namedChildren.filter((c) => c.type !== 'comment');
  const i = siblings.findIndex((c) => c.id === decl.node.id);
  const byNode = (n: SyntaxNode | undefined) => (n ? all.find((d) => d.node.id === n.id && d.kind === 'mutex') : undefined);
  const adjacent = byNode(siblings[i - 1]) ?? byNode(siblings[i + 1]);
  if (adjacent) return adjacent;
  const sameScope = all.filter((d) => d.kind === 'mutex' && d.node.parent!.id === decl.node.parent!.id);
  return sameScope.length === 1 ? sameScope[0] : undefined;
}

/** Scoped-lock declarations (lock_guard/unique_lock/scoped_lock) of `mutex` under node. */
function locksOf(ctx: Context, src: SourceFile, node: SyntaxNode, mutex: string): SyntaxNode[] {
  return matchAll(ctx.query('lock'), node)
    .filter((c) => {
      const declared = declaredName(c.declarator!);
      const declText = textOf(src, c.declarator!);
      const rest = declared ? declText.slice(declared.endIndex - c.declarator!.startIndex) : declText;
      return words(rest).includes(mutex);
    })
    .map((c) => c.lock!);
}

/** Is `ref` inside the scope of one of `locks` (a lock declared earlier in an enclosing block)? */
function guarded(ref: SyntaxNode, locks: SyntaxNode[], stopAt: SyntaxNode): boolean {
  for (let child = ref, p = ref.parent; p; child = p, p = p.parent) {
    if (p.type === 'compound_statement' && locks.some((l) => l.parent?.id === p.id && l.endIndex <= child.startIndex)) return true;
    if (p.id === stopAt.id) return false;
  }
  return false;
}

/** References (as expressions) to a namespace-scope name under node; qualified ones count too. */
function refsTo(node: SyntaxNode, name: string): SyntaxNode[] {
  return ofType(node, 'identifier').filter((n) => n.text === name && !(n.parent?.type === 'qualified_identifier' && n.parent.childForFieldName('scope')?.id === n.id));
}

/** The expression a reference stands for: the identifier or the qualified_identifier around it. */
const refExpr = (ref: SyntaxNode) => (ref.parent?.type === 'qualified_identifier' && ref.parent.childForFieldName('name')?.id === ref.id ? ref.parent : ref);

/** `ns::` in `ns::name`, or '' for an unqualified reference. */
function qualifier(src: SourceFile, ref: SyntaxNode): string {
  const e = refExpr(ref);
  return e === ref ? '' : textOf(src, e).slice(0, ref.startIndex - e.startIndex);
}

/** Whole lines holding a node, if nothing but whitespace (and a trailing comment) shares them. */
function ownLines(src: SourceFile, node: SyntaxNode): { start: number; end: number } | null {
  const start = lineStart(src.text, node.startIndex);
  if (src.text.slice(start, node.startIndex).trim() !== '') return null;
  const end = endOfLine(src.text, node.endIndex);
  const rest = src.text.slice(node.endIndex, end).trim();
  if (rest !== '' && !rest.startsWith('//')) return null;
  return { start, end };
}

/** The line after `{` of a block is free for new statements (nothing but a comment follows it). */
function opensLine(src: SourceFile, block: SyntaxNode): boolean {
  const rest = src.text.slice(block.startIndex + 1, endOfLine(src.text, block.startIndex)).trim();
  return rest === '' || rest.startsWith('//');
}

/** A local name for a new lock that nothing under node uses yet. */
function freeName(node: SyntaxNode, preferred: string[]): string {
  const used = new Set(ofType(node, 'identifier', 'type_identifier', 'field_identifier').map((n) => n.text));
  return preferred.find((n) => !used.has(n)) ?? `${preferred[0]}_${node.startIndex}`;
}

/** Insert rendered statements as the first lines of a block whose `{` ends its line. */
function insertAtTop(src: SourceFile, block: SyntaxNode, template: string, vars: Record<string, string>): Edit {
  const first = block.namedChildren[0];
  const text = first
    ? renderAt(src, first.startIndex, template, vars)
    : renderAt(src, block.startIndex, template, vars, 1);
  return insertLinesAfter(src, block.startIndex, text);
}

/** Statements directly in a lambda's or function's body, not in a nested lambda. */
function ownNodes(body: SyntaxNode, type: string): SyntaxNode[] {
  return ofType(body, type).filter((n) => {
    for (let p = n.parent; p && p.id !== body.id; p = p.parent) if (p.type === 'lambda_expression') return false;
    return true;
  });
}

export function transform(ctx: Context): Result {
  try {
    return run(ctx);
  } catch (e) {
    if (e instanceof Drift) return e.result;
    throw e;
  }
}

function run(ctx: Context): Result {
  const hdr = ctx.files.header!;
  const di = ctx.files['disk-interface']!;
  const ses = ctx.files.session!;
  const cls = headerClass(hdr, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const C = cls.name;
  const clsNs = namespacePath(hdr, cls.classNode);
  const edits: Edit[] = [];
  const notes: string[] = [];
  const at: Loc[] = [loc(hdr, cls.classNode.startIndex)];

  // ---- names: from the header if it defines them already, else from disk_interface.i ----
  const hDecls = namespaceDecls(ctx, hdr, C);
  const hGlobals = hDecls.filter((d) => d.kind === 'raw');
  if (hGlobals.length > 1) stop(hdr, hGlobals[1]!.node.startIndex, `one namespace-scope pointer to ${C}`);
  const hG = hGlobals[0];
  const hM = hG ? mutexNextTo(hG, hDecls) : undefined;

  const diDecls = namespaceDecls(ctx, di, C);
  const diPointers = findGlobalPointers(di, [C]);
  if (diPointers.length > 1) stop(di, diPointers[1]!.startIndex, `one namespace-scope pointer to ${C}`);
  const iG = diPointers[0] ? diDecls.find((d) => d.node.id === diPointers[0]!.id) ?? classify(di, diPointers[0]!, C) : undefined;
  if (iG) {
    at.push(loc(di, iG.node.startIndex));
    const form = `\`${C}* <name> = nullptr;\` or \`std::shared_ptr<${C}> <name>;\` (one declarator, no storage class)`;
    if (iG.kind !== 'raw' && iG.kind !== 'shared') stop(di, iG.node.startIndex, form);
    if (iG.declarators !== 1 || iG.storage.length) stop(di, iG.node.startIndex, form);
    if (iG.init && !['null', 'number_literal', 'initializer_list'].includes(iG.init.type) && textOf(di, iG.init) !== 'NULL') stop(di, iG.node.startIndex, form);
    if (namespacePath(di, iG.node).join('::') !== clsNs.join('::'))
      stop(di, iG.node.startIndex, `${iG.name} declared in the namespace of ${C} (${clsNs.join('::') || 'the global namespace'})`);
  }

  let G: string;
  let M: string;
  if (hG) {
    G = hG.name;
    if (!hM) return drift(hdr, hG.node.startIndex, `a std::mutex declared next to ${G}`);
    M = hM.name;
    if (hG.node.startIndex > cls.classNode.startIndex) stop(hdr, hG.node.startIndex, `${G} declared before ${C}`);
    if (hG.storage.includes('static') || hG.storage.includes('extern')) stop(hdr, hG.node.startIndex, `${G} defined (inline) in the header, not static or extern`);
    if (namespacePath(hdr, hG.node).join('::') !== clsNs.join('::')) stop(hdr, hG.node.startIndex, `${G} declared in the namespace of ${C}`);
    if (iG && iG.name !== G) stop(di, iG.node.startIndex, `the global named ${G}, as in ${hdr.path}`);
  } else if (iG) {
    G = iG.name;
    const iM = mutexNextTo(iG, diDecls);
    M = iM ? iM.name : `${G}_mutex`;
    if (!iM) {
      const taken = [hdr, di, ses].find((f) => ofType(f.root, 'identifier', 'type_identifier', 'field_identifier').some((n) => n.text === M));
      if (taken) stop(taken, ofType(taken.root, 'identifier', 'type_identifier', 'field_identifier').find((n) => n.text === M)!.startIndex, `no existing name ${M} (the mutex this fix adds)`);
    }
  } else {
    return drift(di, 0, `a namespace-scope pointer to ${C} (in ${di.path} or, fixed, defined inline in ${hdr.path})`);
  }

  headerEdits(ctx, hdr, cls, { G, M, hG, clsNs }, edits, notes);
  const setter = interfaceEdits(ctx, di, { C, G, M, iG, header: posix.basename(hdr.path), diDecls }, edits, notes);
  const lambdaAt = sessionEdits(ctx, ses, { C, G, M, setter }, edits, notes);
  at.push(loc(ses, lambdaAt));
  if (edits.length === 0) return { status: 'applied', at };
  return { status: 'apply', edits, at, notes };
}

// ---- memory_disk_io.hpp ----

function headerEdits(
  ctx: Context, src: SourceFile, cls: HeaderClass,
  o: { G: string; M: string; hG: Decl | undefined; clsNs: string[] }, edits: Edit[], notes: string[],
): void {
  const C = cls.name;
  const vars = { cls: C, global: o.G, mutex: o.M, key: cls.classNode.type === 'class_specifier' ? 'class' : 'struct' };
  if (!o.hG) {
    edits.push(...ensureIncludes(src, ['mutex']));
    // before the class, and before a comment attached to it (no blank line in between)
    let anchor = cls.classNode;
    for (let p = anchor.previousSibling; p?.type === 'comment'; p = p.previousSibling) {
      if (/\n[ \t]*\r?\n/.test(src.text.slice(p.endIndex, anchor.startIndex))) break;
      anchor = p;
    }
    edits.push(insertLinesBefore(src, anchor.startIndex, renderAt(src, anchor.startIndex, 'guarded-global/globals.cpp', vars)));
  }

  // the destructor: unregister, under the mutex, only if the global still points here
  const isDtor = (n: SyntaxNode) => declaredName(n.childForFieldName('declarator'))?.type === 'destructor_name';
  const dtors = cls.body.namedChildren.filter((n) => ['function_definition', 'field_declaration', 'declaration'].includes(n.type) && isDtor(n));
  if (dtors.length > 1) stop(src, dtors[1]!.startIndex, `one destructor in ${C}`);
  const dtor = dtors[0];
  const expected = `a destructor of ${C} that, holding ${o.M}, sets ${o.G} to nullptr only if it equals this`;
  if (dtor) {
    const body = dtor.childForFieldName('body');
    if (dtor.type !== 'function_definition' || !body) {
      const isDefault = ofType(dtor, 'default_method_clause').length > 0;
      if (!isDefault || !ownLines(src, dtor)) stop(src, dtor.startIndex, `${expected} (defined in the class body)`);
      const text = renderAt(src, dtor.startIndex, 'guarded-global/destructor.cpp', vars);
      edits.push({ file: src.path, start: dtor.startIndex, end: dtor.endIndex, text: text.slice(indentAt(src.text, dtor.startIndex).length) });
      notes.push(`${C}'s defaulted destructor now unregisters it`);
      return;
    }
    if (refsTo(body, o.G).length) {
      if (!unregisters(ctx, src, body, o.G, o.M)) stop(src, dtor.startIndex, expected);
      return; // already safe
    }
    if (statements(body).length === 0 && !body.namedChildren.length) {
      edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'guarded-global/destructor-block.cpp', { ...vars, lock: 'lock' }) });
    } else {
      if (!opensLine(src, body)) stop(src, body.startIndex, `${C}'s destructor with its statements on their own lines`);
      edits.push(insertAtTop(src, body, 'guarded-global/destructor-block.cpp', { ...vars, lock: freeName(body, ['lock', 'guard', 'global_lock']) }));
    }
    return;
  }
  const ctors = methods(cls.body).filter((m) => functionName(m) === C);
  const ctor = ctors.at(-1);
  if (!ctor) stop(src, cls.classNode.startIndex, `a constructor of ${C} defined in its body (the destructor goes after it)`);
  if (accessAt(cls, ctor!) !== 'public') stop(src, ctor!.startIndex, `a public constructor of ${C} (the destructor goes after it)`);
  const text = renderAt(src, ctor!.startIndex, 'guarded-global/destructor.cpp', vars);
  edits.push(insertLinesAfter(src, ctor!.endIndex - 1, src.style.eol + text));
}

/** The access of a member: the last access specifier before it, or the class key's default. */
function accessAt(cls: HeaderClass, member: SyntaxNode): string {
  let access = cls.classNode.type === 'class_specifier' ? 'private' : 'public';
  for (const c of cls.body.namedChildren) {
    if (c.id === member.id) break;
    if (c.type === 'access_specifier') access = c.text.replace(/:$/, '').trim();
  }
  return access;
}

/** `if (G == this) G = nullptr;` (either operand order, braces optional) held under a lock of M. */
function unregisters(ctx: Context, src: SourceFile, body: SyntaxNode, G: string, M: string): boolean {
  const locks = locksOf(ctx, src, body, M);
  return ofType(body, 'if_statement').some((s) => {
    const cond = s.childForFieldName('condition')?.namedChildren.at(-1);
    if (cond?.type !== 'binary_expression' || cond.childForFieldName('operator')?.text !== '==') return false;
    const sides = [cond.childForFieldName('left')!, cond.childForFieldName('right')!].map((n) => lastName(textOf(src, n)));
    if (!(sides.includes(G) && sides.includes('this'))) return false;
    const then = s.childForFieldName('consequence')!;
    const assigns = ofType(then, 'assignment_expression').some((a) =>
      lastName(textOf(src, a.childForFieldName('left')!)) === G && ['nullptr', 'NULL', '0'].includes(textOf(src, a.childForFieldName('right')!).trim()));
    return assigns && guarded(s, locks, body);
  });
}

// ---- disk_interface.i ----

function interfaceEdits(
  ctx: Context, src: SourceFile,
  o: { C: string; G: string; M: string; iG: Decl | undefined; header: string; diDecls: Decl[] }, edits: Edit[], notes: string[],
): string | undefined {
  const { C, G, M, iG } = o;
  // the definitions move to the header: drop them here, leaving a one-line note
  const iM = o.diDecls.find((d) => d.kind === 'mutex' && d.name === M);
  const removed = [iG, iM].filter((d): d is Decl => !!d);
  if (removed.length) {
    const ranges = removed.map((d) => ({ d, r: ownLines(src, d.node) }));
    for (const { d, r } of ranges) if (!r) stop(src, d.node.startIndex, `${d.name} declared on a line of its own`);
    const sorted = ranges.map((x) => x.r!).sort((a, b) => a.start - b.start);
    const merged: { start: number; end: number }[] = [];
    for (const r of sorted) {
      const last = merged.at(-1);
      if (last && r.start < last.end) last.end = Math.max(last.end, r.end);
      else merged.push({ ...r });
    }
    const anchor = iG ?? iM!;
    const comment = renderAt(src, anchor.node.startIndex, 'guarded-global/moved.cpp', { global: G, mutex: M, header: o.header }) + src.style.eol;
    const home = merged.find((r) => r.start <= anchor.node.startIndex && anchor.node.startIndex < r.end)!;
    for (const r of merged) edits.push({ file: src.path, start: r.start, end: r.end, text: r === home ? comment : '' });
    if (iG?.kind === 'shared') {
      notes.push(`${G} was a std::shared_ptr<${C}>; it is a raw pointer again, cleared by ${C}'s destructor`);
      let c = (iM && iM.node.startIndex < iG.node.startIndex ? iM : iG).node.previousNamedSibling;
      while (c?.type === 'comment' && !/shar/i.test(textOf(src, c))) c = c.previousNamedSibling;
      if (c?.type === 'comment') notes.push(`${src.path}:${loc(src, c.startIndex).line}: the comment there still speaks of shared ownership`);
    }
  }
  const smart = iG?.kind === 'shared';

  const fns = ofType(src.root, 'function_definition').filter((f) => f.childForFieldName('body') && refsTo(f.childForFieldName('body')!, G).length);

  // the setter: one parameter of the class's (smart) pointer type, `G = param;` under the lock
  let setter: string | undefined;
  const setterAssign = new Set<number>();
  for (const f of fns) {
    const params = parameters(f, (n) => textOf(src, n));
    if (params.length !== 1 || !words(params[0]!.type).includes(C)) continue;
    const p = params[0]!;
    const body = f.childForFieldName('body')!;
    const name = functionName(f) ?? '';
    const expected = `${name}(${textOf(src, p.node)}) that only does \`${G} = ${p.name ?? 'param'};\` (under a lock of ${M})`;
    const stmts = statements(body).filter((s) => !locksOf(ctx, src, s, M).some((l) => l.id === s.id));
    const assign = stmts[0]?.type === 'expression_statement' ? stmts[0].namedChildren[0] : undefined;
    if (stmts.length !== 1 || assign?.type !== 'assignment_expression' || assign.childForFieldName('operator')?.text !== '=' || lastName(textOf(src, assign.childForFieldName('left')!)) !== G)
      stop(src, body.startIndex, expected);
    const rhs = assign!.childForFieldName('right')!;
    const rhsText = squash(textOf(src, rhs));
    const moved = rhsText === `std::move(${p.name})`;
    if (rhsText !== p.name && !moved) stop(src, rhs.startIndex, expected);
    setter = name;
    setterAssign.add(assign!.id);
    const pointee = ofType(p.node.childForFieldName('type') ?? p.node, 'template_argument_list')[0]?.namedChildren[0];
    if (/\b(shared_ptr|unique_ptr)\s*</.test(p.type)) {
      if (!/\bshared_ptr\s*</.test(p.type) || !pointee || !p.name) stop(src, p.node.startIndex, `${name} taking a ${C}* (or, to fix, a std::shared_ptr<${C}>)`);
      edits.push({ file: src.path, start: p.node.startIndex, end: p.node.endIndex, text: `${textOf(src, pointee!)}* ${p.name}` });
      if (moved) edits.push({ file: src.path, start: rhs.startIndex, end: rhs.endIndex, text: p.name! });
      notes.push(`${name}() takes a raw ${C}* again`);
    } else if (!ofType(p.node, 'pointer_declarator').length) {
      stop(src, p.node.startIndex, `${name} taking a ${C}*`);
    }
  }

  // a shared_ptr global becomes a raw pointer: its uses must be ones a raw pointer supports
  if (smart) {
    for (const f of fns) {
      for (const ref of refsTo(f.childForFieldName('body')!, G)) {
        const e = refExpr(ref);
        const p = e.parent!;
        if (p.type === 'field_expression' && p.childForFieldName('argument')?.id === e.id) {
          const op = p.child(1)?.text;
          const field = p.childForFieldName('field')?.text;
          const call = p.parent?.type === 'call_expression' ? p.parent : null;
          const noArgs = call && call.childForFieldName('arguments')?.namedChildren.length === 0;
          if (op === '->') continue;
          if (op === '.' && noArgs && field === 'reset') { edits.push({ file: src.path, start: call!.startIndex, end: call!.endIndex, text: `${textOf(src, e)} = nullptr` }); continue; }
          if (op === '.' && noArgs && field === 'get') { edits.push({ file: src.path, start: call!.startIndex, end: call!.endIndex, text: textOf(src, e) }); continue; }
          stop(src, p.startIndex, `uses of ${G} that a raw pointer supports (->, comparisons, tests, .reset(), .get())`);
        }
        if (p.type === 'binary_expression' || p.type === 'condition_clause' || p.type === 'parenthesized_expression') continue;
        if (p.type === 'unary_expression' && p.child(0)?.text === '!') continue;
        if (p.type === 'assignment_expression' && p.childForFieldName('left')?.id === e.id) {
          if (setterAssign.has(p.id) || textOf(src, p.childForFieldName('right')!).trim() === 'nullptr') continue;
        }
        stop(src, ref.startIndex, `uses of ${G} that a raw pointer supports (->, comparisons, tests, .reset(), .get())`);
      }
    }
  }

  // every function that uses the global holds the mutex while it does
  let locked = 0;
  for (const f of fns) {
    const body = f.childForFieldName('body')!;
    const refs = refsTo(body, G);
    const locks = locksOf(ctx, src, body, M);
    const open = refs.filter((r) => !guarded(r, locks, body));
    if (!open.length) continue;
    if (locks.length) stop(src, open[0]!.startIndex, `every use of ${G} in ${functionName(f)} after a lock of ${M}`);
    if (!opensLine(src, body)) stop(src, body.startIndex, `${functionName(f)} with its statements on their own lines`);
    const mutex = qualifier(src, refs[0]!) + M;
    edits.push(insertAtTop(src, body, 'guarded-global/lock.cpp', { lock: freeName(body, ['lock', 'guard', 'global_lock']), mutex }));
    locked++;
  }
  if (locked) notes.push(`${locked} function(s) of ${src.path} used ${G} without holding ${M}`);
  return setter;
}

// ---- session.i ----

function sessionEdits(ctx: Context, src: SourceFile, o: { C: string; G: string; M: string; setter: string | undefined }, edits: Edit[], notes: string[]): number {
  const { C, G, M, setter } = o;
  const lambdas = findConstructorLambdas(src, [C]);
  if (lambdas.length !== 1) stop(src, lambdas[1]?.startIndex ?? 0, `one disk_io_constructor lambda creating ${C}`);
  const lambda = lambdas[0]!;
  const body = lambda.childForFieldName('body')!;
  // nothing else in the file touches the global without the mutex
  for (const f of ofType(src.root, 'function_definition')) {
    const fb = f.childForFieldName('body');
    if (!fb) continue;
    const locks = locksOf(ctx, src, fb, M);
    const open = refsTo(fb, G).find((r) => !(r.startIndex >= lambda.startIndex && r.endIndex <= lambda.endIndex) && !guarded(r, locks, fb));
    if (open) stop(src, open.startIndex, `${G} used only in the disk_io_constructor lambda, or under a lock of ${M}`);
  }

  // the local that owns the new object
  const makers = matchAll(ctx.query('factory'), body).filter((m) => lastName(textOf(src, m.targs!).slice(1, -1)) === C);
  const news = ownNodes(body, 'new_expression').filter((n) => lastName(textOf(src, n.childForFieldName('type') ?? n)) === C);
  const creation = makers[0]?.call ?? news[0];
  if (makers.length + news.length !== 1 || !creation)
    stop(src, lambda.startIndex, `one std::make_unique<${C}> (or, to fix, std::make_shared<${C}>) in the disk_io_constructor lambda`);
  let decl: SyntaxNode | null = creation!.parent;
  while (decl && decl.type !== 'declaration' && decl.id !== body.id) decl = decl.parent;
  if (!decl || decl.type !== 'declaration' || decl.parent?.id !== body.id) stop(src, creation!.startIndex, `the new ${C} held in a local of the lambda`);
  const localNode = declaredName(decl!.childrenForFieldName('declarator')[0] ?? null);
  if (!localNode) stop(src, decl!.startIndex, `the new ${C} held in a local of the lambda`);
  const L = textOf(src, localNode!);
  const declType = decl!.childForFieldName('type')!;
  const typeText = squash(textOf(src, declType));
  const maker = makers[0]?.maker?.text;
  let kind: 'unique' | 'shared';
  if (maker === 'make_shared' && (typeText === 'auto' || /shared_ptr</.test(typeText))) kind = 'shared';
  else if (maker === 'make_unique' && (typeText === 'auto' || /unique_ptr</.test(typeText))) kind = 'unique';
  else if (!maker && /unique_ptr</.test(typeText)) kind = 'unique';
  else if (!maker && /shared_ptr</.test(typeText)) kind = 'shared';
  else return stop(src, decl!.startIndex, `\`auto ${L} = std::make_unique<${C}>(...)\` (or std::make_shared, or a std::unique_ptr<${C}> from new)`);
  if (kind === 'shared') {
    if (makers[0]) edits.push({ file: src.path, start: makers[0].maker!.startIndex, end: makers[0].maker!.endIndex, text: 'make_unique' });
    for (const t of ofType(declType, 'type_identifier').filter((t) => t.text === 'shared_ptr'))
      edits.push({ file: src.path, start: t.startIndex, end: t.endIndex, text: 'unique_ptr' });
    const before = decl!.previousNamedSibling;
    if (before?.type === 'comment' && /shar/i.test(textOf(src, before)))
      notes.push(`${src.path}:${loc(src, before.startIndex).line}: the comment above ${L} still speaks of shared ownership`);
    notes.push(`the disk_io_constructor lambda makes a std::unique_ptr again, as libtorrent's disk_io_constructor requires`);
  }

  // it returns that local
  for (const r of ownNodes(body, 'return_statement')) {
    const v = squash(textOf(src, r).replace(/^return/, '').replace(/;$/, ''));
    if (v !== L && v !== `std::move(${L})`) stop(src, r.startIndex, `the lambda returning ${L}`);
  }

  // it publishes the raw pointer: through the setter, or assigning the global under the mutex
  const isSetterCall = (c: SyntaxNode) => !!setter && lastName(textOf(src, c.childForFieldName('function')!)) === setter;
  const calls = ownNodes(body, 'call_expression').filter(isSetterCall);
  const assigns = ownNodes(body, 'assignment_expression').filter((a) => {
    const left = a.childForFieldName('left')!;
    return (left.type === 'identifier' || left.type === 'qualified_identifier') && lastName(textOf(src, left)) === G;
  });
  const expected = `one publication of ${L}: ${setter ? `${setter}(${L}.get()) or ` : ''}\`${G} = ${L}.get();\` under a lock of ${M}`;
  if (calls.length + assigns.length !== 1) stop(src, lambda.startIndex, expected);
  const raw = `${L}.get()`;
  if (calls.length) {
    const args = calls[0]!.childForFieldName('arguments')!.namedChildren;
    const arg = squash(textOf(src, args[0] ?? calls[0]!));
    if (args.length !== 1 || (arg !== raw && arg !== L)) stop(src, calls[0]!.startIndex, expected);
    if (arg === L) edits.push({ file: src.path, start: args[0]!.endIndex, end: args[0]!.endIndex, text: '.get()' });
    return lambda.startIndex;
  }
  const a = assigns[0]!;
  const left = a.childForFieldName('left')!;
  const right = a.childForFieldName('right')!;
  const value = squash(textOf(src, right));
  if (a.childForFieldName('operator')?.text !== '=' || (value !== raw && value !== L)) stop(src, a.startIndex, expected);
  const nameNode = left.type === 'identifier' ? left : left.childForFieldName('name')!;
  const prefix = textOf(src, left).slice(0, nameNode.startIndex - left.startIndex);
  if (guarded(a, locksOf(ctx, src, body, M), body)) {
    if (value === L) edits.push({ file: src.path, start: right.endIndex, end: right.endIndex, text: '.get()' });
    return lambda.startIndex;
  }
  const stmt = a.parent!;
  if (stmt.type !== 'expression_statement' || stmt.parent?.type !== 'compound_statement') stop(src, a.startIndex, expected);
  if (setter) {
    edits.push({ file: src.path, start: stmt.startIndex, end: stmt.endIndex, text: `${prefix}${setter}(${raw});` });
    notes.push(`the lambda publishes ${L} through ${setter}(), under ${M}`);
  } else {
    edits.push({ file: src.path, start: stmt.startIndex, end: stmt.endIndex, text: renderBlock(src, stmt, 'guarded-global/publish.cpp', { lock: freeName(lambda, ['lock', 'guard', 'global_lock']), mutex: prefix + M, target: textOf(src, left), value: raw }) });
    notes.push(`the lambda assigned ${G} without a lock`);
  }
  return lambda.startIndex;
}

