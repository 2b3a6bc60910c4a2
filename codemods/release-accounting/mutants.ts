/**
 * release-accounting's mutants: on a tree with every fix applied, each undoes the fix in one
 * place; release-keeps-data, release-then-write or delete-then-write must then fail. With the
 * trim loop's guard in place a stale accounting no longer hangs: the storage then holds fewer
 * pieces than before the delete, which the scenarios count; a release that drops the pieces
 * loses data that must read back. There is no mutant that only removes the trim loop's
 * guard: with the accounting right no LRU entry is ever stale, so no scenario can tell (the
 * guard is what turns the mutants below from a hang into a wrong count).
 */
import { indentAt, lineStart, matchAll, ofType, type Context, type Edit, type Mutant, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { Drift, RELEASE, classMethods, dropsWithAccounting, findStorage, mapCalls, type Method } from './shape.ts';

const DELETE = 'async_delete_files';

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

  const methods = classMethods(io.body);
  const del = methods.find((x) => x.name === DELETE);
  const release = methods.find((x) => x.name === RELEASE);

  // async_delete_files drops the pieces past the storage's accounting again
  if (del) {
    const calls = matchAll(ctx.query('member-call'), del.body).filter((c) => c.fn!.text === drop.name);
    if (calls.length)
      out.push({ id: 'delete-clears-directly', description: `${DELETE} clears ${s.data} directly, past ${drop.name}()`, edits: calls.map((c) => ({ file: src.path, start: c.fn!.startIndex, end: c.args!.endIndex, text: `${s.data}.clear()` })) });
  }

  // async_release_files drops the pieces again (with their accounting: only the data is lost),
  // doing what async_delete_files does: its statement that drops them, with release's slot name
  const slotOf = (m: Method) => ofType(m.node.childForFieldName('declarator') ?? m.node, 'parameter_declaration')[0]?.childForFieldName('declarator');
  const relSlot = release && slotOf(release);
  const delSlot = del && slotOf(del);
  if (release && del && relSlot?.type === 'identifier' && delSlot?.type === 'identifier') {
    const call = matchAll(ctx.query('member-call'), del.body).find((c) => c.fn!.text === drop.name);
    let stmt = call?.call ?? null;
    while (stmt && stmt.parent && stmt.parent.id !== del.body.id) stmt = stmt.parent;
    const first = release.body.namedChildren[0];
    if (stmt && first) {
      const renames = ofType(stmt, 'identifier').filter((n) => n.text === delSlot.text);
      let text = '';
      let pos = stmt.startIndex;
      for (const n of renames) { text += src.text.slice(pos, n.startIndex) + relSlot.text; pos = n.endIndex; }
      text += src.text.slice(pos, stmt.endIndex);
      const at = lineStart(src.text, first.startIndex);
      out.push({ id: 'release-drops-pieces', description: `${RELEASE} drops every piece again (as ${DELETE} does)`, edits: [{ file: src.path, start: at, end: at, text: indentAt(src.text, first.startIndex) + text + src.style.eol }] });
    }
  }
  return out;
}
