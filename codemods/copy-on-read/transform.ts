/**
 * copy-on-read: async_read copies under the lock into a recorded buffer; the completion owns it.
 * Unsafe shapes: the posted completion captures a span into storage (analysed code) or a raw
 * char* from new[] (later upstream). Safe shape: the completion is `mutable`, captures a
 * disk_buffer_holder local by move, and no const_cast or span local crosses into it.
 */
import { drift, ensureIncludes, functionName, headerClass, indentAt, loc, locals, matchAll, memberCalls, methodDefinitions, methods, ofType, parameters, renderBlock, textOf, type Context, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

/** The class's recording allocator: a method returning char* whose body records into a container. */
function findAllocator(src: SourceFile, classBody: SyntaxNode): string | null {
  for (const m of methods(classBody)) {
    const ret = textOf(src, m.childForFieldName('type') ?? m);
    const decl = textOf(src, m.childForFieldName('declarator') ?? m);
    if (!/\bchar\b/.test(ret) || !decl.trimStart().startsWith('*')) continue;
    if (memberCalls(m.childForFieldName('body') ?? m, ['emplace', 'insert', 'try_emplace']).length) return functionName(m);
  }
  return null;
}

const captureNames = (lambda: SyntaxNode) =>
  (lambda.childForFieldName('captures')?.namedChildren ?? []).map((c) =>
    c.type === 'lambda_capture_initializer' ? { name: c.childForFieldName('left')?.text ?? '', init: c.childForFieldName('right') } : { name: c.text, init: null },
  );

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const found = methodDefinitions(cls.body).find((m) => m.name.text === 'async_read');
  if (!found) return drift(src, cls.classNode.startIndex, `an async_read(...) defined in ${cls.name}`);
  const method = found.method;
  const body = found.body;
  const posts = matchAll(ctx.query('posted-lambda'), body);
  if (posts.length !== 1) return drift(src, body.startIndex, 'async_read posting exactly one completion lambda (post(ioc, [..]{..}))');
  const post = posts[0]!;
  const lambda = post.lambda!;
  const vars = locals(src, body);
  const caps = captureNames(lambda);
  const mutableLambda = ofType(lambda.childForFieldName('declarator') ?? lambda, 'type_qualifier').some((q) => q.text === 'mutable');
  const hasConstCast = ofType(body, 'identifier', 'template_function').some((n) => n.text.startsWith('const_cast'));
  const ownsHolder = caps.some((c) => c.init && /\bmove\b/.test(c.init.text) && /disk_buffer_holder/.test(vars.get(c.init.namedChildren.at(-1)?.text.replace(/[()]/g, '') ?? '')?.type ?? ''));
  if (mutableLambda && ownsHolder && !hasConstCast) return { status: 'applied', at: [loc(src, method.startIndex)] };

  // the unsafe shapes: a span or a raw char* local captured by the completion
  const captured = caps.filter((c) => !c.init).map((c) => ({ name: c.name, type: vars.get(c.name)?.type ?? '' }));
  const spanCap = captured.find((c) => /\bspan\s*</.test(c.type));
  const rawCap = captured.find((c) => /\bchar\b.*\*$/.test(c.type.replace(/\s+/g, '')));
  if (!spanCap && !rawCap)
    return drift(src, lambda.startIndex, 'a completion capturing a span<char const> into storage, or a raw char* buffer, or (fixed) a disk_buffer_holder moved into a mutable lambda');

  // names from the matched code
  const params = parameters(method, (n) => textOf(src, n));
  const handler = params.find((p) => /disk_buffer_holder/.test(p.type))?.name;
  const errorLocal = [...vars].find(([, v]) => /\bstorage_error\b/.test(v.type))?.[0];
  const lockDecl = ofType(body, 'declaration').find((d) => /\b(lock_guard|unique_lock|scoped_lock)\b/.test(textOf(src, d.childForFieldName('type') ?? d)));
  const ifStmt = lockDecl?.parent ? lockDecl.parent.namedChildren.find((c) => c.type === 'if_statement' && c.startIndex > lockDecl.startIndex) : undefined;
  const readCall = ifStmt ? ofType(ifStmt.childForFieldName('consequence') ?? ifStmt, 'call_expression').find((c) => {
    const parent = c.parent!;
    const target = parent.type === 'assignment_expression' ? parent.childForFieldName('left')?.text : parent.type === 'init_declarator' ? parent.childForFieldName('declarator')?.text : undefined;
    return target !== undefined && /\bspan\s*</.test(vars.get(target)?.type ?? '');
  }) : undefined;
  const spanVar = readCall ? (readCall.parent!.childForFieldName('left') ?? readCall.parent!.childForFieldName('declarator'))!.text : undefined;
  const missingName = !handler ? 'a std::function parameter taking disk_buffer_holder' : !errorLocal ? 'a storage_error local' : !lockDecl ? 'a lock_guard/unique_lock/scoped_lock on the storage mutex' : !ifStmt ? 'an if statement checking the storage slot after the lock' : !readCall || !spanVar ? 'a read call whose span result is stored in a local' : null;
  if (missingName) return drift(src, (lockDecl ?? body).startIndex, `async_read with ${missingName}`);
  const alloc = findAllocator(src, cls.body);
  if (!alloc) return drift(src, cls.classNode.startIndex, `${cls.name} with a recording allocator (a char* method that records its buffers), as free-disk-buffer adds`);

  const condition = ifStmt!.childForFieldName('condition')!;
  const condInner = condition.namedChildren.find((c) => c.type !== 'comment');
  const alt = ifStmt!.childForFieldName('alternative');
  let elseText = '';
  if (alt) {
    // keep the else branch as written, at the if's own depth
    const altBody = alt.type === 'else_clause' ? alt.namedChildren.at(-1)! : alt;
    elseText = src.style.eol + indentAt(src.text, ifStmt!.startIndex) + 'else' + src.style.eol + indentAt(src.text, altBody.startIndex) + textOf(src, altBody);
    if (indentAt(src.text, altBody.startIndex).length <= indentAt(src.text, ifStmt!.startIndex).length && altBody.type !== 'compound_statement')
      elseText = src.style.eol + indentAt(src.text, ifStmt!.startIndex) + 'else' + src.style.eol + indentAt(src.text, ifStmt!.startIndex) + src.style.indentUnit + textOf(src, altBody);
  }
  const text = renderBlock(src, body, 'copy-on-read/async_read_body.cpp', {
    error: errorLocal!,
    buffer: vars.has('buffer') ? 'read_buffer' : 'buffer',
    lock: textOf(src, lockDecl!),
    condition: condInner ? textOf(src, condInner) : textOf(src, condition).replace(/^\(|\)$/g, ''),
    data: spanVar!,
    read: textOf(src, readCall!),
    alloc,
    else: elseText,
    post: textOf(src, post.callee!),
    executor: textOf(src, post.executor!),
    handler: handler!,
  });
  // the body is rebuilt from the template: say which of its comments do not survive
  const lost = ofType(body, 'comment').filter((c) => !text.includes(textOf(src, c))).map((c) => loc(src, c.startIndex).line);
  const notes = [
    ...(rawCap ? ['replaces a raw new[] copy whose buffer leaked when the completion was dropped'] : []),
    ...(lost.length ? [`async_read is rebuilt; comments at ${src.path}:${lost.join(', ')} are not carried over`] : []),
  ];
  return {
    status: 'apply',
    edits: [...ensureIncludes(src, ['cstring', 'new']), { file: src.path, start: body.startIndex, end: body.endIndex, text }],
    at: [loc(src, method.startIndex)],
    notes,
  };
}
