/**
 * v2-block-hash: a v2 (SHA-256) block hash covers the bytes of the piece's file only.
 *
 * libtorrent asks the disk I/O for the SHA-256 of each 16 KiB block of a piece (`hash()`'s
 * block hashes, `hash2()` for one block); the last block of a file ends where the file does, at
 * the piece's v2 size (`file_storage::piece_size2`). The stored piece is the v1 piece, pad bytes
 * included, so a length bounded by the stored buffer's `.size()` hashes the last block of every
 * file whose size is not a multiple of 16 KiB over pad bytes as well: hybrid torrents are paused
 * (v1 and v2 hashes disagree), v2-only torrents fail those pieces forever.
 *
 * Unsafe shape: in a method with a `hasher256` local, `<hasher>.update({<pointer>, <length>})`
 * where `<length>` (through the locals it names) is bounded by `<buffer>.size()` and never by
 * `piece_size2`. Safe shape (ours or hand-written): every such length refers to `piece_size2`
 * (a call, or a local initialised from one). The fix replaces each `.size()` with the piece's
 * v2 size (a local the method already has, the call it already makes, or one built from the
 * class's file_storage member and the method's piece parameter), converted to `std::size_t`
 * unless it is cast right away, and says why in a comment above the statement.
 */
import { drift, insertLinesBefore, loc, renderAt, type Context, type Edit, type Loc, type Result, type SyntaxNode } from '../../src/sdk.ts';
import { blockHashes, v2Size, V2_SIZE } from './shape.ts';

const ID = 'v2-block-hash';

/**
 * A single-argument cast (`int(x)`, `static_cast<int>(x)`, `std::size_t(x)`) whose argument is
 * `node`, or a sum or difference of it: its value is converted right away.
 */
function castOf(node: SyntaxNode): boolean {
  let n = node;
  while (n.parent?.type === 'binary_expression' && ['+', '-'].includes(n.parent.childForFieldName('operator')?.type ?? '')) n = n.parent;
  const args = n.parent;
  const call = args?.parent;
  if (args?.type !== 'argument_list' || args.namedChildCount !== 1 || call?.type !== 'call_expression') return false;
  const fn = call.childForFieldName('function');
  return !!fn && (fn.type === 'primitive_type' || (fn.type === 'template_function' && /_cast$/.test(fn.childForFieldName('name')?.text ?? '')) || (fn.type === 'qualified_identifier' && /\b(size_t|ptrdiff_t|u?int\d+_t)$/.test(fn.text)));
}

/** The statement (a direct child of a block) that holds node. */
function statementOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && n.parent.type !== 'compound_statement') n = n.parent;
  return n;
}

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const hashes = blockHashes(ctx, src);
  if (!hashes.length) return { status: 'missing', reason: 'no SHA-256 block hash (a hasher256 fed a span) in the header' };

  const edits: Edit[] = [];
  const at: Loc[] = [];
  const safe: Loc[] = [];
  const commented = new Set<number>();
  for (const h of hashes) {
    if (h.v2.length) { safe.push(loc(src, h.method.node.startIndex)); continue; }
    if (!h.sizes.length) return drift(src, h.length.startIndex, `the length of ${h.method.name}()'s SHA-256 block bounded by the stored piece's size() or by ${V2_SIZE}`);
    for (const size of h.sizes) {
      if (edits.some((e) => e.start === size.startIndex)) continue;
      const bound = v2Size(ctx, src, h.method, size.startIndex);
      if ('missing' in bound) return drift(src, h.method.node.startIndex, bound.missing);
      edits.push({ file: src.path, start: size.startIndex, end: size.endIndex, text: castOf(size) ? bound.text : `std::size_t(${bound.text})` });
      const stmt = statementOf(size);
      if (!commented.has(stmt.id)) {
        commented.add(stmt.id);
        edits.push(insertLinesBefore(src, stmt.startIndex, renderAt(src, stmt.startIndex, `${ID}/bound.cpp`, {})));
      }
    }
    at.push(loc(src, h.method.node.startIndex));
  }
  const dedupe = (l: Loc[]) => l.filter((x, i) => l.findIndex((y) => y.line === x.line) === i);
  if (!edits.length) return { status: 'applied', at: dedupe(safe) };
  return { status: 'apply', edits, at: dedupe(at), notes: [] };
}
