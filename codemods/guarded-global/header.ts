/**
 * guarded-global in the header (memory_disk_io.hpp): the registry before the class, every
 * constructor registers the object, the destructor unregisters it (only it) under the mutex.
 */
import { declaredName, ensureIncludes, functionName, indentAt, insertLinesAfter, insertLinesBefore, lineStart, methods, ofType, renderAt, renderBlock, statements, textOf, type Context, type Edit, type HeaderClass, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { freeName, insertAtTop, opensLine, ownLines } from './layout.ts';
import { driftAt, isGuarded, lastName, mutexLocks, registryRefs, type Drift, type Names } from './shape.ts';

/** Adds the header's edits and notes; a drift when the class has a shape the fix does not know. */
export function headerEdits(ctx: Context, src: SourceFile, cls: HeaderClass, names: Names, addRegistry: boolean, edits: Edit[], notes: string[]): Drift | undefined {
  const className = cls.name;
  const vars = { cls: className, registry: names.registry, key: cls.classNode.type === 'class_specifier' ? 'class' : 'struct' };
  if (addRegistry) {
    edits.push(...ensureIncludes(src, ['mutex']));
    // before the class, and before a comment attached to it (no blank line in between)
    let anchor = cls.classNode;
    for (let previous = anchor.previousSibling; previous?.type === 'comment'; previous = previous.previousSibling) {
      if (/\n[ \t]*\r?\n/.test(src.text.slice(previous.endIndex, anchor.startIndex))) break;
      anchor = previous;
    }
    edits.push(insertLinesBefore(src, anchor.startIndex, renderAt(src, anchor.startIndex, 'guarded-global/registry.cpp', vars)));
  }
  const pointerUses = (node: SyntaxNode) => registryRefs(src, node, names.registry, names.registryPointer);
  const registryLocks = (node: SyntaxNode) => mutexLocks(ctx, src, node, { ...names, mutex: `${names.registry}<>::${names.registryMutex}` });

  // every constructor registers the object
  const constructors = methods(cls.body).filter((m) => functionName(m) === className);
  if (!constructors.length) return driftAt(src, cls.classNode.startIndex, `a constructor of ${className} defined in its body (it registers the object)`);
  for (const constructor of constructors) {
    const body = constructor.childForFieldName('body');
    if (!body) return driftAt(src, constructor.startIndex, `${className}'s constructor with a body (it registers the object)`);
    const delegates = ofType(constructor, 'field_initializer').some((fi) => lastName(textOf(src, fi.namedChildren[0] ?? fi)) === className);
    if (delegates) continue;
    const registers = ofType(body, 'assignment_expression').some((a) =>
      pointerUses(a.childForFieldName('left')!).length > 0 && a.childForFieldName('right')?.type === 'this' && isGuarded(a, registryLocks(body), body));
    if (registers) continue;
    const lock = freeName(body, ['lock', 'guard', 'registry_lock']);
    if (!src.text.slice(body.startIndex, body.endIndex).includes('\n')) {
      edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'guarded-global/register-block.cpp', { ...vars, lock }) });
      continue;
    }
    const close = body.endIndex - 1;
    if (src.text.slice(lineStart(src.text, close), close).trim() !== '') return driftAt(src, close, `${className}'s constructor with its closing } on a line of its own`);
    const last = statements(body).at(-1);
    const text = last ? renderAt(src, last.startIndex, 'guarded-global/register.cpp', { ...vars, lock }) : renderAt(src, close, 'guarded-global/register.cpp', { ...vars, lock }, 1);
    edits.push(insertLinesBefore(src, close, text));
  }

  // the destructor: unregister, under the mutex, only if the pointer still points here
  const isDestructor = (member: SyntaxNode) => declaredName(member.childForFieldName('declarator'))?.type === 'destructor_name';
  const destructors = cls.body.namedChildren.filter((member) => ['function_definition', 'field_declaration', 'declaration'].includes(member.type) && isDestructor(member));
  if (destructors.length > 1) return driftAt(src, destructors[1]!.startIndex, `one destructor in ${className}`);
  const destructor = destructors[0];
  const expected = `a destructor of ${className} that, holding ${names.registry}<>::${names.registryMutex}, sets ${names.registry}<>::${names.registryPointer} to nullptr only if it equals this`;
  if (destructor) {
    const body = destructor.childForFieldName('body');
    if (destructor.type !== 'function_definition' || !body) {
      const isDefault = ofType(destructor, 'default_method_clause').length > 0;
      if (!isDefault || !ownLines(src, destructor)) return driftAt(src, destructor.startIndex, `${expected} (defined in the class body)`);
      const text = renderAt(src, destructor.startIndex, 'guarded-global/destructor.cpp', vars);
      edits.push({ file: src.path, start: destructor.startIndex, end: destructor.endIndex, text: text.slice(indentAt(src.text, destructor.startIndex).length) });
      notes.push(`${className}'s defaulted destructor now unregisters it`);
      return undefined;
    }
    if (pointerUses(body).length) {
      if (!unregisters(src, body, pointerUses, registryLocks(body))) return driftAt(src, destructor.startIndex, expected);
      return undefined; // already safe
    }
    if (statements(body).length === 0 && !body.namedChildren.length) {
      edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'guarded-global/destructor-block.cpp', { ...vars, lock: 'lock' }) });
    } else {
      if (!opensLine(src, body)) return driftAt(src, body.startIndex, `${className}'s destructor with its statements on their own lines`);
      edits.push(insertAtTop(src, body, 'guarded-global/destructor-block.cpp', { ...vars, lock: freeName(body, ['lock', 'guard', 'registry_lock']) }));
    }
    return undefined;
  }
  const lastConstructor = constructors.at(-1)!;
  if (accessAt(cls, lastConstructor) !== 'public') return driftAt(src, lastConstructor.startIndex, `a public constructor of ${className} (the destructor goes after it)`);
  const text = renderAt(src, lastConstructor.startIndex, 'guarded-global/destructor.cpp', vars);
  edits.push(insertLinesAfter(src, lastConstructor.endIndex - 1, src.style.eol + text));
  return undefined;
}

/** The access of a member: the last access specifier before it, or the class key's default. */
function accessAt(cls: HeaderClass, member: SyntaxNode): string {
  let access = cls.classNode.type === 'class_specifier' ? 'private' : 'public';
  for (const child of cls.body.namedChildren) {
    if (child.id === member.id) break;
    if (child.type === 'access_specifier') access = child.text.replace(/:$/, '').trim();
  }
  return access;
}

/** `if (P == this) P = nullptr;` (either operand order, braces optional) held under one of `locks`. */
function unregisters(src: SourceFile, body: SyntaxNode, pointerUses: (node: SyntaxNode) => SyntaxNode[], locks: SyntaxNode[]): boolean {
  return ofType(body, 'if_statement').some((statement) => {
    const condition = statement.childForFieldName('condition')?.namedChildren.at(-1);
    if (condition?.type !== 'binary_expression' || condition.childForFieldName('operator')?.text !== '==') return false;
    const sides = [condition.childForFieldName('left')!, condition.childForFieldName('right')!];
    if (!(sides.some((side) => pointerUses(side).length > 0) && sides.some((side) => side.type === 'this'))) return false;
    const consequence = statement.childForFieldName('consequence')!;
    const clears = ofType(consequence, 'assignment_expression').some((a) =>
      pointerUses(a.childForFieldName('left')!).length > 0 && ['nullptr', 'NULL', '0'].includes(textOf(src, a.childForFieldName('right')!).trim()));
    return clears && isGuarded(statement, locks, body);
  });
}
