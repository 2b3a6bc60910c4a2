/**
 * release-accounting's mutants: on a tree with every fix applied, each undoes the fix in one
 * place; release-then-write or delete-then-write must then fail. With the trim loop's guard in
 * place a stale accounting no longer hangs: the storage then holds fewer pieces than before the
 * release, which the scenarios count. There is no mutant that only removes the trim loop's
 * guard: with the accounting right no LRU entry is ever stale, so no scenario can tell (the
 * guard is what turns the mutants below from a hang into a wrong count).
 */
import { lineStart, matchAll, type Context, type Edit, type Mutant, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { Drift, classMethods, dropsWithAccounting, findStorage, mapCalls } from './shape.ts';

/** Remove a statement with its whole line (the statement alone on it). */
function removeLine(src: SourceFile, stmt: SyntaxNode): Edit {
  const start = lineStart(src.text, stmt.startIndex);
  const nl = src.text.indexOf('\n', stmt.endIndex);
  return { file: src.path, start, end: nl < 0 ? src.text.length : nl + 1, text: '' };
}

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header;
  if (!src) return [];
  const found = findStorage(ctx, src);
  if (!found || found instanceof Drift) return [];
  const { io, storage: s } = found;
  const drop = s.methods.find((m) => dropsWithAccounting(ctx, s, m));
  if (!drop) return [];
  const out: Mutant[] = [];

  // the drop method clears the pieces only: the count and the LRU stay as they were
  const accounting = [
    ...mapCalls(ctx, drop.body, 'clear').filter((c) => c.map === s.lru).map((c) => c.call.parent!),
    ...drop.body.namedChildren.filter((st) => st.type === 'expression_statement' && st.namedChildren[0]?.type === 'assignment_expression' && st.namedChildren[0].childForFieldName('left')?.text === s.counter),
  ].filter((st) => st.type === 'expression_statement');
  if (accounting.length === 2)
    out.push({ id: 'drop-keeps-accounting', description: `${s.name}::${drop.name}() clears ${s.data} but leaves ${s.lru} and ${s.counter}`, edits: accounting.map((st) => removeLine(src, st)) });

  // a disk I/O path drops the pieces past the storage's accounting again
  for (const [op, id] of [['async_release_files', 'release-clears-directly'], ['async_delete_files', 'delete-clears-directly']] as const) {
    const m = classMethods(ctx, io.body).find((x) => x.name === op);
    if (!m) continue;
    const calls = matchAll(ctx.query('member-call'), m.body).filter((c) => c.fn!.text === drop.name);
    if (calls.length)
      out.push({ id, description: `${op} clears ${s.data} directly, past ${drop.name}()`, edits: calls.map((c) => ({ file: src.path, start: c.fn!.startIndex, end: c.args!.endIndex, text: `${s.data}.clear()` })) });
  }
  return out;
}
