/**
 * v2-block-hash's mutants: on a tree with every fix applied, each bounds one method's SHA-256
 * block by the v1 piece size again (`piece_size`, pad bytes included: what the stored buffer's
 * size was). v2-block-hashes must then fail: the last block of a file that is not a multiple of
 * 16 KiB hashes over pad bytes.
 */
import { textOf, type Context, type Mutant } from '../../src/sdk.ts';
import { blockHashes, V2_SIZE } from './shape.ts';

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header;
  if (!src) return [];
  const out: Mutant[] = [];
  const seen = new Set<string>();
  for (const h of blockHashes(ctx, src)) {
    const ref = h.v2[0];
    if (!ref || seen.has(h.method.name)) continue;
    seen.add(h.method.name);
    // `<files>.piece_size2(<piece>)` -> `<files>.piece_size(<piece>)`, in place of the reference
    const fn = ref.call.childForFieldName('function')!;
    const field = fn.childForFieldName('field')!;
    const v1 = textOf(src, ref.call).slice(0, field.startIndex - ref.call.startIndex) + 'piece_size' + textOf(src, ref.call).slice(field.endIndex - ref.call.startIndex);
    out.push({
      id: `${h.method.name}-v1-bound`,
      description: `${h.method.name}() bounds its SHA-256 block by the v1 piece size (pad bytes included) instead of ${V2_SIZE}`,
      edits: [{ file: src.path, start: ref.node.startIndex, end: ref.node.endIndex, text: v1 }],
    });
  }
  return out;
}
