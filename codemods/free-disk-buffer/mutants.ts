/**
 * free-disk-buffer, undone in one place (on the fixed tree): free_disk_buffer releases nothing;
 * it delete[]s whatever it is given; the allocator hands out a buffer it never recorded.
 */
import { functionName, headerClass, memberCalls, methodDefinitions, methods, parameters, statements, textOf, type Context, type Mutant } from '../../src/sdk.ts';

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return [];
  const out: Mutant[] = [];
  const found = methodDefinitions(cls.body).find((m) => m.name.text === 'free_disk_buffer');
  if (found) {
    const body = found.body;
    const param = parameters(found.method, (n) => textOf(src, n))[0]?.name;
    // the statement that looks the pointer up and releases it
    // (or, with a pool, the statement that hands a recorded pointer to the method that releases it)
    const release = statements(body).find((s) => memberCalls(s, ['erase']).some((c) => c.args.some((a) => a.text === param)))
      ?? statements(body).find((s) => memberCalls(s, ['count', 'find', 'contains']).some((c) => c.args.some((a) => a.text === param)));
    if (release) {
      out.push({
        id: 'free-releases-nothing',
        description: 'free_disk_buffer keeps every buffer recorded (nothing is released until the disk I/O dies)',
        edits: [{ file: src.path, start: release.startIndex, end: release.endIndex, text: '/* memfix mutant: nothing released */' }],
      });
    }
    if (param) {
      out.push({
        id: 'free-deletes-any-pointer',
        description: 'free_disk_buffer delete[]s whatever it is given, recorded or not',
        edits: [{ file: src.path, start: body.startIndex, end: body.endIndex, text: `{ delete[] ${param}; }` }],
      });
    }
  }
  // the allocator: a char* method that records its buffer (emplace/insert of std::move(owner))
  for (const m of methods(cls.body)) {
    const record = memberCalls(m.childForFieldName('body') ?? m, ['emplace', 'insert', 'try_emplace']).find((c) =>
      c.args.some((a) => /^std::move\(\w+\)$/.test(textOf(src, a).replace(/\s+/g, ''))));
    if (!record || !/\bchar\b/.test(textOf(src, m.childForFieldName('type') ?? m))) continue;
    const owner = /^std::move\((\w+)\)$/.exec(record.args.map((a) => textOf(src, a).replace(/\s+/g, '')).find((a) => a.startsWith('std::move('))!)![1]!;
    out.push({
      id: 'allocation-not-recorded',
      description: `${functionName(m)} hands out a buffer it does not record (free_disk_buffer then ignores it: a leak)`,
      // the owner (a unique_ptr or a vector) is moved into a heap object nothing frees
      edits: [{ file: src.path, start: record.call.startIndex, end: record.call.endIndex, text: `(void)new auto(std::move(${owner}))` }],
    });
    break;
  }
  return out;
}
