/**
 * copy-on-read, undone in one place (on the fixed tree): the holder is handed the span into piece
 * storage again instead of the copy; async_read reads and copies without the lock; the
 * completion owns the buffer only once it runs.
 */
import { headerClass, locals, matchAll, methodDefinitions, ofType, textOf, type Context, type Mutant, type SyntaxNode } from '../../src/sdk.ts';

const squash = (s: string) => s.replace(/\s+/g, '');

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return [];
  const found = methodDefinitions(cls.body).find((m) => m.name.text === 'async_read');
  if (!found) return [];
  const body = found.body;
  const lambda = matchAll(ctx.query('posted-lambda'), body)[0]?.lambda;
  if (!lambda) return [];
  const outside = (n: SyntaxNode) => !(n.startIndex >= lambda.startIndex && n.endIndex <= lambda.endIndex);
  const out: Mutant[] = [];

  // the copy: memcpy(dst, span.data(), n), then disk_buffer_holder(*this, dst, n)
  const memcpy = ofType(body, 'call_expression').find((c) => outside(c) && /(^|::)memcpy$/.test(textOf(src, c.childForFieldName('function')!)));
  const holder = ofType(body, 'call_expression').find((c) => outside(c) && /(^|::)disk_buffer_holder$/.test(textOf(src, c.childForFieldName('function')!)));
  const [dst, from] = memcpy?.childForFieldName('arguments')?.namedChildren ?? [];
  const held = holder?.childForFieldName('arguments')?.namedChildren[1];
  if (dst && from && held && squash(textOf(src, held)) === squash(textOf(src, dst))) {
    out.push({
      id: 'span-handed-over',
      description: 'the completion gets a pointer into piece storage again, not the copy',
      edits: [{ file: src.path, start: held.startIndex, end: held.endIndex, text: `const_cast<char*>(${textOf(src, from)})` }],
    });
  }

  // the allocation failure caught and reported through the handler: let it throw again
  const guard = ofType(body, 'try_statement').find((t) => outside(t));
  const tryBody = guard?.childForFieldName('body');
  if (guard && tryBody) {
    const inner = tryBody.namedChildren.filter((c) => c.type !== 'comment');
    out.push({
      id: 'alloc-failure-throws',
      description: 'a failed allocation of the copy throws out of async_read instead of reaching the handler as not_enough_memory',
      edits: [{ file: src.path, start: guard.startIndex, end: guard.endIndex, text: inner.map((c) => textOf(src, c)).join(' ') }],
    });
  }

  // the lock the copy is made under
  const lock = ofType(body, 'declaration').find((d) => outside(d) && /\b(lock_guard|unique_lock|scoped_lock)\b/.test(textOf(src, d.childForFieldName('type') ?? d)));
  if (lock) {
    out.push({
      id: 'copy-outside-lock',
      description: 'async_read reads piece storage and copies it without holding the lock',
      edits: [{ file: src.path, start: lock.startIndex, end: lock.endIndex, text: '/* memfix mutant: no lock */' }],
    });
  }

  // the completion's capture of the holder, by move: own it only once the completion runs
  const vars = locals(src, body);
  const cap = (lambda.childForFieldName('captures')?.namedChildren ?? []).find((c) => {
    if (c.type !== 'lambda_capture_initializer') return false;
    const m = /^std::move\((\w+)\)$/.exec(squash(textOf(src, c.childForFieldName('right') ?? c)));
    return !!m && /disk_buffer_holder/.test(vars.get(m[1]!)?.type ?? '');
  });
  const lbody = lambda.childForFieldName('body');
  if (cap && lbody) {
    const name = textOf(src, cap.childForFieldName('left')!);
    const right = textOf(src, cap.childForFieldName('right')!);
    const owner = `${name}_not_owned`;
    out.push({
      id: 'completion-owns-late',
      description: 'the completion takes the buffer over only when it runs: one destroyed unrun leaks it',
      edits: [
        { file: src.path, start: cap.startIndex, end: cap.endIndex, text: `${owner} = new disk_buffer_holder(${right})` },
        { file: src.path, start: lbody.startIndex + 1, end: lbody.startIndex + 1, text: ` disk_buffer_holder ${name} = std::move(*std::unique_ptr<disk_buffer_holder>(${owner}));` },
      ],
    });
  }
  return out;
}
