/** What the commands share: loading codemods, checking --fix ids, planning a folder, reporting problems. */
import { resolve } from 'node:path';
import { MemfixError } from '../errors.ts';
import { loadCodemods } from '../registry.ts';
import { plan, type PlanOptions, type Step } from '../engine.ts';
import { folderSource, LINK_MESSAGE, type Problem, type Tree } from '../workspace.ts';
import { groupRoot } from '../roles.ts';
import type { Codemod } from '../codemod.ts';
import { problemLine } from '../render/text.ts';

export async function codemodsFor(fix?: string[]): Promise<{ mods: Codemod[]; only?: Set<string> }> {
  const mods = await loadCodemods();
  if (!fix) return { mods };
  const known = new Set(mods.map((m) => m.meta.id));
  const unknown = fix.filter((f) => !known.has(f));
  if (unknown.length) throw new MemfixError(`unknown fix ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known].join(', ')})`);
  return { mods, only: new Set(fix) };
}

export interface PlannedDir {
  /** the folder, absolute */
  root: string;
  steps: Step[];
  /** the files that could be targets (they passed a role's token test), as read */
  readonly tree: Tree;
  /** the same files after the taken fixes */
  readonly after: Tree;
  mods: Codemod[];
  /** files that look like targets but cannot be read or parsed as one, or the folder ('') when it holds no target; paths relative to root */
  problems: Problem[];
}

/** A tree in which no codemod finds its target: most likely a mistyped path. */
export const NO_TARGET = 'no target found: no memory_disk_io header (a class deriving from disk_interface and buffer_allocator_interface) and no SWIG interface file of it in this tree';

/**
 * Plan a folder: each file is read once, and parsed only when it could be a target. `tree` and
 * `after` are built when first read (a scan never needs them).
 */
export async function planDir(dir: string, fix?: string[], decide?: PlanOptions['decide']): Promise<PlannedDir> {
  const root = resolve(dir);
  const files = folderSource(root);
  const { mods, only } = await codemodsFor(fix);
  const planned = await plan(files, mods, { only, decide });
  // no target at all is bad input too (a mistyped folder must not pass CI), unless a file that
  // looked like one was reported already
  // a link with a target's name leading out of the tree (never read), in a group that misses a target it could be: refused
  const missing = new Set(planned.steps.filter((s) => s.outcome.status === 'missing').map((s) => s.group));
  const links = (files.outwardLinks ?? []).filter((l) => missing.has(groupRoot(l))).map((l) => ({ file: l, message: `${LINK_MESSAGE} (it leads out of the tree, or nowhere: not read)` }));
  const found = [...planned.problems, ...links];
  const problems = planned.found || found.length ? found : [{ file: '', message: NO_TARGET }];
  return {
    root,
    steps: planned.steps,
    mods,
    problems,
    get tree() { return planned.original; },
    get after() { return planned.tree; },
  };
}

/**
 * Print each problem as `memfix: file[:line]: message` on stderr and make the exit code 2 (bad
 * input). Returns whether there were any. Call it after the command has set its own exit code.
 */
export function reportProblems(dir: string, problems: readonly Problem[]): boolean {
  for (const p of problems) process.stderr.write(problemLine(dir, p) + '\n');
  if (problems.length) process.exitCode = 2;
  return problems.length > 0;
}

export const out = (s = '') => process.stdout.write(s + '\n');
