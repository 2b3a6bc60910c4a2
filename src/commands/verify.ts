/**
 * memfix verify: build the tree's C++ with the sanitizers and run the scenarios that prove each
 * fix; with --compare, also on a copy with every needed fix applied, side by side. --std picks
 * the C++ standard (default C++14, upstream's). --mutants proves the proof: every mutant of the
 * fixed tree (a fix undone in one place) must fail a scenario. Progress goes to stderr (folded in
 * CI: ../render/progress.ts), then one summary line; the result is a report, printed in the formats asked for.
 */
import { MemfixError } from '../errors.ts';
import { resolve } from 'node:path';
import { checkToolchain, DEFAULT_STD } from '../verify/build.ts';
import { buildTree, cflags, completeGroup, runTree, verifyTree, type TreeVerdict, type VerifyProgress } from '../verify/run.ts';
import { defaultFlags, readBuildFlags, stdOf, type BuildFlags } from '../verify/build-flags.ts';
import { abiOf, changedCppFiles, compileTree, failureLine, noLongerCompiles, treeSet, type CompileReport, type FlagSet } from '../verify/compile-step.ts';
import type { Tree } from '../workspace.ts';
import { checkDir, readTree } from '../workspace.ts';
import { notePendingJournal } from '../transaction.ts';
import { codemodsFor, planDir, reportProblems } from './common.ts';
import { plan } from '../engine.ts';
import { base, type BuildReport, type MutantReport, type VerifyReport } from '../render/report.ts';
import { emit, parseFormats, type Target } from '../render/index.ts';
import { progressSink, summaryLine, type ProgressSink } from '../render/progress.ts';
import { workTree } from '../git.ts';
import type { Table } from '../render/table.ts';
import { runMutants, type MutantResult, type MutantsReport } from '../verify/mutants.ts';

export { formatTable, type Table } from '../render/table.ts';

/** The compile step's verdict on one column: its first failure (file:line), or pass. */
export interface CompileColumn { pass: boolean; summary: string; file?: string; line?: number; notes: string[] }

export function compileColumn(r: CompileReport): CompileColumn {
  const f = r.failures[0];
  const more = r.failures.length > 1 ? ` (and ${r.failures.length - 1} more)` : '';
  return f
    ? { pass: false, summary: failureLine(f) + more, ...(f.file ? { file: f.file } : {}), ...(f.line ? { line: f.line } : {}), notes: [] }
    : { pass: true, summary: 'pass', notes: [] };
}

/** The compile step as a row of the verify table (it proves the tree builds as its own build does). */
export const COMPILE_ROW = { name: 'compile', fix: 'build' };

export function verdictTable(columns: { title: string; verdict: TreeVerdict; compile?: CompileColumn }[]): Table {
  const first = columns.find((c) => c.verdict.scenarios.length)?.verdict ?? columns[0]!.verdict;
  const cell = (v: TreeVerdict, name: string) => (v.buildError ? 'does not build' : v.results.find((r) => r.name === name)?.summary ?? '-');
  const rows = first.scenarios.map((s) => [s.name, s.fix, ...columns.map((c) => cell(c.verdict, s.name))]);
  if (columns.some((c) => c.compile)) rows.unshift([COMPILE_ROW.name, COMPILE_ROW.fix, ...columns.map((c) => c.compile?.summary ?? '-')]);
  return { header: ['scenario', 'proves', ...columns.map((c) => c.title)], rows };
}

export const allPass = (v: TreeVerdict) => v.results.every((r) => r.pass);

/** The columns as a report: the scenarios of the first column that has any, each with one result per column. */
export function verifyReport(dir: string, columns: { title: string; verdict: TreeVerdict; compile?: CompileColumn }[], std = DEFAULT_STD, build?: BuildReport): VerifyReport {
  const first = columns.find((c) => c.verdict.scenarios.length)?.verdict ?? columns[0]!.verdict;
  const last = columns.at(-1)!;
  const report: VerifyReport = {
    ...base(dir, ''),
    command: 'verify',
    std,
    ...(build ? { build } : {}),
    columns: columns.map((c) => ({
      title: c.title,
      ...(c.verdict.buildError ? { buildError: c.verdict.buildError } : {}),
      ...(c.verdict.glue?.length ? { glue: c.verdict.glue } : {}),
      ...(c.compile?.notes.length ? { compile: c.compile.notes } : {}),
    })),
    scenarios: [
      ...(columns.some((c) => c.compile) ? [{
        ...COMPILE_ROW,
        description: build ? `the header and the SWIG glue compile (-fsyntax-only) with g++ and clang++ and ${build.compile.name}: ${build.compile.args.join(' ')}` : 'the header and the SWIG glue compile with g++ and clang++',
        results: columns.map((c) => (c.compile ? { pass: c.compile.pass, summary: c.compile.summary, ...(c.compile.file ? { file: c.compile.file } : {}), ...(c.compile.line ? { line: c.compile.line } : {}) } : null)),
      }] : []),
      ...first.scenarios.map((s) => ({
        name: s.name,
        fix: s.fix,
        description: s.description,
        results: columns.map((c) => {
          const r = c.verdict.results.find((x) => x.name === s.name);
          return r ? { pass: r.pass, summary: r.summary } : null;
        }),
      })),
    ],
  };
  report.exitCode = !last.verdict.buildError && allPass(last.verdict) && (last.compile?.pass ?? true) ? 0 : 1;
  return report;
}

/** The flags a tree's build declares (its group's Makefile or CMakeLists.txt on disk), as a report. */
export function buildFlagsOf(root: string, tree: Tree): BuildFlags {
  let group;
  try { group = completeGroup(tree); } catch { return defaultFlags(); }
  return readBuildFlags(root, group.root);
}

export function buildReport(bf: BuildFlags, set: FlagSet, sanitizerStd: string): BuildReport {
  const sanitizer = [`-std=${sanitizerStd}`, '-pedantic-errors', ...cflags()];
  return {
    source: bf.source, ...(bf.file ? { file: bf.file } : {}), std: bf.std, flags: bf.flags, ignored: bf.ignored, notes: bf.notes,
    compile: { name: set.name, args: set.args },
    sanitizer: { name: `pkg-config's flags, ABI ${abiOf(sanitizer)}`, args: sanitizer },
  };
}

/** The compile step on one tree: its column, with its wall time, and progress on a terminal. */
async function compileStep(label: string, tree: Tree, set: FlagSet, files: string[], sink: ProgressSink): Promise<{ col: CompileColumn; report: CompileReport }> {
  sink.note(label, `compiling with g++ and clang++ (${set.name}) ...`);
  const onProgress = (p: VerifyProgress) => sink.step(p);
  const report = await compileTree(tree, [set], { files });
  const col = compileColumn(report);
  onProgress?.({ kind: 'scenario', label, name: COMPILE_ROW.name, pass: col.pass, summary: col.summary });
  col.notes.push(`the compile step took ${(report.ms / 1000).toFixed(1)} s (${report.compiles} compiler runs, ${report.cached} known to pass already)`);
  return { col, report };
}

export interface VerifyCommandOptions { compare?: boolean; tsan?: boolean; keep?: boolean; std?: string; mutants?: boolean; format?: string[] }

export async function verify(dir: string, o: VerifyCommandOptions): Promise<void> {
  const targets = parseFormats(o.format, ['text', 'json', 'github', 'junit', 'codequality'], 'verify');
  checkDir(dir);
  checkToolchain();
  if (o.std !== undefined && !/^(c|gnu)\+\+\d\d$/.test(o.std)) throw new MemfixError(`--std must be like c++14 or gnu++17, got "${o.std}"`);
  notePendingJournal(resolve(dir), dir, false);
  const tree = readTree(resolve(dir));
  // a tree scan would refuse (no target, a broken header, a syntax error where the fixes read or write) is not built
  // the folder as scan sees it (a link with a target's name is refused there, never skipped)
  const checked = await planDir(dir);
  const problems = checked.problems;
  if (problems.length) {
    const report: VerifyReport = { ...base(dir, ''), command: 'verify', std: o.std ?? DEFAULT_STD, columns: [], scenarios: [], exitCode: 2 };
    report.problems.push(...problems);
    report.warnings.push(...checked.warnings);
    emit(report, targets, resolve(dir));
    process.exitCode = 2;
    return;
  }
  reportProblems(dir, [], checked.warnings);
  const { mods } = await codemodsFor();
  const planned = await plan(tree, mods);
  const sink = progressSink();
  const onProgress = (p: VerifyProgress) => sink.step(p);
  // the tree's own flags: its standard for every build (unless --std), its macros for the compile step
  const bf = buildFlagsOf(resolve(dir), tree);
  const std = o.std ?? stdOf(bf);
  const set = treeSet(bf, o.std);
  const build = buildReport(bf, set, std);
  if (o.mutants) return mutants(dir, tree, { ...o, std }, targets, sink, set, build);
  const fixed = o.compare ? planned.tree : undefined;
  // the C++ files memfix changes that the glue does not compile: each is compiled on its own, before and after
  const files = fixed ? changedCppFiles(tree, fixed) : [];
  if (!fixed) {
    const compile = await compileStep('tree', tree, set, files, sink);
    const verdict = await verifyTree(tree, { tsan: o.tsan, keep: o.keep, label: 'tree', std, onProgress });
    return finish(verifyReport(dir, [{ title: 'result', verdict, compile: compile.col }], std, build), targets, sink);
  }
  // --compare: both trees are built at once (harness/build.sh compiles the harness object once:
  // the other build waits for it), each column's compile step once its build is done, beside
  // its scenarios. "After"'s lines are told as they come (its scenarios, real sessions that
  // mostly wait on rate limits and peers, take longest); what "before" says is held back until
  // "after" is done: the same lines, in the same order, as one column after the other.
  const held = holdBack(sink);
  // a column: its build (its line told as it starts), then its compile step beside its scenarios
  // (their lines told after the compile step's verdict). A tree that does not build ("before" on
  // upstream HEAD, say) is a column of its own.
  const column = async (label: 'before' | 'after', t: Tree, out: ProgressSink) => {
    const afterCompile = holdBack(out);
    const onProgress = (p: VerifyProgress) => (p.kind === 'build' ? out : afterCompile.sink).step(p);
    try {
      const tb = await buildTree(t, { tsan: o.tsan, keep: o.keep, label, std, onProgress }).catch((e: Error) => {
        if (!(e instanceof MemfixError) || !e.message.startsWith('cannot build')) throw e;
        return e.message;
      });
      const compiled = compileStep(label, t, set, files, out).finally(() => afterCompile.release());
      if (typeof tb === 'string') return { compile: await compiled, verdict: { scenarios: [], results: [], buildError: tb } as TreeVerdict };
      compiled.catch(() => undefined); // awaited below; not an unhandled rejection if the scenarios fail first
      try {
        const verdict = await runTree(tb, { tsan: o.tsan, label, onProgress });
        return { compile: await compiled, verdict };
      } finally {
        tb.dispose();
      }
    } finally {
      afterCompile.release();
    }
  };
  const afterColumn = column('after', fixed, sink).finally(() => held.release());
  const beforeColumn = column('before', tree, held.sink);
  // neither column is left running when the other fails
  const [a, b] = await Promise.allSettled([afterColumn, beforeColumn]);
  if (b.status === 'rejected') throw b.reason;
  if (a.status === 'rejected') throw a.reason;
  const before = b.value;
  const after = a.value;
  // a file memfix changed that compiled before and does not now: named
  after.compile.col.notes.unshift(...noLongerCompiles(tree, fixed, before.compile.report, after.compile.report));
  const columns: { title: string; verdict: TreeVerdict; compile?: CompileColumn }[] = [
    { title: 'before', verdict: before.verdict, compile: before.compile.col },
    { title: 'after', verdict: after.verdict, compile: after.compile.col },
  ];
  const report = verifyReport(dir, columns, std, build);
  finish(report, targets, sink);
}

/** A sink that holds every call back until release(), then passes them on in order (and later ones at once). */
function holdBack(sink: ProgressSink): { sink: ProgressSink; release(): void } {
  let queue: (() => void)[] | null = [];
  const later = (f: () => void) => (queue ? queue.push(f) : f());
  return {
    sink: {
      step: (p) => later(() => sink.step(p)),
      note: (label, text) => later(() => sink.note(label, text)),
      mutant: (m, done, total) => later(() => sink.mutant(m, done, total)),
      end: () => later(() => sink.end()),
    },
    release() {
      const q = queue;
      queue = null;
      for (const f of q ?? []) f();
    },
  };
}

/** The report in its formats, paths from the repository's top; then the one summary line on stderr. */
function finish(report: VerifyReport, targets: Target[], sink: ProgressSink): void {
  sink.end();
  const wt = workTree(resolve(report.dir));
  report.prefix = wt?.prefix ?? '';
  emit(report, targets, wt?.top ?? resolve(report.dir));
  process.stderr.write(summaryLine(report) + '\n');
  process.exitCode = report.exitCode;
}

const mutantReport = (r: MutantResult): MutantReport => ({ fix: r.codemod, id: r.id, description: r.description, killed: r.killed, ...(r.by ? { by: r.by } : {}), summary: r.summary });

/**
 * The mutants part of the report, and the exit code: 1 when a mutant survives, when there is none
 * (nothing proves the proof), or when the fixed tree itself fails (then no mutant was run).
 */
export function mutantsVerdict(report: MutantsReport): { mutants: NonNullable<VerifyReport['mutants']>; exitCode: number } {
  const failing = report.baseline.results.filter((r) => !r.pass);
  if (report.baseline.buildError || failing.length)
    return { mutants: { killed: 0, results: [], notRun: `the fixed tree fails ${failing.length ? failing.map((r) => `${r.name} (${r.summary})`).join(', ') : report.baseline.buildError}: no mutant was run` }, exitCode: 1 };
  const results = report.results.map(mutantReport);
  const killed = results.filter((r) => r.killed).length;
  return { mutants: { killed, results }, exitCode: killed < results.length || !results.length ? 1 : 0 };
}

/**
 * verify --mutants: the fixed tree passes every scenario (ASan and TSan), and every mutant fails
 * one. The report's one column is the fixed tree; its `mutants` say which scenario killed each.
 */
async function mutants(dir: string, tree: ReturnType<typeof readTree>, o: VerifyCommandOptions, targets: Target[], sink: ProgressSink, set: FlagSet, build: BuildReport): Promise<void> {
  const { mods } = await codemodsFor();
  // the fixed tree, as the mutants' baseline: it must compile with the tree's flags too
  const { col: compile } = await compileStep('fixed', (await plan(tree, mods)).tree, set, [], sink);
  let total = 0;
  let done = 0;
  const report = await runMutants(tree, mods, {
    std: o.std,
    onProgress: (p) => sink.step(p),
    onMutants: (n) => { total = n; },
    // a run takes long: each mutant's verdict as it comes, "n of m"
    onResult: (r) => sink.mutant({ fix: r.codemod, id: r.id, killed: r.killed, by: r.by }, ++done, total),
  });
  const verdict = mutantsVerdict(report);
  const out: VerifyReport = { ...verifyReport(dir, [{ title: 'fixed', verdict: report.baseline, compile }], o.std, build), mutants: verdict.mutants };
  out.exitCode = verdict.exitCode || (compile.pass ? 0 : 1);
  finish(out, targets, sink);
}
