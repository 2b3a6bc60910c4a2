/**
 * release-accounting: releasing a torrent's files keeps its pieces; deleting them drops the
 * pieces together with the storage's accounting; the LRU trim cannot spin on a piece that is gone.
 *
 * The storage (a class of the header that the disk I/O class holds) counts the pieces it holds
 * and keeps their last use in an LRU map; a trim loop evicts while the count is at the limit,
 * picking the oldest LRU entry and calling the storage's remove method, which erases the piece,
 * its LRU entry and decrements the count.
 *
 * Unsafe shapes: async_release_files drops every piece (libtorrent calls it to close files and
 * flush caches: when a torrent finishes, on flush_cache, save_resume_data with flush_disk_cache
 * and force_recheck; a finished torrent then has no data left); a disk I/O method
 * (async_delete_files, any other) drops every piece with `<storage>-><data>.clear()`, leaving the
 * count and the LRU as they were, so the next new piece trims, the remove method finds nothing
 * to remove, and the loop spins with the mutex held. Safe shape (ours or hand-written):
 * async_release_files drops nothing; no `<data>.clear()` outside the storage; the storage's
 * methods that clear the data also clear the LRU and reset the count; and the trim loop drops a
 * stale LRU entry itself (`<lru>.erase(...)` in the loop), or the remove method erases the LRU
 * entry before it can return without removing anything.
 */
import { drift, endOfLine, insertLinesAfter, insertLinesBefore, lineStart, loc, ofType, renderAt, type Context, type Edit, type Loc, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { Drift, RELEASE, classMethods, dropAllCalls, dropsWithAccounting, findStorage, mapCalls, releaseDrops, trimIsSafe, zeroed } from './shape.ts';

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
  const dropName = safeDrop?.name ?? DROP_ALL;

  let converted = false;
  for (const m of classMethods(io.body)) {
    const direct = dropAllCalls(ctx, m.body).filter((d) => d.data.text === s.data && d.args.namedChildCount === 0);
    // any other use of the piece map from outside the storage is a shape we do not know
    const other = ofType(m.body, 'field_identifier').find((f) => f.text === s.data && !direct.some((d) => d.data.id === f.id));
    if (other) return drift(src, other.startIndex, `${io.name}::${m.name}() leaving ${s.name}'s ${s.data} to ${s.name}'s own methods, or dropping it all with ${s.data}.clear()`);
    if (m.name === RELEASE) {
      // release keeps the data: the statement that drops the pieces goes, a comment says why
      const drops = releaseDrops(ctx, s, m, clearing.map((c) => c.name));
      if (!drops.length) continue;
      const removed = new Set<number>();
      for (const d of drops) {
        const stmt = topStatement(m.body, d);
        if (removed.has(stmt.id)) continue;
        const bad = notOnlyDropping(stmt, drops);
        if (bad) return drift(src, bad.startIndex, `${io.name}::${m.name}() doing nothing but drop the pieces (under its lock) in the statement that drops them`);
        const edit = replaceLines(src, stmt, renderAt(src, stmt.startIndex, T('keep.cpp'), {}));
        if (!edit) return drift(src, stmt.startIndex, `the statement of ${io.name}::${m.name}() that drops the pieces on lines of its own`);
        edits.push(edit);
        removed.add(stmt.id);
      }
      at.push(loc(src, m.node.startIndex));
      continue;
    }
    for (const d of direct) {
      // `<holder>-><data>.clear()` becomes `<holder>-><drop>()`
      edits.push({ file: src.path, start: d.data.startIndex, end: d.clear.endIndex, text: dropName });
      at.push(loc(src, m.node.startIndex));
      converted = true;
    }
  }
  if (converted && !safeDrop) {
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

/** The statement of `body` (a direct child) that holds `node`. */
function topStatement(body: SyntaxNode, node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && n.parent.id !== body.id) n = n.parent;
  return n;
}

const LOCK = /\b(lock_guard|unique_lock|scoped_lock)\b/;

/**
 * The first node of `stmt` that does something besides dropping the pieces: allowed are blocks,
 * `if`s without `else` (their conditions only test the slot), a lock, comments and the drops.
 */
function notOnlyDropping(stmt: SyntaxNode, drops: SyntaxNode[]): SyntaxNode | null {
  const isDrop = (n: SyntaxNode) => n.type === 'expression_statement' && drops.some((d) => d.parent?.id === n.id);
  const walk = (n: SyntaxNode): SyntaxNode | null => {
    if (n.type === 'comment' || isDrop(n)) return null;
    if (n.type === 'compound_statement') { for (const c of n.namedChildren) { const b = walk(c); if (b) return b; } return null; }
    if (n.type === 'declaration') return LOCK.test(n.childForFieldName('type')?.text ?? '') ? null : n;
    if (n.type === 'if_statement') {
      if (n.childForFieldName('alternative')) return n;
      const cond = n.childForFieldName('condition');
      if (cond && (ofType(cond, 'assignment_expression', 'update_expression').length)) return cond;
      return walk(n.childForFieldName('consequence')!);
    }
    return n;
  };
  return walk(stmt);
}

/** Replace the whole lines of `stmt` (alone on them, bar a trailing comment) with `lines`. */
function replaceLines(src: SourceFile, stmt: SyntaxNode, lines: string): Edit | null {
  const start = lineStart(src.text, stmt.startIndex);
  if (src.text.slice(start, stmt.startIndex).trim() !== '') return null;
  const end = endOfLine(src.text, stmt.endIndex);
  const rest = src.text.slice(stmt.endIndex, end).trim();
  if (rest !== '' && !rest.startsWith('//')) return null;
  return { file: src.path, start, end, text: lines + src.style.eol };
}

const dedupe = (at: Loc[]) => at.filter((l, i) => at.findIndex((x) => x.file === l.file && x.line === l.line) === i).sort((a, b) => a.line - b.line);
