/**
 * eviction's mutants: on a tree with every fix applied, each undoes the fix in one place.
 * `evicted-read-aborted` (and the session scenarios session-stream and session-seek-back) kill the first: a read of an
 * evicted piece fails again, and libtorrent pauses the torrent. `unverified-kept` kills the
 * second: a piece is again evictable while it is being written, before libtorrent hashed it.
 */
import { indentAt, parameters, textOf, type Context, type Edit, type Mutant } from '../../src/sdk.ts';
import { Drift, findShape } from './shape.ts';
import { GONE } from './transform.ts';

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header;
  if (!src) return [];
  const s = findShape(ctx, src);
  if (!s || s instanceof Drift) return [];
  const out: Mutant[] = [];

  // the read of a piece that is gone fails again (end of file), as before the fix
  const aborted = s.readErrors.filter((r) => r.name.text === GONE);
  if (aborted.length)
    out.push({
      id: 'read-reports-eof',
      description: `${s.storage}::${s.read.name}() reports a piece it does not hold as end-of-file again`,
      edits: aborted.map((r): Edit => ({ file: src.path, start: r.name.startIndex, end: r.name.endIndex, text: 'eof' })),
    });

  // the write method records the piece in the LRU again: unverified pieces become evictable
  const entry = s.hashEntries[0];
  const piece = parameters(s.write.node, (n) => textOf(src, n)).find((p) => /\bpiece_index_t\b/.test(p.type) && p.name);
  const last = s.write.body.namedChildren.filter((c) => c.type !== 'comment').at(-1);
  if (entry && piece && last && s.writeEntries.length === 0) {
    const at = src.text.indexOf('\n', last.endIndex);
    const line = `${indentAt(src.text, last.startIndex)}${s.lru}[${piece.name!}] = ${entry.value.text};`;
    out.push({
      id: 'lru-at-write',
      description: `${s.storage}::${s.write.name}() puts the piece in ${s.lru} when it is written, before libtorrent hashed it`,
      edits: [{ file: src.path, start: at + 1, end: at + 1, text: line + src.style.eol }],
    });
  }
  return out;
}
