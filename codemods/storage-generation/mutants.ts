/**
 * storage-generation, undone in one place (on the fixed tree): one operation's completion no
 * longer checks the slot's generation; remove_torrent no longer starts a new generation.
 */
import { headerClass, methodDefinitions, ofType, textOf, type Context, type Mutant } from '../../src/sdk.ts';
import { OPERATIONS, postedCompletions } from './transform.ts';

export function mutants(ctx: Context): Mutant[] {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return [];
  const byName = new Map(methodDefinitions(cls.body).map((m) => [m.name.text, m]));
  const out: Mutant[] = [];
  for (const op of OPERATIONS) {
    const m = byName.get(op);
    const lambda = m && postedCompletions(ctx, m.body)[0]?.lambda;
    // the completion's abort check: an if that sets <error>.ec = ...operation_aborted
    const check = lambda && ofType(lambda, 'if_statement').find((s) => /\boperation_aborted\b/.test(textOf(src, s.childForFieldName('consequence') ?? s)));
    if (!check) continue;
    out.push({
      id: `${op.replace(/_/g, '-')}-unchecked`,
      description: `${op}'s completion reports for whatever torrent holds the slot now`,
      edits: [{ file: src.path, start: check.startIndex, end: check.endIndex, text: '/* memfix mutant: no generation check */' }],
    });
  }
  // remove_torrent's new generation: the statement that calls the class's bump
  const remove = byName.get('remove_torrent');
  if (remove) {
    const bump = ofType(remove.body, 'expression_statement').find((s) => {
      const call = s.namedChildren[0];
      const fn = call?.type === 'call_expression' ? call.childForFieldName('function')?.text : undefined;
      const target = fn ? byName.get(fn) : undefined;
      return !!target && ofType(target.body, 'update_expression').length > 0;
    });
    if (bump) out.push({ id: 'no-new-generation', description: 'remove_torrent leaves the slot at its generation', edits: [{ file: src.path, start: bump.startIndex, end: bump.endIndex, text: '/* memfix mutant: no new generation */' }] });
  }
  return out;
}
