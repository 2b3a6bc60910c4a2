/**
 * atomic-state: Make state shared across threads atomic, and define the memory size once program-wide
 * Unsafe shape: TODO. Safe shape: TODO.
 *
 * Until it is filled in, this transform reports `missing` ("not implemented"): a stub must
 * never report `applied`, which would tell CI that the bug is fixed.
 */
import { type Context, type Result } from '../../src/codemod.ts';
import { headerClass } from '../../src/cppedit.ts';
import { matchAll } from '../../src/source.ts';

const ID = 'atomic-state';

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const found = matchAll(ctx.query('target'), cls.body);
  // TODO: recognise the safe shape: return { status: 'applied', at: [loc(src, node.startIndex)] };
  // the unsafe shapes: return { status: 'apply', edits, at, notes: [] } (C++ from templates/<id>/);
  // anything else: return drift(src, node.startIndex, 'what was expected') (loc, drift: src/codemod.ts).
  return { status: 'missing', reason: `${ID}: not implemented (target.scm matched ${found.length} place(s))` };
}
