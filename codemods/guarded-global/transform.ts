/**
 * guarded-global: one mutex guards the pointer the SWIG wrappers use to reach the live disk I/O
 * object; the object registers itself when constructed and unregisters (only itself) when
 * destroyed, so every way of making it (memory_disk_constructor through session_params.i's
 * setter, session.i's disk_io_constructor lambda, direct construction) reaches the wrappers;
 * ownership stays a std::unique_ptr<disk_interface>. C++14: no inline variables.
 *
 * Unsafe shapes (disk_interface.i / session.i):
 *   - early: `C* g = nullptr;` with no mutex, unguarded wrappers, the lambda assigns
 *     `ns::g = dio.get()` on a make_unique;
 *   - analysed: a `std::mutex` next to `C* g`, a setter, guarded wrappers, the lambda calls
 *     `setter(dio.get())`, `clear_...()` clears whatever g holds; nothing clears g when the
 *     object dies, and nothing sets it when memory_disk_constructor makes the object;
 *   - HEAD: `std::shared_ptr<C> g`, a setter taking a shared_ptr, the lambda make_shared's and
 *     returns the shared_ptr (which libtorrent does not accept).
 * Safe shape: the header defines, before the class, a class template (the registry) with a
 * static std::mutex and a static C*, both defined in the header; every constructor of C stores
 * `this` under the mutex, the destructor clears it under the mutex only when it points to this;
 * the .i's g and its mutex are references to those members (or the .i names the members
 * directly), every function of the .i that uses the pointer holds the mutex, a function that
 * only clears the pointer does nothing; the lambda makes a unique_ptr and publishes (if it still
 * does) its raw pointer under the mutex.
 */
import { posix } from 'node:path';
import { declaredName, drift, endOfLine, ensureIncludes, findConstructorLambdas, findGlobalPointers, functionName, headerClass, indentAt, insertLinesAfter, insertLinesBefore, lineStart, loc, matchAll, methods, ofType, parameters, renderAt, renderBlock, statements, textOf, type Context, type Edit, type HeaderClass, type Loc, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

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
  kind: 'mutex' | 'raw' | 'shared' | 'mutex-alias' | 'raw-alias' | 'other';
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
  const refTo = (n: SyntaxNode | null | undefined) => n?.type === 'reference_declarator' && n.namedChildren[0]?.type === 'identifier';
  if (/^(::)?(std::)?mutex$/.test(type) && target?.type === 'identifier') kind = 'mutex';
  else if (/^(::)?(std::)?mutex$/.test(type) && refTo(target) && init) kind = 'mutex-alias';
  else if (target?.type === 'pointer_declarator' && target.childForFieldName('declarator')?.type === 'identifier' && lastName(type) === cls
    && ofType(d.childForFieldName('type')!, 'type_qualifier').length === 0) kind = 'raw';
  else if (target?.type === 'pointer_declarator' && refTo(target.childForFieldName('declarator')) && lastName(type) === cls && init) kind = 'raw-alias';
  else if (target?.type === 'identifier' && new RegExp(`^(::)?(std::)?shared_ptr<(\\w+::)*${cls}>$`).test(type)) kind = 'shared';
  return { node: d, name: nameNode ? lastName(textOf(src, nameNode)) : '', kind, storage, declarators: declarators.length, init };
}

/** Namespace-scope declarations of a file (not in a function, class or %extend body). */
function namespaceDecls(ctx: Context, src: SourceFile, cls: string): Decl[] {
  return matchAll(ctx.query('namespace-scope'), src.root)
    .map((c) => c.item!)
    .filter((d) => d.type === 'declaration' && (d.parent!.type === 'translation_unit' || d.parent!.type === 'declaration_list') && !namespacePath(src, d).includes(''))
    .map((d) => classify(src, d, cls));
}

/** The mutex declared next to `decl` (the adjacent declaration, else the only one in its scope). */
function mutexNextTo(decl: Decl, all: Decl[]): Decl | undefined {
  const siblings = decl.node.parent!.namedChildren.filter((c) => c.type !== 'comment');
  const i = siblings.findIndex((c) => c.id === decl.node.id);
  const byNode = (n: SyntaxNode | undefined) => (n ? all.find((d) => d.node.id === n.id && (d.kind === 'mutex' || d.kind === 'mutex-alias')) : undefined);
  const adjacent = byNode(siblings[i - 1]) ?? byNode(siblings[i + 1]);
  if (adjacent) return adjacent;
  const sameScope = all.filter((d) => (d.kind === 'mutex' || d.kind === 'mutex-alias') && d.node.parent!.id === decl.node.parent!.id);
  return sameScope.length === 1 ? sameScope[0] : undefined;
}

/** A declaration whose type is a scoped lock: lock_guard, unique_lock or scoped_lock, qualified or not, with template arguments or not. */
const SCOPED_LOCK = /(^|::|\s)(lock_guard|unique_lock|scoped_lock)(\s*<.*>)?$/;
/** Scoped-lock declarations under node (from declaration.scm): type, declarator and the declaration. */
export const scopedLocks = (ctx: Context, node: SyntaxNode) => matchAll(ctx.query('declaration'), node).filter((c) => SCOPED_LOCK.test(c.type!.text));

/** Scoped-lock declarations (lock_guard/unique_lock/scoped_lock) of `mutex` under node. */
function locksOf(ctx: Context, src: SourceFile, node: SyntaxNode, mutex: string): SyntaxNode[] {
  return scopedLocks(ctx, node)
    .filter((c) => {
      const declared = declaredName(c.declarator!);
      const declText = textOf(src, c.declarator!);
      const rest = declared ? declText.slice(declared.endIndex - c.declarator!.startIndex) : declText;
      return words(rest).includes(mutex);
    })
    .map((c) => c.decl!);
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

/** The names the fix works with: the .i's pointer and mutex, and the header's registry and its members. */
interface Names {
  C: string;
  /** the pointer's name in the .i (kept as a reference to the registry's member) */
  G: string;
  M: string;
  /** the registry (a class template) and its static members */
  R: string;
  RM: string;
  RP: string;
}

const templateArgs = '<\\s*(void)?\\s*>';

/** `R<>::member` (or `R<void>::member`, qualified or not) under node: the identifier `member` of each. */
function registryRefs(src: SourceFile, node: SyntaxNode, R: string, member: string): SyntaxNode[] {
  const scope = new RegExp(`^(::)?(\\w+::)*${R}${templateArgs}::$`);
  return ofType(node, 'identifier').filter((i) => {
    const q = i.parent;
    return i.text === member && q?.type === 'qualified_identifier' && q.childForFieldName('name')?.id === i.id
      && scope.test(squash(textOf(src, q).slice(0, i.startIndex - q.startIndex)));
  });
}

/** Every use of the pointer under node: its .i name and the registry's member. */
function pointerRefs(src: SourceFile, node: SyntaxNode, n: Names): SyntaxNode[] {
  return [...refsTo(node, n.G), ...registryRefs(src, node, n.R, n.RP)].sort((a, b) => a.startIndex - b.startIndex);
}

/** Locks of the mutex under node: by its .i name, or as the registry's member. */
function mutexLocks(ctx: Context, src: SourceFile, node: SyntaxNode, n: Names): SyntaxNode[] {
  const member = new RegExp(`${n.R}${templateArgs}::${n.RM}\\b`);
  return [...new Set([
    ...locksOf(ctx, src, node, n.M),
    ...scopedLocks(ctx, node).filter((c) => member.test(squash(textOf(src, c.declarator!)))).map((c) => c.decl!),
  ])];
}

interface Registry { node: SyntaxNode; name: string; mutex: string; live: string }

/** A class template at namespace scope with a static std::mutex and a static C*: where the fix keeps both. */
function findRegistry(src: SourceFile, C: string): Registry | undefined {
  for (const td of ofType(src.root, 'template_declaration')) {
    if (td.parent?.type !== 'translation_unit' && td.parent?.type !== 'declaration_list') continue;
    const spec = td.namedChildren.find((c) => (c.type === 'struct_specifier' || c.type === 'class_specifier') && c.childForFieldName('body'));
    const name = spec?.childForFieldName('name')?.text;
    if (!spec || !name) continue;
    const statics = spec.childForFieldName('body')!.namedChildren.filter((f) => f.type === 'field_declaration' && f.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static'));
    const field = (f: SyntaxNode) => declaredName(f.childForFieldName('declarator'))?.text ?? '';
    const mutex = statics.find((f) => /^(::)?(std::)?mutex$/.test(squash(textOf(src, f.childForFieldName('type')!))) && f.childForFieldName('declarator')?.type === 'field_identifier');
    const live = statics.find((f) => lastName(textOf(src, f.childForFieldName('type')!)) === C && f.childForFieldName('declarator')?.type === 'pointer_declarator');
    if (mutex && live) {
      // both defined out of the class, in the header: `template <...> std::mutex R<U>::m;`
      for (const member of [field(mutex), field(live)]) {
        const def = new RegExp(`${name}<\\w+>::${member}(=|;|\\{)`);
        if (!ofType(src.root, 'template_declaration').some((d) => d.id !== td.id && def.test(squash(textOf(src, d)))))
          stop(src, td.startIndex, `${name}<>::${member} defined in ${src.path} (template <typename U> ... ${name}<U>::${member};)`);
      }
      return { node: td, name, mutex: field(mutex), live: field(live) };
    }
  }
  return undefined;
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

  // a pointer defined at namespace scope in the header: C++17 inline variables (or an ODR violation)
  const hDecls = namespaceDecls(ctx, hdr, C);
  const hG = hDecls.find((d) => d.kind === 'raw' || d.kind === 'shared');
  if (hG) stop(hdr, hG.node.startIndex, `C++14: ${hG.name} as a static member of a class template defined in ${hdr.path} (a variable defined in a header needs C++17's inline)`);
  const reg = findRegistry(hdr, C);
  if (reg && reg.node.startIndex > cls.classNode.startIndex) stop(hdr, reg.node.startIndex, `${reg.name} declared before ${C}`);

  // ---- the .i's names ----
  const diDecls = namespaceDecls(ctx, di, C);
  const diPointers = findGlobalPointers(di, [C]);
  if (diPointers.length > 1) stop(di, diPointers[1]!.startIndex, `one namespace-scope pointer to ${C}`);
  const iG = diPointers[0] ? diDecls.find((d) => d.node.id === diPointers[0]!.id) ?? classify(di, diPointers[0]!, C) : undefined;
  if (iG) {
    at.push(loc(di, iG.node.startIndex));
    const form = `\`${C}* <name> = nullptr;\` or \`std::shared_ptr<${C}> <name>;\` (one declarator, no storage class), or a ${C}*& naming the registry's pointer`;
    if (!['raw', 'shared', 'raw-alias'].includes(iG.kind)) stop(di, iG.node.startIndex, form);
    if (iG.declarators !== 1 || iG.storage.length) stop(di, iG.node.startIndex, form);
    if (iG.kind !== 'raw-alias' && iG.init && !['null', 'number_literal', 'initializer_list'].includes(iG.init.type) && textOf(di, iG.init) !== 'NULL') stop(di, iG.node.startIndex, form);
    if (iG.kind === 'raw-alias' && !(reg && registryRefs(di, iG.init!, reg.name, reg.live).length)) stop(di, iG.node.startIndex, `${iG.name} naming ${reg ? `${reg.name}<>::${reg.live}` : `the registry of ${C} in ${hdr.path}`}`);
    if (namespacePath(di, iG.node).join('::') !== clsNs.join('::'))
      stop(di, iG.node.startIndex, `${iG.name} declared in the namespace of ${C} (${clsNs.join('::') || 'the global namespace'})`);
  } else if (!reg) {
    return drift(di, 0, `a namespace-scope pointer to ${C} (in ${di.path}) or, fixed, a registry of ${C} in ${hdr.path}`);
  }
  const iM = iG ? mutexNextTo(iG, diDecls) : undefined;
  if (iM?.kind === 'mutex-alias' && !(reg && registryRefs(di, iM.init!, reg.name, reg.mutex).length)) stop(di, iM.node.startIndex, `${iM.name} naming the registry's mutex`);
  const G = iG?.name ?? reg!.live;
  const R = reg?.name ?? `${C}_registry`;
  // the .i's mutex: its own name, a name for the one this fix adds next to the pointer, or the registry's member
  const M = iM?.name ?? (iG && iG.kind !== 'raw-alias' ? `${G}_mutex` : `${R}<>::${reg!.mutex}`);
  const n: Names = { C, G, M, R, RM: reg?.mutex ?? 'mutex', RP: reg?.live ?? 'live' };
  const used = (name: string) => [hdr, di, ses].find((f) => f.text.includes(name) && ofType(f.root, 'identifier', 'type_identifier', 'field_identifier', 'namespace_identifier').some((x) => x.text === name));
  if (!reg) {
    const taken = used(R);
    if (taken) stop(taken, ofType(taken.root, 'identifier', 'type_identifier', 'field_identifier').find((x) => x.text === R)?.startIndex ?? 0, `no existing name ${R} (the registry this fix adds)`);
  }
  if (iG && iG.kind !== 'raw-alias' && !iM) {
    const taken = used(M);
    if (taken) stop(taken, ofType(taken.root, 'identifier', 'type_identifier', 'field_identifier').find((x) => x.text === M)!.startIndex, `no existing name ${M} (the mutex this fix adds)`);
  }

  headerEdits(ctx, hdr, cls, n, !reg, edits, notes);
  const setter = interfaceEdits(ctx, di, n, { iG, iM, header: posix.basename(hdr.path), diDecls }, edits, notes);
  const lambdaAt = sessionEdits(ctx, ses, n, setter, edits, notes);
  if (lambdaAt !== undefined) at.push(loc(ses, lambdaAt));
  if (edits.length === 0) return { status: 'applied', at };
  notes.push(constructionSites(ctx, [hdr, ses, di], cls));
  return { status: 'apply', edits, at, notes };
}

/** Where C is made (new C, make_unique<C>, make_shared<C>) outside its own class: each reaches the wrappers now. */
function constructionSites(ctx: Context, files: SourceFile[], cls: HeaderClass): string {
  const C = cls.name;
  const sites: string[] = [];
  for (const f of files) {
    if (!f.text.includes(C)) continue; // no construction of C where its name is not written
    const made = [
      ...ofType(f.root, 'new_expression').filter((x) => lastName(textOf(f, x.childForFieldName('type') ?? x)) === C),
      ...matchAll(ctx.query('factory'), f.root).filter((m) => lastName(textOf(f, m.targs!).slice(1, -1)) === C).map((m) => m.call!),
    ].filter((x) => !(f === cls.file && x.startIndex >= cls.classNode.startIndex && x.endIndex <= cls.classNode.endIndex));
    for (const x of made.sort((a, b) => a.startIndex - b.startIndex)) {
      let where = 'at file scope';
      for (let p = x.parent; p; p = p.parent) {
        if (p.type === 'lambda_expression') {
          const fn = enclosingFunction(p);
          where = `in a lambda of ${fn ? functionName(fn) : 'file scope'}`;
          break;
        }
        if (p.type === 'function_definition') { where = `in ${functionName(p)}`; break; }
      }
      sites.push(`${f.path}:${loc(f, x.startIndex).line} (${where})`);
    }
  }
  return `${C} registers itself in its constructor, so every construction reaches the wrappers${sites.length ? `: ${sites.join(', ')}` : ''}`;
}

function enclosingFunction(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return null;
}

// ---- memory_disk_io.hpp ----

function headerEdits(ctx: Context, src: SourceFile, cls: HeaderClass, n: Names, addRegistry: boolean, edits: Edit[], notes: string[]): void {
  const C = cls.name;
  const vars = { cls: C, registry: n.R, key: cls.classNode.type === 'class_specifier' ? 'class' : 'struct' };
  if (addRegistry) {
    edits.push(...ensureIncludes(src, ['mutex']));
    // before the class, and before a comment attached to it (no blank line in between)
    let anchor = cls.classNode;
    for (let p = anchor.previousSibling; p?.type === 'comment'; p = p.previousSibling) {
      if (/\n[ \t]*\r?\n/.test(src.text.slice(p.endIndex, anchor.startIndex))) break;
      anchor = p;
    }
    edits.push(insertLinesBefore(src, anchor.startIndex, renderAt(src, anchor.startIndex, 'guarded-global/registry.cpp', vars)));
  }
  const ptr = (node: SyntaxNode) => registryRefs(src, node, n.R, n.RP);
  const locks = (node: SyntaxNode) => mutexLocks(ctx, src, node, { ...n, M: `${n.R}<>::${n.RM}` });

  // every constructor registers the object
  const ctors = methods(cls.body).filter((m) => functionName(m) === C);
  if (!ctors.length) stop(src, cls.classNode.startIndex, `a constructor of ${C} defined in its body (it registers the object)`);
  for (const ctor of ctors) {
    const body = ctor.childForFieldName('body');
    if (!body) stop(src, ctor.startIndex, `${C}'s constructor with a body (it registers the object)`);
    const delegates = ofType(ctor, 'field_initializer').some((fi) => lastName(textOf(src, fi.namedChildren[0] ?? fi)) === C);
    if (delegates) continue;
    const registers = ofType(body!, 'assignment_expression').some((a) =>
      ptr(a.childForFieldName('left')!).length > 0 && a.childForFieldName('right')?.type === 'this' && guarded(a, locks(body!), body!));
    if (registers) continue;
    const lock = freeName(body!, ['lock', 'guard', 'registry_lock']);
    if (!src.text.slice(body!.startIndex, body!.endIndex).includes('\n')) {
      edits.push({ file: src.path, start: body!.startIndex, end: body!.endIndex, text: renderBlock(src, body!, 'guarded-global/register-block.cpp', { ...vars, lock }) });
      continue;
    }
    const close = body!.endIndex - 1;
    if (src.text.slice(lineStart(src.text, close), close).trim() !== '') stop(src, close, `${C}'s constructor with its closing } on a line of its own`);
    const last = statements(body!).at(-1);
    const text = last ? renderAt(src, last.startIndex, 'guarded-global/register.cpp', { ...vars, lock }) : renderAt(src, close, 'guarded-global/register.cpp', { ...vars, lock }, 1);
    edits.push(insertLinesBefore(src, close, text));
  }

  // the destructor: unregister, under the mutex, only if the pointer still points here
  const isDtor = (x: SyntaxNode) => declaredName(x.childForFieldName('declarator'))?.type === 'destructor_name';
  const dtors = cls.body.namedChildren.filter((x) => ['function_definition', 'field_declaration', 'declaration'].includes(x.type) && isDtor(x));
  if (dtors.length > 1) stop(src, dtors[1]!.startIndex, `one destructor in ${C}`);
  const dtor = dtors[0];
  const expected = `a destructor of ${C} that, holding ${n.R}<>::${n.RM}, sets ${n.R}<>::${n.RP} to nullptr only if it equals this`;
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
    if (ptr(body).length) {
      if (!unregisters(src, body, ptr, locks(body))) stop(src, dtor.startIndex, expected);
      return; // already safe
    }
    if (statements(body).length === 0 && !body.namedChildren.length) {
      edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'guarded-global/destructor-block.cpp', { ...vars, lock: 'lock' }) });
    } else {
      if (!opensLine(src, body)) stop(src, body.startIndex, `${C}'s destructor with its statements on their own lines`);
      edits.push(insertAtTop(src, body, 'guarded-global/destructor-block.cpp', { ...vars, lock: freeName(body, ['lock', 'guard', 'registry_lock']) }));
    }
    return;
  }
  const ctor = ctors.at(-1)!;
  if (accessAt(cls, ctor) !== 'public') stop(src, ctor.startIndex, `a public constructor of ${C} (the destructor goes after it)`);
  const text = renderAt(src, ctor.startIndex, 'guarded-global/destructor.cpp', vars);
  edits.push(insertLinesAfter(src, ctor.endIndex - 1, src.style.eol + text));
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

/** `if (P == this) P = nullptr;` (either operand order, braces optional) held under one of `locks`. */
function unregisters(src: SourceFile, body: SyntaxNode, ptr: (n: SyntaxNode) => SyntaxNode[], locks: SyntaxNode[]): boolean {
  return ofType(body, 'if_statement').some((s) => {
    const cond = s.childForFieldName('condition')?.namedChildren.at(-1);
    if (cond?.type !== 'binary_expression' || cond.childForFieldName('operator')?.text !== '==') return false;
    const sides = [cond.childForFieldName('left')!, cond.childForFieldName('right')!];
    if (!(sides.some((x) => ptr(x).length > 0) && sides.some((x) => x.type === 'this'))) return false;
    const then = s.childForFieldName('consequence')!;
    const assigns = ofType(then, 'assignment_expression').some((a) =>
      ptr(a.childForFieldName('left')!).length > 0 && ['nullptr', 'NULL', '0'].includes(textOf(src, a.childForFieldName('right')!).trim()));
    return assigns && guarded(s, locks, body);
  });
}

// ---- disk_interface.i ----

function interfaceEdits(
  ctx: Context, src: SourceFile, n: Names,
  o: { iG: Decl | undefined; iM: Decl | undefined; header: string; diDecls: Decl[] }, edits: Edit[], notes: string[],
): string | undefined {
  const { C, G, M, R } = n;
  const { iG, iM } = o;
  // the pointer and its mutex become references to the registry's members (uses keep their names)
  const toAlias = [iG, iM].filter((d): d is Decl => !!d && d.kind !== 'raw-alias' && d.kind !== 'mutex-alias');
  if (toAlias.length) {
    for (const d of toAlias) if (!ownLines(src, d.node)) stop(src, d.node.startIndex, `${d.name} declared on a line of its own`);
    const aliasOf = (d: Decl | 'mutex') => (d === 'mutex' || d.kind === 'mutex' ? `std::mutex& ${M} = ${R}<>::${n.RM};` : `${C}*& ${G} = ${R}<>::${n.RP};`);
    const first = [iG, iM].filter((d): d is Decl => !!d).sort((a, b) => a.node.startIndex - b.node.startIndex)[0]!;
    const comment = renderAt(src, first.node.startIndex, 'guarded-global/aliases.cpp', { registry: R, header: o.header }) + src.style.eol;
    for (const d of toAlias) {
      const lead = d === first ? comment : '';
      const extra = d === iG && !iM ? indentAt(src.text, d.node.startIndex) + aliasOf('mutex') + src.style.eol : '';
      const line = ownLines(src, d.node)!;
      const trailing = src.text.slice(d.node.endIndex, line.end);
      edits.push({ file: src.path, start: line.start, end: line.end, text: lead + extra + indentAt(src.text, d.node.startIndex) + aliasOf(d) + trailing });
    }
    if (iG?.kind === 'shared') {
      notes.push(`${G} was a std::shared_ptr<${C}>; it names ${R}<>::${n.RP}, a raw pointer cleared by ${C}'s destructor`);
      let c = (iM && iM.node.startIndex < iG.node.startIndex ? iM : iG).node.previousNamedSibling;
      while (c?.type === 'comment' && !/shar/i.test(textOf(src, c))) c = c.previousNamedSibling;
      if (c?.type === 'comment') notes.push(`${src.path}:${loc(src, c.startIndex).line}: the comment there still speaks of shared ownership`);
    }
  }
  const smart = iG?.kind === 'shared';
  const uses = (node: SyntaxNode) => pointerRefs(src, node, n);
  const fns = ofType(src.root, 'function_definition').filter((f) => f.childForFieldName('body') && uses(f.childForFieldName('body')!).length);

  // a function that takes nothing and only clears the pointer would cut a live instance off: it does nothing now
  const cleared = new Set<number>();
  for (const f of fns) {
    if (parameters(f, (x) => textOf(src, x)).length) continue;
    const body = f.childForFieldName('body')!;
    const stmts = statements(body).filter((s) => !mutexLocks(ctx, src, s, n).some((l) => l.id === s.id));
    const clears = (s: SyntaxNode) => {
      const e = s.type === 'expression_statement' ? s.namedChildren[0] : undefined;
      if (e?.type === 'assignment_expression') return uses(e.childForFieldName('left')!).length > 0 && ['nullptr', 'NULL', '0'].includes(textOf(src, e.childForFieldName('right')!).trim());
      if (e?.type === 'call_expression') return /^\w+(::\w+)*\.reset$/.test(squash(textOf(src, e.childForFieldName('function')!))) && uses(e).length > 0 && !e.childForFieldName('arguments')!.namedChildren.length;
      return false;
    };
    if (stmts.length !== 1 || !clears(stmts[0]!)) continue;
    edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'guarded-global/clear.cpp', { cls: C }) });
    notes.push(`${functionName(f)}() no longer clears ${G}: ${C} unregisters itself, and only itself`);
    cleared.add(f.id);
  }

  // the setter: one parameter of the class's (smart) pointer type, `G = param;` under the lock
  let setter: string | undefined;
  const setterAssign = new Set<number>();
  for (const f of fns) {
    const params = parameters(f, (x) => textOf(src, x));
    if (params.length !== 1 || !words(params[0]!.type).includes(C)) continue;
    const p = params[0]!;
    const body = f.childForFieldName('body')!;
    const name = functionName(f) ?? '';
    const expected = `${name}(${textOf(src, p.node)}) that only does \`${G} = ${p.name ?? 'param'};\` (under a lock of ${M})`;
    const stmts = statements(body).filter((s) => !mutexLocks(ctx, src, s, n).some((l) => l.id === s.id));
    const assign = stmts[0]?.type === 'expression_statement' ? stmts[0].namedChildren[0] : undefined;
    if (stmts.length !== 1 || assign?.type !== 'assignment_expression' || assign.childForFieldName('operator')?.text !== '=' || !uses(assign.childForFieldName('left')!).length)
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
      if (cleared.has(f.id)) continue;
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

  // every function that uses the pointer holds the mutex while it does
  let locked = 0;
  for (const f of fns) {
    if (cleared.has(f.id)) continue;
    const body = f.childForFieldName('body')!;
    const refs = uses(body);
    const locks = mutexLocks(ctx, src, body, n);
    const open = refs.filter((r) => !guarded(r, locks, body));
    if (!open.length) continue;
    if (locks.length) stop(src, open[0]!.startIndex, `every use of ${G} in ${functionName(f)} after a lock of ${M}`);
    if (!opensLine(src, body)) stop(src, body.startIndex, `${functionName(f)} with its statements on their own lines`);
    const first = refs[0]!;
    const mutex = registryRefs(src, body, R, n.RP).some((r) => r.id === first.id) ? `${R}<>::${n.RM}` : qualifier(src, first) + M;
    edits.push(insertAtTop(src, body, 'guarded-global/lock.cpp', { lock: freeName(body, ['lock', 'guard', 'global_lock']), mutex }));
    locked++;
  }
  if (locked) notes.push(`${locked} function(s) of ${src.path} used ${G} without holding ${M}`);
  return setter;
}

// ---- session.i ----

/** Returns where the disk_io_constructor lambda is (undefined when the file has none). */
function sessionEdits(ctx: Context, src: SourceFile, n: Names, setter: string | undefined, edits: Edit[], notes: string[]): number | undefined {
  const { C, G, M } = n;
  const lambdas = findConstructorLambdas(src, [C]);
  if (lambdas.length > 1) stop(src, lambdas[1]!.startIndex, `one disk_io_constructor lambda creating ${C}`);
  const lambda = lambdas[0];
  // nothing else in the file touches the pointer without the mutex
  for (const f of ofType(src.root, 'function_definition')) {
    const fb = f.childForFieldName('body');
    if (!fb) continue;
    const locks = mutexLocks(ctx, src, fb, n);
    const open = pointerRefs(src, fb, n).find((r) => !(lambda && r.startIndex >= lambda.startIndex && r.endIndex <= lambda.endIndex) && !guarded(r, locks, fb));
    if (open) stop(src, open.startIndex, `${G} used only in the disk_io_constructor lambda, or under a lock of ${M}`);
  }
  if (!lambda) return undefined;
  const body = lambda.childForFieldName('body')!;

  // the local that owns the new object
  const makers = matchAll(ctx.query('factory'), body).filter((m) => lastName(textOf(src, m.targs!).slice(1, -1)) === C);
  const news = ownNodes(body, 'new_expression').filter((x) => lastName(textOf(src, x.childForFieldName('type') ?? x)) === C);
  const creation = makers[0]?.call ?? news[0];
  if (makers.length + news.length !== 1 || !creation)
    stop(src, lambda.startIndex, `one std::make_unique<${C}> (or, to fix, std::make_shared<${C}>) in the disk_io_constructor lambda`);
  // returned as it is made: nothing else can see it
  if (creation!.parent?.type === 'return_statement' && creation!.parent.parent?.id === body.id && makers[0]) {
    if (makers[0].maker!.text === 'make_shared') {
      edits.push({ file: src.path, start: makers[0].maker!.startIndex, end: makers[0].maker!.endIndex, text: 'make_unique' });
      notes.push(`the disk_io_constructor lambda makes a std::unique_ptr again, as libtorrent's disk_io_constructor requires`);
    }
    return lambda.startIndex;
  }
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
    for (const x of ofType(declType, 'type_identifier').filter((x) => x.text === 'shared_ptr'))
      edits.push({ file: src.path, start: x.startIndex, end: x.endIndex, text: 'unique_ptr' });
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

  // it may still publish the raw pointer (the object registers itself anyway): through the
  // setter, or assigning the pointer under the mutex
  const isSetterCall = (c: SyntaxNode) => !!setter && lastName(textOf(src, c.childForFieldName('function')!)) === setter;
  const calls = ownNodes(body, 'call_expression').filter(isSetterCall);
  const assigns = ownNodes(body, 'assignment_expression').filter((a) => pointerRefs(src, a.childForFieldName('left')!, n).length > 0);
  const expected = `at most one publication of ${L}: ${setter ? `${setter}(${L}.get()) or ` : ''}\`${G} = ${L}.get();\` under a lock of ${M}`;
  if (calls.length + assigns.length > 1) stop(src, lambda.startIndex, expected);
  const raw = `${L}.get()`;
  if (calls.length) {
    const args = calls[0]!.childForFieldName('arguments')!.namedChildren;
    const arg = squash(textOf(src, args[0] ?? calls[0]!));
    if (args.length !== 1 || (arg !== raw && arg !== L)) stop(src, calls[0]!.startIndex, expected);
    if (arg === L) edits.push({ file: src.path, start: args[0]!.endIndex, end: args[0]!.endIndex, text: '.get()' });
    return lambda.startIndex;
  }
  if (!assigns.length) return lambda.startIndex;
  const a = assigns[0]!;
  const left = a.childForFieldName('left')!;
  const right = a.childForFieldName('right')!;
  const value = squash(textOf(src, right));
  if (a.childForFieldName('operator')?.text !== '=' || (value !== raw && value !== L)) stop(src, a.startIndex, expected);
  const nameNode = left.type === 'identifier' ? left : left.childForFieldName('name')!;
  const prefix = textOf(src, left).slice(0, nameNode.startIndex - left.startIndex);
  if (guarded(a, mutexLocks(ctx, src, body, n), body)) {
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
