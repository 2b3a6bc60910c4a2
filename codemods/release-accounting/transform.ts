/**
 * release-accounting: dropping piece data keeps the storage's accounting right, and the LRU trim
 * cannot spin on a piece that is gone.
 *
 * The storage (a class of the header that the disk I/O class holds) counts the pieces it holds
 * and keeps their last use in an LRU map; a trim loop evicts while the count is at the limit,
 * picking the oldest LRU entry and calling the storage's remove method, which erases the piece,
 * its LRU entry and decrements the count.
 *
 * Unsafe shape: a disk I/O method (async_release_files, async_delete_files, any other) drops
 * every piece with `<storage>-><data>.clear()`, leaving the count and the LRU as they were; the
 * next new piece trims, the remove method finds nothing to remove, and the loop spins with the
 * mutex held. Safe shape (ours or hand-written): no `<data>.clear()` outside the storage; the
 * storage's methods that clear the data also clear the LRU and reset the count; and the trim
 * loop drops a stale LRU entry itself (`<lru>.erase(...)` in the loop), or the remove method
 * erases the LRU entry before it can return without removing anything.
 */
import { drift, insertLinesAfter, insertLinesBefore, loc, ofType, renderAt, type Context, type Edit, type Loc, type Result } from '../../src/sdk.ts';
import { Drift, classMethods, dropAllCalls, dropsWithAccounting, findStorage, mapCalls, trimIsSafe, zeroed } from './shape.ts';

const ID = 'release-accounting';
/** the storage method the fix adds (when no safe one exists) */
const DROP_ALL = 'drop_all_pieces';
const T = (name: string) => `${ID}/${name}`;

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const found = findStorage(ctx, src);
  if (!found) return { status: 'missing', reason: 'no class implementing disk_interface' };
  if (found instanceof Drift) return drift(src, found.node.startIndex, found.expected);
  const { io, storage: s } = found;

  const edits: Edit[] = [];
  const at: Loc[] = [];

  // storage methods that clear the piece map: each takes the accounting with it
  const clearing = s.methods.filter((m) => m.name !== s.remove.name && mapCalls(ctx, m.body, 'clear').some((c) => c.map === s.data));
  for (const m of clearing) {
    if (dropsWithAccounting(ctx, s, m)) continue;
    const clear = mapCalls(ctx, m.body, 'clear').find((c) => c.map === s.data)!;
    const stmt = clear.call.parent;
    if (stmt?.type !== 'expression_statement' || stmt.parent?.id !== m.body.id)
      return drift(src, clear.call.startIndex, `${s.name}::${m.name}() clearing ${s.data} in a statement of its own, so that ${s.lru} and ${s.counter} can be cleared with it`);
    const lru = mapCalls(ctx, m.body, 'clear').some((c) => c.map === s.lru);
    const count = zeroed(m.body).includes(s.counter);
    const t = !lru && !count ? 'accounting.cpp' : !lru ? 'accounting-lru.cpp' : 'accounting-count.cpp';
    edits.push(insertLinesAfter(src, stmt.endIndex, renderAt(src, stmt.startIndex, T(t), { lru: s.lru, counter: s.counter })));
    at.push(loc(src, m.node.startIndex));
  }
  // (with the edits above, each of them drops the pieces with their accounting)
  const safeDrop = clearing[0];

  // the disk I/O's paths that drop every piece past the storage
  const dropName = safeDrop?.name ?? DROP_ALL;
  for (const m of classMethods(ctx, io.body)) {
    const drops = dropAllCalls(ctx, m.body).filter((d) => d.data.text === s.data && d.args.namedChildCount === 0);
    for (const d of drops) {
      // `<holder>-><data>.clear()` becomes `<holder>-><drop>()`
      edits.push({ file: src.path, start: d.data.startIndex, end: d.clear.endIndex, text: dropName });
      at.push(loc(src, m.node.startIndex));
    }
    // any other use of the piece map from outside the storage is a shape we do not know
    const other = ofType(m.body, 'field_identifier').find((f) => f.text === s.data && !drops.some((d) => d.data.id === f.id));
    if (other) return drift(src, other.startIndex, `${io.name}::${m.name}() leaving ${s.name}'s ${s.data} to ${s.name}'s own methods, or dropping it all with ${s.data}.clear()`);
  }
  if (edits.length && !safeDrop) {
    if (s.methods.some((m) => m.name === DROP_ALL)) return drift(src, s.methods.find((m) => m.name === DROP_ALL)!.node.startIndex, `no method named ${DROP_ALL} in ${s.name} other than one that clears ${s.data}, ${s.lru} and ${s.counter}`);
    const vars = { drop: DROP_ALL, data: s.data, lru: s.lru, counter: s.counter, trim: s.trim.name };
    edits.push(insertLinesAfter(src, s.remove.node.endIndex, renderAt(src, s.remove.node.startIndex, T('drop_all.cpp'), vars)));
  }

  if (!trimIsSafe(ctx, s)) {
    const vars = { data: s.data, lru: s.lru, victim: s.victim };
    edits.push(insertLinesBefore(src, s.removeStmt.startIndex, renderAt(src, s.removeStmt.startIndex, T('trim_guard.cpp'), vars)));
    at.push(loc(src, s.trim.node.startIndex));
  }

  if (edits.length === 0) return { status: 'applied', at: dedupe([loc(src, s.trim.node.startIndex), ...(safeDrop ? [loc(src, safeDrop.node.startIndex)] : [])]) };
  return { status: 'apply', edits, at: dedupe(at), notes: [] };
}

const dedupe = (at: Loc[]) => at.filter((l, i) => at.findIndex((x) => x.file === l.file && x.line === l.line) === i).sort((a, b) => a.line - b.line);
