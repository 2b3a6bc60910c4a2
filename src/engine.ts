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
import type Parser from 'tree-sitter';
import { declareQueries, parseSource, releaseTrees, reparseSource, type SourceFile } from './source.ts';
import { declareRoleQueries, discoverGroup, findHeaderClasses, headerClassStarts, refindHeaderClasses, stillPlays, type Problem, type TargetGroup } from './roles.ts';
import { flawsOf, inRegion, type Flaw } from './flaws.ts';
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

const declared = new WeakMap<Codemod, Record<string, Parser.Query>>();

/** A codemod's queries, declared for the run (compiled with the others on first use: see declareQueries). */
function viewsOf(mod: Codemod): Record<string, Parser.Query> {
  let views = declared.get(mod);
  if (!views) declared.set(mod, (views = declareQueries(mod.queries, `codemods/${mod.meta.id}/`)));
  return views;
}

function queryOf(mod: Codemod, name: string): Parser.Query {
  const q = viewsOf(mod)[name];
  if (!q) throw new MemfixError(`${mod.meta.id}: no query ${name}.scm`);
  return q;
}

/** A group's files as they are now: its role files, then its other members (in path order). */
function groupFiles(group: TargetGroup): SourceFile[] {
  const roles = Object.values(group.files).filter((f): f is SourceFile => f !== undefined);
  const rolePaths = new Set(roles.map((f) => f.path));
  return [...roles, ...(group.members ?? []).filter((m) => !rolePaths.has(m.path))];
}

/** Run one codemod on one target group. */
export function runCodemod(mod: Codemod, group: TargetGroup): Result {
  const missing = missingRoles(mod, group);
  if (missing.length) return { status: 'missing', reason: `no ${missing.join(', ')} file found` };
  const ctx: Context = { files: group.files, className: group.className, query: (name) => queryOf(mod, name), filesNaming: (name) => groupFiles(group).filter((s) => s.text.includes(name)) };
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
  /** files that look like targets but cannot be read or parsed as one, or are broken where a fix reads or writes: the command exits 2 */
  problems: Problem[];
  /** a syntax error or conflict marker in a target file outside every region the fixes read or write (src/flaws.ts) */
  warnings: Problem[];
  /** how many groups hold a target (0: the tree has none, and every fix reports it missing) */
  found: number;
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

/**
 * Let the event loop run, so that a signal (Ctrl-C, SIGTERM) ends the run now rather than when
 * the whole plan is done: planning is synchronous work, and node runs a signal's handler only
 * between two turns of its event loop.
 */
const signalsNow = () => new Promise<void>((r) => setImmediate(r));

/** Plan (and with `decide`, choose) the fixes on a tree in memory or on a folder's files. */
export async function plan(input: Tree | FileSource, mods: Codemod[], opts: PlanOptions = {}): Promise<Plan> {
  const files = input instanceof Map ? treeSource(input) : input;
  // every query the run may use, declared now: the first one run compiles them all as one
  declareRoleQueries();
  for (const mod of mods) viewsOf(mod);
  const steps: Step[] = [];
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const histories = new Map<string, History>();
  let found = 0;
  for (const { root, paths } of files.groups) {
    await signalsNow();
    const readProblems: Problem[] = [];
    const groupProblems: Problem[] = [];
    /** the files read (they passed a role's token test) */
    const read: string[] = [];
    /** where each file's role is (the header's class, a SWIG file's lambda, pointer, setters): regions the fixes read */
    const anchors = new Map<string, [number, number][]>();
    const open = (path: string, test: Parameters<FileSource['read']>[1]) => {
      const r = files.read(path, test, readProblems);
      if (!r) return null;
      read.push(path);
      return parseSource(path, r.text);
    };
    const group: TargetGroup = discoverGroup(root, paths, open, groupProblems, anchors) ?? { root, files: {}, members: [] };
    const members = group.members ?? [];
    problems.push(...readProblems);
    if (read.length === 0) continue;
    const has = Object.keys(group.files).length > 0;
    const first = steps.length;
    const groupWarnings: Problem[] = [];
    if (has) {
      found++;
      // the flaws of the group's files, found on their parse as read (the fixes re-parse what they change)
      const flaws = new Map<string, { text: string; flaws: Flaw[]; role: boolean }>();
      const reported = new Set(groupProblems.map((p) => p.file));
      for (const src of [...Object.values(group.files), ...members]) {
        if (!src || reported.has(src.path)) continue;
        const f = flawsOf(src);
        if (f.length) flaws.set(src.path, { text: src.text, flaws: f, role: anchors.has(src.path) || src === group.files.header });
      }
      const h = group.files.header;
      if (h && flaws.has(h.path)) anchors.set(h.path, findHeaderClasses(h).filter((c) => c.name === group.className).map((c) => [c.classNode.startIndex, c.classNode.endIndex]));
      // what the fixes read and write (the lines they report or edit) decides where a flaw is
      const touched = new Map<string, Set<number>>();
      const judge = () => judgeFlaws(flaws, anchors, touched, groupProblems, groupWarnings);
      if (!flaws.size) await planGroup(group, mods, opts, steps, histories, files.original);
      else if (opts.decide) {
        // judged before anyone is asked about a fix: a probe run on fresh parses, taking every
        // selected fix (what it reads and writes covers what any choice would)
        const copyOf = (f: SourceFile) => parseSource(f.path, f.text);
        const probe: TargetGroup = { root, className: group.className, files: Object.fromEntries(Object.entries(group.files).map(([r, f]) => [r, copyOf(f!)])), members: members.map(copyOf) };
        await planGroup(probe, mods, { only: opts.only }, [], new Map(), files.original, touched);
        if (!judge()) await planGroup(group, mods, opts, steps, histories, files.original);
      } else {
        await planGroup(group, mods, opts, steps, histories, files.original, touched);
        if (judge()) {
          // no verdict on a group broken where the fixes read or write: its steps and edits go
          steps.splice(first);
          for (const path of read) histories.delete(path);
        }
      }
    }
    problems.push(...groupProblems);
    warnings.push(...groupWarnings);
    await releaseTrees();
  }
  // no target anywhere: every fix reports what it misses, once
  if (found === 0) await planGroup({ root: '', files: {} }, mods, opts, steps, histories, files.original);

  const originals = (): Tree => {
    if (input instanceof Map) return input;
    const out: Tree = new Map();
    for (const { paths } of files.groups) for (const p of paths) { const t = files.original(p); if (t !== undefined) out.set(p, t); }
    return out;
  };
  const finalTexts = (): Tree => {
    const out: Tree = new Map(originals());
    for (const [p, h] of histories) out.set(p, h.textAfter(h.batches.length));
    return out;
  };
  let tree: Tree | undefined;
  let original: Tree | undefined;
  return {
    steps,
    problems,
    warnings,
    found,
    get tree() { return (tree ??= finalTexts()); },
    get original() { return (original ??= originals()); },
  };
}

/** Run every codemod on one group, in order, each on the state the taken ones leave. */
async function planGroup(group: TargetGroup, mods: Codemod[], opts: PlanOptions, steps: Step[], histories: Map<string, History>, original: (path: string) => string | undefined, touched?: Map<string, Set<number>>): Promise<void> {
  const root = group.root;
  const status = new Map<string, 'taken' | 'applied' | 'not'>();
  const roleOf = (path: string) => (Object.keys(group.files) as Role[]).find((r) => group.files[r]?.path === path);
  const current = (path: string): SourceFile | undefined => {
    const r = roleOf(path);
    return r ? group.files[r] : group.members?.find((m) => m.path === path);
  };
  for (const mod of mods) {
    await signalsNow();
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
    if (touched) recordTouched(touched, outcome, edits, current, histories);
    // what each changed file looked like before this step: its history so far
    const at = new Map([...edits.keys()].map((p) => [p, histories.get(p)?.batches.length ?? 0]));
    const texts = new Map([...edits.keys()].map((p) => [p, current(p)!.text]));
    const step = lazyChanges({ codemod: mod, group: root, outcome, taken: false }, edits, textBefore(texts, at, histories, original));
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
          const role = roleOf(path);
          const starts = role === 'header' ? headerClassStarts(src) : undefined;
          const next = reparseSource(src, after, fileEdits);
          if (starts) refindHeaderClasses(next, starts, fileEdits);
          const members = (group.members ??= []).filter((m) => m.path !== path);
          // a fix should leave its file in its role; if it does not, the fixes after it see it as a member only
          if (!role) members.push(next);
          else if (stillPlays(next, role, group)) group.files[role] = next;
          else { delete group.files[role]; members.push(next); }
          group.members = members;
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
  // nothing planned keeps the group's syntax trees
  group.files = {};
  group.members = [];
}

/** The lines (in the files as read) a step reports a place at or edits: the regions it reads or writes (src/flaws.ts). */
function recordTouched(touched: Map<string, Set<number>>, outcome: Outcome, edits: Map<string, Edit[]>, current: (path: string) => SourceFile | undefined, histories: Map<string, History>): void {
  const add = (file: string, line: number) => { let s = touched.get(file); if (!s) touched.set(file, (s = new Set())); s.add(line); };
  if (outcome.status === 'drift') add(outcome.at.file, outcome.at.line);
  if (outcome.status === 'apply' || outcome.status === 'applied') for (const l of outcome.at) add(l.file, l.line);
  for (const [path, list] of edits) {
    const h = histories.get(path);
    const text = h?.original ?? current(path)!.text;
    for (const e of list) for (const i of [e.start, e.end]) add(path, lineOf(text, h ? originalIndex(h.batches, i) : i));
  }
}

/**
 * The flaws of a group's files judged against its regions: the first flaw in a region of each
 * file (or a conflict marker anywhere in a role file) is a problem (and the group is broken:
 * true), the first syntax error elsewhere in a role file is a warning.
 */
function judgeFlaws(flaws: Map<string, { text: string; flaws: Flaw[]; role: boolean }>, anchors: Map<string, [number, number][]>, touched: Map<string, Set<number>>, problems: Problem[], warnings: Problem[]): boolean {
  let broken = false;
  for (const [file, { text, flaws: list, role }] of flaws) {
    const ranges = anchors.get(file) ?? [];
    const lines = touched.get(file) ?? new Set<number>();
    const region = (f: Flaw) => inRegion(f, text, ranges, lines);
    // a target file in the middle of a merge is not fixed, wherever its conflict is
    const inside = list.filter((f) => region(f) || (role && f.kind === 'conflict-marker'));
    if (inside.length) {
      const f = inside[0]!;
      const where = region(f) ? 'in code the fixes read or write' : 'in a target file (memfix fixes no file in the middle of a merge)';
      problems.push({ file, line: f.line, kind: f.kind, message: `${f.message}, ${where}${inside.length > 1 ? ` (and ${inside.length - 1} more)` : ''}; nothing is judged or written until it is fixed` });
      broken = true;
    } else if (role) {
      const f = list[0]!;
      warnings.push({ file, line: f.line, kind: f.kind, message: `${f.message}, outside the code the fixes read or write${list.length > 1 ? ` (and ${list.length - 1} more)` : ''}; the fixes are judged without it` });
    }
  }
  return broken;
}

/**
 * A step's text before it: while its group is planned, the current text; afterwards, rebuilt
 * from the file's history. (A function of its own: a closure made inside planGroup would keep
 * planGroup's whole scope, syntax trees included, alive as long as the step.)
 */
function textBefore(texts: Map<string, string>, at: Map<string, number>, histories: Map<string, History>, original: (path: string) => string | undefined) {
  return (p: string) => texts.get(p) ?? (at.get(p) ? histories.get(p)!.textAfter(at.get(p)!) : original(p)!);
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
