/**
 * Upstream builds in C++14: every prefix of the series (the tree after each fix, in order) and the
 * fully patched tree must compile with `-std=c++14 -pedantic-errors`, with g++ and clang++ at once
 * (src/verify/run.ts's compileCheck: the glue, whose first line includes the header). A tree whose
 * unpatched glue does not compile (upstream HEAD's session.i) must keep its header compiling alone
 * until the fix that repairs the glue, and compile whole after it.
 */
import assert from 'node:assert/strict';
import type { Codemod } from '../src/codemod.ts';
import { plan } from '../src/engine.ts';
import { compileCheckAsync } from '../src/verify/run.ts';
import type { Tree } from '../src/workspace.ts';

/** The tree after each fix of the series, in the series' order (the last one is the fully patched tree). */
export async function seriesPrefixes(input: Tree, mods: Codemod[]): Promise<{ after: string; tree: Tree }[]> {
  const { steps } = await plan(input, mods);
  const state = new Map(input);
  const out: { after: string; tree: Tree }[] = [];
  for (const s of steps.filter((x) => x.taken)) {
    for (const c of s.changes) state.set(c.path, c.after);
    out.push({ after: s.codemod.meta.id, tree: new Map(state) });
  }
  return out;
}

/** Compile every prefix; fails with the first compiler error of the first prefix that does not compile. */
export async function assertSeriesCompiles(what: string, input: Tree, mods: Codemod[], o: { minPrefixes?: number } = {}): Promise<void> {
  const prefixes = await seriesPrefixes(input, mods);
  assert.ok(prefixes.length >= (o.minPrefixes ?? 1), `${what}: only ${prefixes.length} fixes applied`);
  const base = await compileCheckAsync(input);
  let whole = base === null;
  for (const [i, p] of prefixes.entries()) {
    const err = await compileCheckAsync(p.tree);
    if (err === null) { whole = true; continue; }
    assert.ok(!whole, `${what}: does not compile after ${p.after} (${i + 1} of ${prefixes.length}): ${err}`);
    // the input's glue did not compile either: the header alone must, and the glue's error stays the input's
    const header = await compileCheckAsync(p.tree, { headerOnly: true });
    assert.equal(header, null, `${what}: the header alone does not compile after ${p.after}: ${header}`);
    assert.equal(err.replace(/:\d+:\d+:/, ':'), base!.replace(/:\d+:\d+:/, ':'), `${what}: after ${p.after} the glue fails otherwise than the input's`);
  }
  assert.ok(whole, `${what}: the fully patched tree does not compile: ${await compileCheckAsync(prefixes.at(-1)!.tree)}`);
}
