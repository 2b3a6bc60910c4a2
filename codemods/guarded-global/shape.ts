/**
 * What guarded-global looks at, found by structure (shared by transform.ts, its parts and
 * mutants.ts): the namespace-scope declarations of the pointer and its mutex, the registry (a
 * class template holding both as static members), uses of the pointer and the scoped locks that
 * guard them.
 */
import { declaredName, drift, matchAll, ofType, textOf, type Context, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

/** A drift: the codemod met a shape it does not know. Returned, never thrown. */
export type Drift = Extract<Result, { status: 'drift' }>;
export const driftAt = (src: SourceFile, index: number, expected: string): Drift => drift(src, index, expected) as Drift;
export const isDrift = (value: unknown): value is Drift => typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'drift';

export const words = (text: string): string[] => text.match(/[A-Za-z_]\w*/g) ?? [];
/** The last name of a possibly qualified name (`a::b::c` is `c`), whitespace ignored. */
export const lastName = (text: string) => text.replace(/\s+/g, '').replace(/^.*::/, '');
export const squash = (text: string) => text.replace(/\s+/g, '');

/** The names the fix works with: the .i's pointer and mutex, and the header's registry and its members. */
export interface Names {
  /** the class implementing disk_interface */
  className: string;
  /** the pointer's name in the .i (kept as a reference to the registry's member) */
  pointer: string;
  /** the .i's mutex: its own name, the one the fix adds, or the registry's member */
  mutex: string;
  /** the registry (a class template) and its static members */
  registry: string;
  registryMutex: string;
  registryPointer: string;
}

/** The namespaces enclosing a node, outermost first (an anonymous one, e.g. a masked %extend, is ''). */
export function namespacePath(src: SourceFile, node: SyntaxNode): string[] {
  const path: string[] = [];
  for (let parent = node.parent; parent; parent = parent.parent) {
    if (parent.type !== 'namespace_definition') continue;
    const name = parent.childForFieldName('name');
    path.unshift(...(name ? squash(textOf(src, name)).split('::') : ['']));
  }
  return path;
}

/** A namespace-scope declaration, classified against the class name. */
export interface ScopeDeclaration {
  node: SyntaxNode;
  name: string;
  /** what it declares */
  kind: 'mutex' | 'raw' | 'shared' | 'mutex-alias' | 'raw-alias' | 'other';
  storage: string[];
  declaratorCount: number;
  init: SyntaxNode | null;
}

const MUTEX_TYPE = /^(::)?(std::)?mutex$/;

/** Classify a namespace-scope declaration against the class name. */
export function classify(src: SourceFile, declaration: SyntaxNode, className: string): ScopeDeclaration {
  const declarators = declaration.childrenForFieldName('declarator');
  const first = declarators[0] ?? null;
  const init = first?.type === 'init_declarator' ? first.childForFieldName('value') : null;
  const nameNode = declaredName(first);
  const typeNode = declaration.childForFieldName('type');
  const type = squash(textOf(src, typeNode ?? declaration));
  const storage = declaration.namedChildren.filter((c) => c.type === 'storage_class_specifier').map((c) => c.text);
  const target = first?.type === 'init_declarator' ? first.childForFieldName('declarator') : first;
  const isReferenceToName = (node: SyntaxNode | null | undefined) => node?.type === 'reference_declarator' && node.namedChildren[0]?.type === 'identifier';
  let kind: ScopeDeclaration['kind'] = 'other';
  if (MUTEX_TYPE.test(type) && target?.type === 'identifier') kind = 'mutex';
  else if (MUTEX_TYPE.test(type) && isReferenceToName(target) && init) kind = 'mutex-alias';
  else if (target?.type === 'pointer_declarator' && target.childForFieldName('declarator')?.type === 'identifier' && lastName(type) === className
    && ofType(typeNode!, 'type_qualifier').length === 0) kind = 'raw';
  else if (target?.type === 'pointer_declarator' && isReferenceToName(target.childForFieldName('declarator')) && lastName(type) === className && init) kind = 'raw-alias';
  else if (target?.type === 'identifier' && new RegExp(`^(::)?(std::)?shared_ptr<(\\w+::)*${className}>$`).test(type)) kind = 'shared';
  return { node: declaration, name: nameNode ? lastName(textOf(src, nameNode)) : '', kind, storage, declaratorCount: declarators.length, init };
}

/** Namespace-scope declarations of a file (not in a function, class or %extend body). */
export function namespaceDeclarations(ctx: Context, src: SourceFile, className: string): ScopeDeclaration[] {
  return matchAll(ctx.query('namespace-scope'), src.root)
    .map((capture) => capture.item!)
    .filter((d) => d.type === 'declaration' && (d.parent!.type === 'translation_unit' || d.parent!.type === 'declaration_list') && !namespacePath(src, d).includes(''))
    .map((d) => classify(src, d, className));
}

const isMutexKind = (declaration: ScopeDeclaration) => declaration.kind === 'mutex' || declaration.kind === 'mutex-alias';

/** The mutex declared next to `pointer` (the adjacent declaration, else the only one in its scope). */
export function mutexNextTo(pointer: ScopeDeclaration, all: ScopeDeclaration[]): ScopeDeclaration | undefined {
  const siblings = pointer.node.parent!.namedChildren.filter((c) => c.type !== 'comment');
  const index = siblings.findIndex((c) => c.id === pointer.node.id);
  const mutexAt = (node: SyntaxNode | undefined) => (node ? all.find((d) => d.node.id === node.id && isMutexKind(d)) : undefined);
  const adjacent = mutexAt(siblings[index - 1]) ?? mutexAt(siblings[index + 1]);
  if (adjacent) return adjacent;
  const sameScope = all.filter((d) => isMutexKind(d) && d.node.parent!.id === pointer.node.parent!.id);
  return sameScope.length === 1 ? sameScope[0] : undefined;
}

/** A declaration whose type is a scoped lock: lock_guard, unique_lock or scoped_lock, qualified or not, with template arguments or not. */
const SCOPED_LOCK = /(^|::|\s)(lock_guard|unique_lock|scoped_lock)(\s*<.*>)?$/;
/** Scoped-lock declarations under node (from declaration.scm): type, declarator and the declaration. */
export const scopedLocks = (ctx: Context, node: SyntaxNode) => matchAll(ctx.query('declaration'), node).filter((c) => SCOPED_LOCK.test(c.type!.text));

/** Scoped-lock declarations (lock_guard/unique_lock/scoped_lock) of `mutex` under node. */
function locksNaming(ctx: Context, src: SourceFile, node: SyntaxNode, mutex: string): SyntaxNode[] {
  return scopedLocks(ctx, node)
    .filter((capture) => {
      const declared = declaredName(capture.declarator!);
      const declaratorText = textOf(src, capture.declarator!);
      const rest = declared ? declaratorText.slice(declared.endIndex - capture.declarator!.startIndex) : declaratorText;
      return words(rest).includes(mutex);
    })
    .map((capture) => capture.decl!);
}

/** Is `ref` inside the scope of one of `locks` (a lock declared earlier in an enclosing block)? */
export function isGuarded(ref: SyntaxNode, locks: SyntaxNode[], stopAt: SyntaxNode): boolean {
  for (let child = ref, parent = ref.parent; parent; child = parent, parent = parent.parent) {
    const block = parent;
    if (block.type === 'compound_statement' && locks.some((lock) => lock.parent?.id === block.id && lock.endIndex <= child.startIndex)) return true;
    if (block.id === stopAt.id) return false;
  }
  return false;
}

/** References (as expressions) to a namespace-scope name under node; qualified ones count too. */
export function refsTo(node: SyntaxNode, name: string): SyntaxNode[] {
  return ofType(node, 'identifier').filter((n) => n.text === name && !(n.parent?.type === 'qualified_identifier' && n.parent.childForFieldName('scope')?.id === n.id));
}

/** The expression a reference stands for: the identifier or the qualified_identifier around it. */
export const refExpression = (ref: SyntaxNode) => (ref.parent?.type === 'qualified_identifier' && ref.parent.childForFieldName('name')?.id === ref.id ? ref.parent : ref);

/** `ns::` in `ns::name`, or '' for an unqualified reference. */
export function qualifier(src: SourceFile, ref: SyntaxNode): string {
  const expression = refExpression(ref);
  return expression === ref ? '' : textOf(src, expression).slice(0, ref.startIndex - expression.startIndex);
}

const TEMPLATE_ARGS = '<\\s*(void)?\\s*>';

/** `R<>::member` (or `R<void>::member`, qualified or not) under node: the identifier `member` of each. */
export function registryRefs(src: SourceFile, node: SyntaxNode, registry: string, member: string): SyntaxNode[] {
  const scope = new RegExp(`^(::)?(\\w+::)*${registry}${TEMPLATE_ARGS}::$`);
  return ofType(node, 'identifier').filter((identifier) => {
    const qualified = identifier.parent;
    return identifier.text === member && qualified?.type === 'qualified_identifier' && qualified.childForFieldName('name')?.id === identifier.id
      && scope.test(squash(textOf(src, qualified).slice(0, identifier.startIndex - qualified.startIndex)));
  });
}

/** Every use of the pointer under node: its .i name and the registry's member. */
export function pointerRefs(src: SourceFile, node: SyntaxNode, names: Names): SyntaxNode[] {
  return [...refsTo(node, names.pointer), ...registryRefs(src, node, names.registry, names.registryPointer)].sort((a, b) => a.startIndex - b.startIndex);
}

/** Locks of the mutex under node: by its .i name, or as the registry's member. */
export function mutexLocks(ctx: Context, src: SourceFile, node: SyntaxNode, names: Names): SyntaxNode[] {
  const member = new RegExp(`${names.registry}${TEMPLATE_ARGS}::${names.registryMutex}\\b`);
  return [...new Set([
    ...locksNaming(ctx, src, node, names.mutex),
    ...scopedLocks(ctx, node).filter((c) => member.test(squash(textOf(src, c.declarator!)))).map((c) => c.decl!),
  ])];
}

/** The registry: a class template with a static std::mutex and a static pointer to the class. */
export interface Registry { node: SyntaxNode; name: string; mutex: string; live: string }

/**
 * A class template at namespace scope with a static std::mutex and a static pointer to the class:
 * where the fix keeps both. A drift when one of them is not defined in the header.
 */
export function findRegistry(src: SourceFile, className: string): Registry | Drift | undefined {
  const templates = ofType(src.root, 'template_declaration');
  for (const template of templates) {
    if (template.parent?.type !== 'translation_unit' && template.parent?.type !== 'declaration_list') continue;
    const spec = template.namedChildren.find((c) => (c.type === 'struct_specifier' || c.type === 'class_specifier') && c.childForFieldName('body'));
    const name = spec?.childForFieldName('name')?.text;
    if (!spec || !name) continue;
    const statics = spec.childForFieldName('body')!.namedChildren.filter((f) => f.type === 'field_declaration' && f.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static'));
    const fieldName = (field: SyntaxNode) => declaredName(field.childForFieldName('declarator'))?.text ?? '';
    const mutex = statics.find((f) => MUTEX_TYPE.test(squash(textOf(src, f.childForFieldName('type')!))) && f.childForFieldName('declarator')?.type === 'field_identifier');
    const live = statics.find((f) => lastName(textOf(src, f.childForFieldName('type')!)) === className && f.childForFieldName('declarator')?.type === 'pointer_declarator');
    if (!mutex || !live) continue;
    // both defined out of the class, in the header: `template <...> std::mutex R<U>::m;`
    for (const member of [fieldName(mutex), fieldName(live)]) {
      const definition = new RegExp(`${name}<\\w+>::${member}(=|;|\\{)`);
      if (!templates.some((d) => d.id !== template.id && definition.test(squash(textOf(src, d)))))
        return driftAt(src, template.startIndex, `${name}<>::${member} defined in ${src.path} (template <typename U> ... ${name}<U>::${member};)`);
    }
    return { node: template, name, mutex: fieldName(mutex), live: fieldName(live) };
  }
  return undefined;
}
