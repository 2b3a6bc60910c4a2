/**
 * discover → parse → match → plan: run the codemods over a tree in dependency order, each on
 * the state the previous ones leave, and say what each would do.
 *
 * Groups (a folder and its `interfaces/`) are planned one after another: a group's files are
 * read and parsed once, a file a fix changes is re-parsed incrementally, and the group's syntax
 * trees are dropped before the next group is read. A step keeps the edits it made; the texts
 * before and after it are rebuilt from them when asked for.
 */
import { applyEdits, byFile, type Edit } from './edits.ts';
import { MemfixError } from './errors.ts';
import { lineOf } from './text.ts';
import type { Codemod, Context, Loc, Result, Role } from './codemod.ts';
import { compileQuery, releaseTrees, reparseSource, type SourceFile } from './source.ts';
import { discoverGroup, stillPlays, type Problem, type TargetGroup } from './roles.ts';
import { treeSource, type FileSource, type Tree } from './workspace.ts';

export type Outcome = Result | { status: 'blocked'; reason: string; needs: string };

export interface Change { path: string; before: string; after: string }

export interface Step {
  codemod: Codemod;
  group: string;
  outcome: Outcome;
  /** contents of the files the step changes, before and after (only for 'apply'; built on first use) */
  readonly changes: Change[];
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
  };
  return mod.transform(ctx);
}

export interface PlanOptions {
  /** only these codemods (ids); their dependencies are still evaluated, not applied */
  only?: Set<string>;
  /** decide, step by step, whether a fix that would apply is taken (default: yes) */
  decide?: (step: Step) => Promise<boolean> | boolean;
}

export interface Plan {
  steps: Step[];
  /**
   * The tree after the taken fixes. For a tree given in memory: every file of it. For a folder:
   * the files that passed a role's token test (the only ones a fix can change).
   */
  readonly tree: Tree;
  /** For a folder, those same files as they were read (for a tree given in memory: that tree). */
  readonly original: Tree;
  /** files that look like targets but cannot be read or parsed as one: the command exits 2 */
  problems: Problem[];
}

/** A file's original text and the batches of edits taken on it, in order. */
class History {
  batches: Edit[][] = [];
  constructor(readonly original: string) {}
  /** the text after the first `n` batches */
  textAfter(n: number): string {
    let t = this.original;
    for (let i = 0; i < n; i++) t = applyEdits(t, this.batches[i]!);
    return t;
  }
}

/** Plan (and with `decide`, choose) the fixes on a tree in memory or on a folder's files. */
export async function plan(input: Tree | FileSource, mods: Codemod[], opts: PlanOptions = {}): Promise<Plan> {
  const files = input instanceof Map ? treeSource(input) : input;
  const steps: Step[] = [];
  const problems: Problem[] = [];
  const histories = new Map<string, History>();
  let found = 0;
  for (const { root, paths } of files.groups) {
    const group = discoverGroup(root, paths, (p, test) => files.open(p, test, problems), problems);
    if (!group) continue;
    found++;
    await planGroup(group, mods, opts, steps, histories, files.original);
    releaseTrees();
  }
  // no target anywhere: every fix reports what it misses, once
  if (found === 0) await planGroup({ root: '', files: {} }, mods, opts, steps, histories, files.original);

  const finalTexts = (): Tree => {
    const out: Tree = input instanceof Map ? new Map(input) : new Map();
    if (!(input instanceof Map)) for (const { paths } of files.groups) for (const p of paths) { const t = files.original(p); if (t !== undefined) out.set(p, t); }
    for (const [p, h] of histories) out.set(p, h.textAfter(h.batches.length));
    return out;
  };
  const originals = (): Tree => {
    if (input instanceof Map) return input;
    const out: Tree = new Map();
    for (const { paths } of files.groups) for (const p of paths) { const t = files.original(p); if (t !== undefined) out.set(p, t); }
    return out;
  };
  let tree: Tree | undefined;
  let original: Tree | undefined;
  return {
    steps,
    problems,
    get tree() { return (tree ??= finalTexts()); },
    get original() { return (original ??= originals()); },
  };
}

/** Run every codemod on one group, in order, each on the state the taken ones leave. */
async function planGroup(group: TargetGroup, mods: Codemod[], opts: PlanOptions, steps: Step[], histories: Map<string, History>, original: (path: string) => string | undefined): Promise<void> {
  const root = group.root;
  const status = new Map<string, 'taken' | 'applied' | 'not'>();
  const roleOf = (path: string) => (Object.keys(group.files) as Role[]).find((r) => group.files[r]?.path === path);
  const current = (path: string): SourceFile | undefined => {
    const r = roleOf(path);
    return r ? group.files[r] : undefined;
  };
  for (const mod of mods) {
    const blockedBy = mod.meta.dependsOn.find((d) => status.get(d) === 'not');
    const hasTargets = missingRoles(mod, group).length === 0;
    let outcome: Outcome;
    if (blockedBy && hasTargets) {
      const depStep = steps.find((s) => s.group === root && s.codemod.meta.id === blockedBy);
      const why = depStep ? describeStatus(depStep.outcome) : 'not run';
      outcome = { status: 'blocked', needs: blockedBy, reason: `needs ${blockedBy}, which is ${why}` };
    } else {
      outcome = withOriginalLines(runCodemod(mod, group), current, histories);
    }
    const edits = outcome.status === 'apply' ? byFile(outcome.edits) : new Map<string, Edit[]>();
    for (const path of edits.keys()) if (!current(path)) throw new MemfixError(`${mod.meta.id}: edit to a file not in the tree`, path);
    // what each changed file looked like before this step: its history so far
    const at = new Map([...edits.keys()].map((p) => [p, histories.get(p)?.batches.length ?? 0]));
    const texts = new Map([...edits.keys()].map((p) => [p, current(p)!.text]));
    const step = lazyChanges({ codemod: mod, group: root, outcome, taken: false }, edits, (p) =>
      texts.get(p) ?? (at.get(p) ? histories.get(p)!.textAfter(at.get(p)!) : original(p)!));
    if (outcome.status === 'apply') {
      const selected = !opts.only || opts.only.has(mod.meta.id);
      const take = selected && (opts.decide ? await opts.decide(step) : true);
      if (take) {
        step.taken = true;
        for (const [path, fileEdits] of edits) {
          const src = current(path)!;
          const after = applyEdits(src.text, fileEdits);
          let h = histories.get(path);
          if (!h) histories.set(path, (h = new History(src.text)));
          h.batches.push(fileEdits);
          const role = roleOf(path)!;
          const next = reparseSource(src, after, fileEdits);
          // a fix should leave its file in its role; if it does not, the fixes after it see no such file
          if (stillPlays(next, role, group)) group.files[role] = next;
          else delete group.files[role];
        }
        status.set(mod.meta.id, 'taken');
      } else {
        status.set(mod.meta.id, 'not');
        if (!selected) step.outcome = { ...outcome, notes: [...outcome.notes, 'not selected'] };
      }
    } else {
      status.set(mod.meta.id, outcome.status === 'applied' ? 'applied' : 'not');
    }
    // the group's texts are not kept once it is planned: `before` is rebuilt from the history
    texts.clear();
    steps.push(step);
  }
}

/** A step whose `changes` are computed from its edits when first read (and then kept). */
function lazyChanges(s: Omit<Step, 'changes'>, edits: Map<string, Edit[]>, before: (path: string) => string): Step {
  let changes: Change[] | undefined;
  return Object.defineProperty(s, 'changes', {
    enumerable: true,
    get: () => (changes ??= [...edits].map(([path, e]) => {
      const b = before(path);
      return { path, before: b, after: applyEdits(b, e) };
    })),
  }) as Step;
}

/** Locations are reported in the files as they are on disk, not as earlier fixes left them. */
function withOriginalLines(r: Result, current: (path: string) => SourceFile | undefined, histories: Map<string, History>): Result {
  const map = (l: Loc): Loc => {
    const h = histories.get(l.file);
    const now = current(l.file)?.text;
    if (!h || now === undefined || !h.batches.length) return l;
    return { file: l.file, line: lineOf(h.original, originalIndex(h.batches, indexOfLine(now, l.line))) };
  };
  // notes may name places too ("path:line", lines as the codemod saw them)
  const mapNote = (n: string) => n.replace(/([\w./+-]+):(\d+)/g, (m, file: string, line: string) => (current(file) ? `${file}:${map({ file, line: Number(line) }).line}` : m));
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
