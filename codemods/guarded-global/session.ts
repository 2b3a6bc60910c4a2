/**
 * guarded-global in session.i: the disk_io_constructor lambda makes a std::unique_ptr, returns
 * it, and publishes (if it still does) only its raw pointer, through the setter or under the
 * mutex; nothing else in the file touches the pointer without the mutex.
 */
import { declaredName, findConstructorLambdas, loc, matchAll, ofType, renderBlock, textOf, type Context, type Edit, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { freeName, ownNodes } from './layout.ts';
import { driftAt, isGuarded, lastName, mutexLocks, pointerRefs, squash, type Drift, type Names } from './shape.ts';

const SHARED_AGAIN = `the disk_io_constructor lambda makes a std::unique_ptr again, as libtorrent's disk_io_constructor requires`;

/**
 * Adds session.i's edits and notes; returns where the disk_io_constructor lambda is (undefined
 * when the file has none), or a drift.
 */
export function sessionEdits(
  ctx: Context, src: SourceFile, names: Names, setter: string | undefined, edits: Edit[], notes: string[],
): { lambdaAt: number | undefined } | Drift {
  const { className, pointer, mutex } = names;
  const lambdas = findConstructorLambdas(src, [className]);
  if (lambdas.length > 1) return driftAt(src, lambdas[1]!.startIndex, `one disk_io_constructor lambda creating ${className}`);
  const lambda = lambdas[0];
  // nothing else in the file touches the pointer without the mutex
  for (const f of ofType(src.root, 'function_definition')) {
    const functionBody = f.childForFieldName('body');
    if (!functionBody) continue;
    const locks = mutexLocks(ctx, src, functionBody, names);
    const inLambda = (ref: SyntaxNode) => !!lambda && ref.startIndex >= lambda.startIndex && ref.endIndex <= lambda.endIndex;
    const open = pointerRefs(src, functionBody, names).find((ref) => !inLambda(ref) && !isGuarded(ref, locks, functionBody));
    if (open) return driftAt(src, open.startIndex, `${pointer} used only in the disk_io_constructor lambda, or under a lock of ${mutex}`);
  }
  if (!lambda) return { lambdaAt: undefined };
  const found = { lambdaAt: lambda.startIndex };
  const body = lambda.childForFieldName('body')!;

  // the local that owns the new object
  const makers = matchAll(ctx.query('factory'), body).filter((m) => lastName(textOf(src, m.targs!).slice(1, -1)) === className);
  const news = ownNodes(body, 'new_expression').filter((x) => lastName(textOf(src, x.childForFieldName('type') ?? x)) === className);
  const creation = makers[0]?.call ?? news[0];
  if (makers.length + news.length !== 1 || !creation)
    return driftAt(src, lambda.startIndex, `one std::make_unique<${className}> (or, to fix, std::make_shared<${className}>) in the disk_io_constructor lambda`);
  const maker = makers[0]?.maker;
  // returned as it is made: nothing else can see it
  if (creation.parent?.type === 'return_statement' && creation.parent.parent?.id === body.id && maker) {
    if (maker.text === 'make_shared') {
      edits.push({ file: src.path, start: maker.startIndex, end: maker.endIndex, text: 'make_unique' });
      notes.push(SHARED_AGAIN);
    }
    return found;
  }
  let declaration: SyntaxNode | null = creation.parent;
  while (declaration && declaration.type !== 'declaration' && declaration.id !== body.id) declaration = declaration.parent;
  if (!declaration || declaration.type !== 'declaration' || declaration.parent?.id !== body.id) return driftAt(src, creation.startIndex, `the new ${className} held in a local of the lambda`);
  const ownerNode = declaredName(declaration.childrenForFieldName('declarator')[0] ?? null);
  if (!ownerNode) return driftAt(src, declaration.startIndex, `the new ${className} held in a local of the lambda`);
  const owner = textOf(src, ownerNode);
  const declaredType = declaration.childForFieldName('type')!;
  const typeText = squash(textOf(src, declaredType));
  const makerName = maker?.text;
  let ownership: 'unique' | 'shared';
  if (makerName === 'make_shared' && (typeText === 'auto' || /shared_ptr</.test(typeText))) ownership = 'shared';
  else if (makerName === 'make_unique' && (typeText === 'auto' || /unique_ptr</.test(typeText))) ownership = 'unique';
  else if (!makerName && /unique_ptr</.test(typeText)) ownership = 'unique';
  else if (!makerName && /shared_ptr</.test(typeText)) ownership = 'shared';
  else return driftAt(src, declaration.startIndex, `\`auto ${owner} = std::make_unique<${className}>(...)\` (or std::make_shared, or a std::unique_ptr<${className}> from new)`);
  if (ownership === 'shared') {
    if (maker) edits.push({ file: src.path, start: maker.startIndex, end: maker.endIndex, text: 'make_unique' });
    for (const shared of ofType(declaredType, 'type_identifier').filter((x) => x.text === 'shared_ptr'))
      edits.push({ file: src.path, start: shared.startIndex, end: shared.endIndex, text: 'unique_ptr' });
    const before = declaration.previousNamedSibling;
    if (before?.type === 'comment' && /shar/i.test(textOf(src, before)))
      notes.push(`${src.path}:${loc(src, before.startIndex).line}: the comment above ${owner} still speaks of shared ownership`);
    notes.push(SHARED_AGAIN);
  }

  // it returns that local
  for (const statement of ownNodes(body, 'return_statement')) {
    const value = squash(textOf(src, statement).replace(/^return/, '').replace(/;$/, ''));
    if (value !== owner && value !== `std::move(${owner})`) return driftAt(src, statement.startIndex, `the lambda returning ${owner}`);
  }

  // it may still publish the raw pointer (the object registers itself anyway): through the
  // setter, or assigning the pointer under the mutex
  const isSetterCall = (call: SyntaxNode) => !!setter && lastName(textOf(src, call.childForFieldName('function')!)) === setter;
  const calls = ownNodes(body, 'call_expression').filter(isSetterCall);
  const assignments = ownNodes(body, 'assignment_expression').filter((a) => pointerRefs(src, a.childForFieldName('left')!, names).length > 0);
  const expected = `at most one publication of ${owner}: ${setter ? `${setter}(${owner}.get()) or ` : ''}\`${pointer} = ${owner}.get();\` under a lock of ${mutex}`;
  if (calls.length + assignments.length > 1) return driftAt(src, lambda.startIndex, expected);
  const raw = `${owner}.get()`;
  if (calls.length) {
    const args = calls[0]!.childForFieldName('arguments')!.namedChildren;
    const arg = squash(textOf(src, args[0] ?? calls[0]!));
    if (args.length !== 1 || (arg !== raw && arg !== owner)) return driftAt(src, calls[0]!.startIndex, expected);
    if (arg === owner) edits.push({ file: src.path, start: args[0]!.endIndex, end: args[0]!.endIndex, text: '.get()' });
    return found;
  }
  if (!assignments.length) return found;
  const assignment = assignments[0]!;
  const left = assignment.childForFieldName('left')!;
  const right = assignment.childForFieldName('right')!;
  const value = squash(textOf(src, right));
  if (assignment.childForFieldName('operator')?.text !== '=' || (value !== raw && value !== owner)) return driftAt(src, assignment.startIndex, expected);
  const nameNode = left.type === 'identifier' ? left : left.childForFieldName('name')!;
  const prefix = textOf(src, left).slice(0, nameNode.startIndex - left.startIndex);
  if (isGuarded(assignment, mutexLocks(ctx, src, body, names), body)) {
    if (value === owner) edits.push({ file: src.path, start: right.endIndex, end: right.endIndex, text: '.get()' });
    return found;
  }
  const statement = assignment.parent!;
  if (statement.type !== 'expression_statement' || statement.parent?.type !== 'compound_statement') return driftAt(src, assignment.startIndex, expected);
  if (setter) {
    edits.push({ file: src.path, start: statement.startIndex, end: statement.endIndex, text: `${prefix}${setter}(${raw});` });
    notes.push(`the lambda publishes ${owner} through ${setter}(), under ${mutex}`);
  } else {
    const vars = { lock: freeName(lambda, ['lock', 'guard', 'global_lock']), mutex: prefix + mutex, target: textOf(src, left), value: raw };
    edits.push({ file: src.path, start: statement.startIndex, end: statement.endIndex, text: renderBlock(src, statement, 'guarded-global/publish.cpp', vars) });
    notes.push(`the lambda assigned ${pointer} without a lock`);
  }
  return found;
}
