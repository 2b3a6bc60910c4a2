/**
 * discover → parse → match → plan: run the codemods over a tree in dependency order, each on
 * the state the previous ones leave, and say what each would do.
 */
import { applyEdits, byFile, type Edit } from './edits.ts';
import { MemfixError } from './errors.ts';
import { lineOf } from './text.ts';
import type { Codemod, Context, Loc, Result } from './codemod.ts';
import { compileQuery } from './source.ts';
import { discoverTargets, type TargetGroup } from './roles.ts';
import { sources, type Tree } from './workspace.ts';

export type Outcome = Result | { status: 'blocked'; reason: string; needs: string };

export interface Step {
  codemod: Codemod;
  group: string;
  outcome: Outcome;
  /** contents of the files the step changes, before and after (only for 'apply') */
  changes: { path: string; before: string; after: string }[];
  /** an 'apply' step whose edits went into the resulting tree */
  taken: boolean;
}

const missingRoles = (mod: Codemod, group: TargetGroup) => mod.meta.targets.filter((r) => !group.files[r]);

/** Run one codemod on one target group. */
export function runCodemod(mod: Codemod, group: TargetGroup): Result {
  const missing = missingRoles(mod, group);
  if (missing.length) return { status: 'missing', reason: `no ${missing.join(', ')} file found` };
  const ctx: Context = {
    files: group.files,
    className: group.className,
    query: (name) => {
      const scm = mod.queries[name];
      if (scm === undefined) throw new MemfixError(`${mod.meta.id}: no query ${name}.scm`);
      return compileQuery(scm, `${mod.meta.id}/${name}.scm`);
    },
    filesNaming: (name) => (group.members ?? Object.values(group.files)).filter((s) => s.text.includes(name)),
  };
  return mod.transform(ctx);
}

export interface PlanOptions {
  /** only these codemods (ids); their dependencies are still evaluated, not applied */
  only?: Set<string>;
  /** decide, step by step, whether a fix that would apply is taken (default: yes) */
  decide?: (step: Step) => Promise<boolean> | boolean;
}

/** Plan (and with `decide`, choose) the fixes on a tree; returns the steps and the final tree. */
export async function plan(tree: Tree, mods: Codemod[], opts: PlanOptions = {}): Promise<{ steps: Step[]; tree: Tree }> {
  let state: Tree = new Map(tree);
  const steps: Step[] = [];
  const groupsOf = (t: Tree) => discoverTargets(sources(t));
  const history: History = new Map();
  const roots = groupsOf(state).map((g) => g.root);
  if (roots.length === 0) roots.push('');
  for (const root of roots) {
    const status = new Map<string, 'taken' | 'applied' | 'not'>();
    for (const mod of mods) {
      const group = groupsOf(state).find((g) => g.root === root) ?? { root, files: {} };
      const blockedBy = mod.meta.dependsOn.find((d) => status.get(d) === 'not');
      const hasTargets = missingRoles(mod, group).length === 0;
      let outcome: Outcome;
      if (blockedBy && hasTargets) {
        const depStep = steps.find((s) => s.group === root && s.codemod.meta.id === blockedBy);
        const why = depStep ? describeStatus(depStep.outcome) : 'not run';
        outcome = { status: 'blocked', needs: blockedBy, reason: `needs ${blockedBy}, which is ${why}` };
      } else {
        outcome = withOriginalLines(runCodemod(mod, group), tree, state, history);
      }
      const step: Step = { codemod: mod, group: root, outcome, changes: [], taken: false };
      if (outcome.status === 'apply') {
        for (const [path, edits] of byFile(outcome.edits)) {
          const before = state.get(path);
          if (before === undefined) throw new MemfixError(`${mod.meta.id}: edit to a file not in the tree`, path);
          step.changes.push({ path, before, after: applyEdits(before, edits) });
        }
        const selected = !opts.only || opts.only.has(mod.meta.id);
        const take = selected && (opts.decide ? await opts.decide(step) : true);
        if (take) {
          step.taken = true;
          state = new Map(state);
          for (const c of step.changes) state.set(c.path, c.after);
          for (const [path, edits] of byFile(outcome.edits)) history.set(path, [...(history.get(path) ?? []), edits]);
          status.set(mod.meta.id, 'taken');
        } else {
          status.set(mod.meta.id, 'not');
          if (!selected) step.outcome = { ...outcome, notes: [...outcome.notes, 'not selected'] };
        }
      } else {
        status.set(mod.meta.id, outcome.status === 'applied' ? 'applied' : 'not');
      }
      steps.push(step);
    }
  }
  return { steps, tree: state };
}

/** Edits taken so far, per file, batch by batch: enough to map a position back to the file on disk. */
type History = Map<string, Edit[][]>;

/** Locations are reported in the files as they are on disk, not as earlier fixes left them. */
function withOriginalLines(r: Result, original: Tree, current: Tree, history: History): Result {
  const map = (l: Loc): Loc => {
    const before = original.get(l.file);
    const now = current.get(l.file);
    const batches = history.get(l.file);
    if (before === undefined || now === undefined || !batches?.length) return l;
    return { file: l.file, line: lineOf(before, originalIndex(batches, indexOfLine(now, l.line))) };
  };
  // notes may name places too ("path:line", lines as the codemod saw them)
  const mapNote = (n: string) => n.replace(/([\w./+-]+):(\d+)/g, (m, file: string, line: string) => (current.has(file) ? `${file}:${map({ file, line: Number(line) }).line}` : m));
  if (r.status === 'drift') return { ...r, at: map(r.at), expected: mapNote(r.expected) };
  if (r.status === 'apply') return { ...r, at: r.at.map(map), notes: r.notes.map(mapNote) };
  if (r.status === 'applied') return { ...r, at: r.at.map(map), notes: r.notes?.map(mapNote) };
  return r;
}

function indexOfLine(text: string, line: number): number {
  let i = 0;
  for (let n = 1; n < line; n++) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) break;
    i = nl + 1;
  }
  return i;
}

/** Map an index in the current text back through each batch of edits (last first). */
export function originalIndex(batches: Edit[][], index: number): number {
  let i = index;
  for (let b = batches.length - 1; b >= 0; b--) {
    let delta = 0;
    let mapped = -1;
    for (const e of [...batches[b]!].sort((x, y) => x.start - y.start)) {
      const newStart = e.start + delta;
      const newEnd = newStart + e.text.length;
      if (i < newStart) break;
      if (i < newEnd) { mapped = e.start; break; } // inside inserted text: the edit's own position
      delta += e.text.length - (e.end - e.start);
    }
    i = mapped >= 0 ? mapped : i - delta;
  }
  return i;
}

export function describeStatus(o: Outcome): string {
  switch (o.status) {
    case 'apply': return 'not applied';
    case 'applied': return 'applied';
    case 'drift': return `drifted (${o.at.file}:${o.at.line})`;
    case 'missing': return `missing (${o.reason})`;
    case 'blocked': return `blocked (${o.reason})`;
  }
}
