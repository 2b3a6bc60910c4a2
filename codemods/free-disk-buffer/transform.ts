/**
 * free-disk-buffer: a recording allocator and a free_disk_buffer that frees only what it recorded.
 * Unsafe shapes: an empty free_disk_buffer (analysed code) or one that delete[]s its argument
 * unconditionally (later upstream). Safe shape: free_disk_buffer looks its argument up in a
 * member container (erase/find/count) before anything is released.
 */
import { dataMembers, drift, ensureIncludes, headerClass, insertLinesAfter, loc, matchAll, memberCalls, ofType, parameters, renderAt, renderBlock, statements, textOf, type Context, type Edit, type Result } from '../../src/sdk.ts';

export const ALLOC = 'allocate_read_buffer';
const BUFFERS = 'm_read_buffers';
const MUTEX = 'm_read_buffers_mutex';

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const found = matchAll(ctx.query('method'), cls.body).find((m) => m.method!.parent!.id === cls.body.id && m.name!.text === 'free_disk_buffer');
  if (!found) return drift(src, cls.classNode.startIndex, `a free_disk_buffer(char*) defined in ${cls.name}`);
  const { method, body } = found as Required<typeof found>;
  const params = parameters(method, (n) => textOf(src, n));
  if (params.length !== 1 || !/\bchar\s*\*/.test(textOf(src, params[0]!.node)))
    return drift(src, method.startIndex, 'free_disk_buffer taking one char*');
  const param = params[0]!;

  // safe already: the argument is looked up in a container before anything is freed
  if (param.name && memberCalls(body, ['erase', 'find', 'count', 'contains']).some((c) => c.args.some((a) => a.text === param.name)))
    return { status: 'applied', at: [loc(src, method.startIndex)] };

  const stmts = statements(body);
  const emptyBody = stmts.length === 0;
  const deletesAll = stmts.length === 1 && ofType(stmts[0]!, 'delete_expression').some((d) => d.namedChildren.at(-1)?.text === param.name);
  if (!emptyBody && !deletesAll)
    return drift(src, body.startIndex, 'free_disk_buffer with an empty body, or one that only delete[]s its argument');

  const taken = new Set(dataMembers(cls.body).flatMap((d) => ofType(d, 'field_identifier').map((n) => n.text)));
  if (taken.has(BUFFERS) || taken.has(MUTEX)) return drift(src, cls.classNode.startIndex, `no existing members named ${BUFFERS} or ${MUTEX}`);
  const vars = { buf: param.name ?? 'buf', alloc: ALLOC, buffers: BUFFERS, mutex: MUTEX };
  const edits: Edit[] = [...ensureIncludes(src, ['memory', 'mutex', 'unordered_map'])];
  if (!param.name) edits.push({ file: src.path, start: param.node.endIndex, end: param.node.endIndex, text: ' buf' });
  edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'free-disk-buffer/free_disk_buffer.cpp', vars) });
  edits.push(insertLinesAfter(src, method.endIndex, renderAt(src, method.startIndex, 'free-disk-buffer/allocate.cpp', vars)));
  const lastMember = dataMembers(cls.body).at(-1);
  const memberLines = lastMember
    ? insertLinesAfter(src, lastMember.endIndex, renderAt(src, lastMember.startIndex, 'free-disk-buffer/members.cpp', vars))
    : insertLinesAfter(src, method.endIndex, renderAt(src, method.startIndex, 'free-disk-buffer/members.cpp', vars));
  edits.push(memberLines);
  return { status: 'apply', edits, at: [loc(src, method.startIndex)], notes: [] };
}
