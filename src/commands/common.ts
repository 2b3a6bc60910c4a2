/** What the commands share: loading codemods, checking --fix ids, planning a folder. */
import { resolve } from 'node:path';
import { MemfixError } from '../errors.ts';
import { loadCodemods } from '../registry.ts';
import { plan, type PlanOptions, type Step } from '../engine.ts';
import { readTree, type Tree } from '../workspace.ts';
import type { Codemod } from '../codemod.ts';

export async function codemodsFor(fix?: string[]): Promise<{ mods: Codemod[]; only?: Set<string> }> {
  const mods = await loadCodemods();
  if (!fix) return { mods };
  const known = new Set(mods.map((m) => m.meta.id));
  const unknown = fix.filter((f) => !known.has(f));
  if (unknown.length) throw new MemfixError(`unknown fix ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known].join(', ')})`);
  return { mods, only: new Set(fix) };
}

export async function planDir(dir: string, fix?: string[], decide?: PlanOptions['decide']): Promise<{ root: string; tree: Tree; steps: Step[]; after: Tree; mods: Codemod[] }> {
  const root = resolve(dir);
  const tree = readTree(root);
  const { mods, only } = await codemodsFor(fix);
  const { steps, tree: after } = await plan(tree, mods, { only, decide });
  return { root, tree, steps, after, mods };
}

export const out = (s = '') => process.stdout.write(s + '\n');
