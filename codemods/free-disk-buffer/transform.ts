/**
 * free-disk-buffer: a recording allocator and a free_disk_buffer that frees only what it recorded;
 * freed block-sized buffers wait in a small pool for the next reads.
 * Unsafe shapes: an empty free_disk_buffer (analysed code) or one that delete[]s its argument
 * unconditionally (later upstream). Safe shape: free_disk_buffer looks its argument up in a
 * member container (erase/find/count) before anything is released.
 */
import { dataMembers, drift, ensureIncludes, headerClass, insertLinesAfter, loc, memberCalls, methodDefinitions, ofType, parameters, renderAt, renderBlock, statements, textOf, type Context, type Edit, type Result } from '../../src/sdk.ts';

export const ALLOC = 'allocate_read_buffer';
const BUFFERS = 'm_read_buffers';
const MUTEX = 'm_read_buffers_mutex';
const POOL = 'm_read_buffer_pool';
const POOLED = 'm_read_buffers_pooled';
const RECYCLE = 'recycle_read_buffer';
/** freed block-sized buffers the pool keeps (32 × 16 KiB: 512 KiB at most per disk I/O) */
const POOL_MAX = '32';

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const found = methodDefinitions(cls.body).find((m) => m.name.text === 'free_disk_buffer');
  if (!found) return drift(src, cls.classNode.startIndex, `a free_disk_buffer(char*) defined in ${cls.name}`);
  const { method, body } = found;
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
  const ours = [BUFFERS, MUTEX, POOL, POOLED];
  if (ours.some((n) => taken.has(n))) return drift(src, cls.classNode.startIndex, `no existing members named ${ours.join(', ')}`);
  const vars = { buf: param.name ?? 'buf', alloc: ALLOC, buffers: BUFFERS, mutex: MUTEX, pool: POOL, pooled: POOLED, pool_max: POOL_MAX, recycle: RECYCLE };
  const edits: Edit[] = [...ensureIncludes(src, ['array', 'memory', 'mutex', 'unordered_map', 'vector'])];
  if (!param.name) edits.push({ file: src.path, start: param.node.endIndex, end: param.node.endIndex, text: ' buf' });
  edits.push({ file: src.path, start: body.startIndex, end: body.endIndex, text: renderBlock(src, body, 'free-disk-buffer/free_disk_buffer.cpp', vars) });
  // the members and the allocator go together after the class's last data member, with no blank
  // line between them (apart from free_disk_buffer, and with no line that could pair with a
  // line of the code around: the patch then reads the same in git's diff and ours)
  const lastMember = dataMembers(cls.body).at(-1);
  const anchor = lastMember ?? method;
  edits.push(insertLinesAfter(src, anchor.endIndex,
    renderAt(src, anchor.startIndex, 'free-disk-buffer/members.cpp', vars) + src.style.eol + renderAt(src, anchor.startIndex, 'free-disk-buffer/allocate.cpp', vars).replace(/^\r?\n/, '')));
  return { status: 'apply', edits, at: [loc(src, method.startIndex)], notes: [] };
}
