/**
 * eviction: what the LRU trim drops stays harmless to libtorrent.
 *
 * libtorrent 2.0 gives a disk I/O no way to say it lost a piece (see docs/FIXES.md), so the
 * header keeps what libtorrent still counts on and reports the rest in the one way libtorrent
 * does not pause a torrent for:
 *  - a piece joins the LRU when libtorrent hashes it, not when a block of it is written: the
 *    trim (which only picks LRU entries) never drops a piece still downloading or awaiting its
 *    hash check;
 *  - a read of a piece the storage does not hold reports `operation_aborted`, not a failure.
 *
 * Unsafe shape: the storage's write method records the piece in the LRU map
 * (`<lru>[<piece>] = <clock>;`), and the read method answers a piece it does not hold with
 * `<err>.ec = boost::asio::error::eof` (or any error but operation_aborted). Safe shape (ours or
 * hand-written): the hash method records the piece in the LRU, the write method does not, and
 * the read method reports operation_aborted.
 */
import { descendants, drift, insertLinesBefore, lineStart, loc, renderAt, type Context, type Edit, type Loc, type Result, type SyntaxNode } from '../../src/sdk.ts';
import { Drift, finalReturn, findShape } from './shape.ts';

const ID = 'eviction';
const T = (name: string) => `${ID}/${name}`;
/** the error a read of a piece that is gone reports */
export const GONE = 'operation_aborted';

function firstSyntaxError(node: SyntaxNode): SyntaxNode | null {
  for (const n of descendants(node)) if (n.type === 'ERROR' || n.isMissing) return n;
  return null;
}

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const found = findShape(ctx, src);
  if (!found) return { status: 'missing', reason: 'no class implementing disk_interface' };
  if (found instanceof Drift) return drift(src, found.node.startIndex, found.expected);
  const s = found;
  // a method tree-sitter could not parse whole: its shape cannot be trusted
  for (const m of [s.read, s.write, s.hash]) {
    if (!m.node.hasError) continue;
    const bad = firstSyntaxError(m.node);
    return drift(src, (bad ?? m.node).startIndex, `${s.storage}::${m.name}() parsing as C++ (a syntax error here)`);
  }

  if (s.readErrors.length === 0)
    return drift(src, s.read.node.startIndex, `${s.storage}::${s.read.name}() reporting a piece it does not hold as <error>.ec = <error code>, in an if that compares with <map>.end()`);
  if (s.writeEntries.length === 0 && s.hashEntries.length === 0)
    return drift(src, s.write.node.startIndex, `${s.storage}::${s.write.name}() recording the piece's use in ${s.lru} (<lru>[<piece>] = <time>;)`);

  const edits: Edit[] = [];
  const at: Loc[] = [];

  // the LRU learns of a piece when libtorrent hashes it, not while it is written
  if (s.writeEntries.length) {
    if (s.hashEntries.length === 0) {
      const ret = finalReturn(s.hash);
      if (!ret) return drift(src, s.hash.node.startIndex, `${s.storage}::${s.hash.name}() ending with the return of the piece's hash`);
      const vars = { lru: s.lru, piece: s.piece, clock: s.writeEntries[0]!.value.text };
      edits.push(insertLinesBefore(src, ret.startIndex, renderAt(src, ret.startIndex, T('lru_at_hash.cpp'), vars)));
      // the hash method now records the piece: it is no longer const
      if (s.constQualifier) {
        const before = src.text.lastIndexOf(')', s.constQualifier.startIndex);
        edits.push({ file: src.path, start: before + 1, end: s.constQualifier.endIndex, text: '' });
      }
      at.push(loc(src, s.hash.node.startIndex));
    }
    for (const e of s.writeEntries) {
      // the whole line goes (the statement is alone on it)
      const start = lineStart(src.text, e.stmt.startIndex);
      const nl = src.text.indexOf('\n', e.stmt.endIndex);
      edits.push({ file: src.path, start, end: nl < 0 ? src.text.length : nl + 1, text: '' });
    }
    at.push(loc(src, s.write.node.startIndex));
  }

  // a read of a piece that is gone is aborted, not failed
  const failing = s.readErrors.filter((r) => r.name.text !== GONE);
  if (failing.length) {
    for (const r of failing) {
      edits.push(insertLinesBefore(src, r.stmt.startIndex, renderAt(src, r.stmt.startIndex, T('read_gone.cpp'), {})));
      edits.push({ file: src.path, start: r.name.startIndex, end: r.name.endIndex, text: GONE });
    }
    at.push(loc(src, s.read.node.startIndex));
  }

  if (edits.length === 0) return { status: 'applied', at: [loc(src, s.hash.node.startIndex), loc(src, s.read.node.startIndex)].sort((a, b) => a.line - b.line) };
  return { status: 'apply', edits, at: at.sort((a, b) => a.line - b.line), notes: [] };
}
