/**
 * guarded-global in disk_interface.i: the pointer and its mutex become references to the
 * registry's members, a function that only clears the pointer does nothing, the setter takes a
 * raw pointer, and every function that uses the pointer holds the mutex.
 */
import { functionName, indentAt, loc, ofType, parameters, renderAt, renderBlock, statements, textOf, type Context, type Edit, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { freeName, insertAtTop, opensLine, ownLines } from './layout.ts';
import { driftAt, isGuarded, mutexLocks, pointerRefs, qualifier, refExpression, refsTo, registryRefs, squash, words, type Drift, type Names, type ScopeDeclaration } from './shape.ts';

export interface InterfaceDeclarations {
  /** the .i's pointer and its mutex, as declared there (absent when the .i names the registry's members) */
  pointer: ScopeDeclaration | undefined;
  mutex: ScopeDeclaration | undefined;
  /** the header's file name, for the comment above the references */
  header: string;
}

const NULL_VALUES = ['nullptr', 'NULL', '0'];

/** Adds the .i's edits and notes; returns the setter's name (if the .i has one), or a drift. */
export function interfaceEdits(
  ctx: Context, src: SourceFile, names: Names, declared: InterfaceDeclarations, edits: Edit[], notes: string[],
): { setter: string | undefined } | Drift {
  const { className, pointer, mutex, registry } = names;
  const aliased = aliasDeclarations(src, names, declared, edits, notes);
  if (aliased) return aliased;
  const uses = (node: SyntaxNode) => pointerRefs(src, node, names);
  const locksIn = (node: SyntaxNode) => mutexLocks(ctx, src, node, names);
  const functions = ofType(src.root, 'function_definition').filter((f) => f.childForFieldName('body') && uses(f.childForFieldName('body')!).length);
  /** The statements of a body besides locks of the mutex. */
  const ownStatements = (body: SyntaxNode) => statements(body).filter((s) => !locksIn(s).some((lock) => lock.id === s.id));

  // a function that takes nothing and only clears the pointer would cut a live instance off: it does nothing now
  const clearing = new Set<number>();
  const clearsPointer = (statement: SyntaxNode) => {
    const expression = statement.type === 'expression_statement' ? statement.namedChildren[0] : undefined;
    if (expression?.type === 'assignment_expression')
      return uses(expression.childForFieldName('left')!).length > 0 && NULL_VALUES.includes(textOf(src, expression.childForFieldName('right')!).trim());
    if (expression?.type === 'call_expression')
      return /^\w+(::\w+)*\.reset$/.test(squash(textOf(src, expression.childForFieldName('function')!))) && uses(expression).length > 0 && !expression.childForFieldName('arguments')!.namedChildren.length;
    return false;
  };
  for (const f of functions) {
    if (parameters(f, (x) => textOf(src, x)).length) continue;
    const body = f.childForFieldName('body')!;
    const bodyStatements = ownStatements(body);
    if (bodyStatements.length !== 1 || !clearsPointer(bodyStatements[0]!)) continue;
    edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'guarded-global/clear.cpp', { cls: className }) });
    notes.push(`${functionName(f)}() no longer clears ${pointer}: ${className} unregisters itself, and only itself`);
    clearing.add(f.id);
  }

  // the setter: one parameter of the class's (smart) pointer type, `G = param;` under the lock
  let setter: string | undefined;
  const setterAssignments = new Set<number>();
  for (const f of functions) {
    const params = parameters(f, (x) => textOf(src, x));
    if (params.length !== 1 || !words(params[0]!.type).includes(className)) continue;
    const param = params[0]!;
    const body = f.childForFieldName('body')!;
    const name = functionName(f) ?? '';
    const expected = `${name}(${textOf(src, param.node)}) that only does \`${pointer} = ${param.name ?? 'param'};\` (under a lock of ${mutex})`;
    const bodyStatements = ownStatements(body);
    const assignment = bodyStatements[0]?.type === 'expression_statement' ? bodyStatements[0].namedChildren[0] : undefined;
    if (bodyStatements.length !== 1 || assignment?.type !== 'assignment_expression' || assignment.childForFieldName('operator')?.text !== '=' || !uses(assignment.childForFieldName('left')!).length)
      return driftAt(src, body.startIndex, expected);
    const right = assignment.childForFieldName('right')!;
    const rightText = squash(textOf(src, right));
    const moved = rightText === `std::move(${param.name})`;
    if (rightText !== param.name && !moved) return driftAt(src, right.startIndex, expected);
    setter = name;
    setterAssignments.add(assignment.id);
    const pointee = ofType(param.node.childForFieldName('type') ?? param.node, 'template_argument_list')[0]?.namedChildren[0];
    if (/\b(shared_ptr|unique_ptr)\s*</.test(param.type)) {
      if (!/\bshared_ptr\s*</.test(param.type) || !pointee || !param.name) return driftAt(src, param.node.startIndex, `${name} taking a ${className}* (or, to fix, a std::shared_ptr<${className}>)`);
      edits.push({ file: src.path, start: param.node.startIndex, end: param.node.endIndex, text: `${textOf(src, pointee)}* ${param.name}` });
      if (moved) edits.push({ file: src.path, start: right.startIndex, end: right.endIndex, text: param.name! });
      notes.push(`${name}() takes a raw ${className}* again`);
    } else if (!ofType(param.node, 'pointer_declarator').length) {
      return driftAt(src, param.node.startIndex, `${name} taking a ${className}*`);
    }
  }

  // a shared_ptr global becomes a raw pointer: its uses must be ones a raw pointer supports
  if (declared.pointer?.kind === 'shared') {
    for (const f of functions) {
      if (clearing.has(f.id)) continue;
      const drifted = rawPointerUses(src, f.childForFieldName('body')!, pointer, setterAssignments, edits);
      if (drifted) return drifted;
    }
  }

  // every function that uses the pointer holds the mutex while it does
  let locked = 0;
  for (const f of functions) {
    if (clearing.has(f.id)) continue;
    const body = f.childForFieldName('body')!;
    const refs = uses(body);
    const locks = locksIn(body);
    const open = refs.filter((ref) => !isGuarded(ref, locks, body));
    if (!open.length) continue;
    if (locks.length) return driftAt(src, open[0]!.startIndex, `every use of ${pointer} in ${functionName(f)} after a lock of ${mutex}`);
    if (!opensLine(src, body)) return driftAt(src, body.startIndex, `${functionName(f)} with its statements on their own lines`);
    const first = refs[0]!;
    const lockedMutex = registryRefs(src, body, registry, names.registryPointer).some((ref) => ref.id === first.id) ? `${registry}<>::${names.registryMutex}` : qualifier(src, first) + mutex;
    edits.push(insertAtTop(src, body, 'guarded-global/lock.cpp', { lock: freeName(body, ['lock', 'guard', 'global_lock']), mutex: lockedMutex }));
    locked++;
  }
  if (locked) notes.push(`${locked} function(s) of ${src.path} used ${pointer} without holding ${mutex}`);
  return { setter };
}

/** The pointer and its mutex become references to the registry's members (uses keep their names). */
function aliasDeclarations(src: SourceFile, names: Names, declared: InterfaceDeclarations, edits: Edit[], notes: string[]): Drift | undefined {
  const { className, pointer, mutex, registry } = names;
  const { pointer: pointerDecl, mutex: mutexDecl } = declared;
  const toAlias = [pointerDecl, mutexDecl].filter((d): d is ScopeDeclaration => !!d && d.kind !== 'raw-alias' && d.kind !== 'mutex-alias');
  if (!toAlias.length) return undefined;
  for (const d of toAlias) if (!ownLines(src, d.node)) return driftAt(src, d.node.startIndex, `${d.name} declared on a line of its own`);
  const aliasOf = (d: ScopeDeclaration | 'mutex') =>
    (d === 'mutex' || d.kind === 'mutex' ? `std::mutex& ${mutex} = ${registry}<>::${names.registryMutex};` : `${className}*& ${pointer} = ${registry}<>::${names.registryPointer};`);
  const first = [pointerDecl, mutexDecl].filter((d): d is ScopeDeclaration => !!d).sort((a, b) => a.node.startIndex - b.node.startIndex)[0]!;
  const comment = renderAt(src, first.node.startIndex, 'guarded-global/aliases.cpp', { registry, header: declared.header }) + src.style.eol;
  for (const d of toAlias) {
    const lead = d === first ? comment : '';
    const addedMutex = d === pointerDecl && !mutexDecl ? indentAt(src.text, d.node.startIndex) + aliasOf('mutex') + src.style.eol : '';
    const line = ownLines(src, d.node)!;
    const trailing = src.text.slice(d.node.endIndex, line.end);
    edits.push({ file: src.path, start: line.start, end: line.end, text: lead + addedMutex + indentAt(src.text, d.node.startIndex) + aliasOf(d) + trailing });
  }
  if (pointerDecl?.kind === 'shared') {
    notes.push(`${pointer} was a std::shared_ptr<${className}>; it names ${registry}<>::${names.registryPointer}, a raw pointer cleared by ${className}'s destructor`);
    let above = (mutexDecl && mutexDecl.node.startIndex < pointerDecl.node.startIndex ? mutexDecl : pointerDecl).node.previousNamedSibling;
    while (above?.type === 'comment' && !/shar/i.test(textOf(src, above))) above = above.previousNamedSibling;
    if (above?.type === 'comment') notes.push(`${src.path}:${loc(src, above.startIndex).line}: the comment there still speaks of shared ownership`);
  }
  return undefined;
}

/**
 * The uses of a shared_ptr pointer in a body, which becomes a raw pointer: `.reset()` and `.get()`
 * are rewritten; a use a raw pointer does not support is a drift.
 */
function rawPointerUses(src: SourceFile, body: SyntaxNode, pointer: string, setterAssignments: Set<number>, edits: Edit[]): Drift | undefined {
  const expected = `uses of ${pointer} that a raw pointer supports (->, comparisons, tests, .reset(), .get())`;
  for (const ref of refsTo(body, pointer)) {
    const expression = refExpression(ref);
    const parent = expression.parent!;
    if (parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === expression.id) {
      const operator = parent.child(1)?.text;
      const field = parent.childForFieldName('field')?.text;
      const call = parent.parent?.type === 'call_expression' ? parent.parent : null;
      const noArgs = call && call.childForFieldName('arguments')?.namedChildren.length === 0;
      if (operator === '->') continue;
      if (operator === '.' && noArgs && field === 'reset') { edits.push({ file: src.path, start: call!.startIndex, end: call!.endIndex, text: `${textOf(src, expression)} = nullptr` }); continue; }
      if (operator === '.' && noArgs && field === 'get') { edits.push({ file: src.path, start: call!.startIndex, end: call!.endIndex, text: textOf(src, expression) }); continue; }
      return driftAt(src, parent.startIndex, expected);
    }
    if (parent.type === 'binary_expression' || parent.type === 'condition_clause' || parent.type === 'parenthesized_expression') continue;
    if (parent.type === 'unary_expression' && parent.child(0)?.text === '!') continue;
    if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === expression.id) {
      if (setterAssignments.has(parent.id) || textOf(src, parent.childForFieldName('right')!).trim() === 'nullptr') continue;
    }
    return driftAt(src, ref.startIndex, expected);
  }
  return undefined;
}
