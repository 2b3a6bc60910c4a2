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
import { verifyTree, type TreeVerdict, type VerifyProgress } from '../verify/run.ts';
import { checkDir, readTree } from '../workspace.ts';
import { notePendingJournal } from '../transaction.ts';
import { codemodsFor, planProblems, reportProblems } from './common.ts';
import { plan } from '../engine.ts';
import { base, type MutantReport, type VerifyReport } from '../render/report.ts';
import { emit, parseFormats, type Target } from '../render/index.ts';
import { progressSink, summaryLine, type ProgressSink } from '../render/progress.ts';
import { workTree } from '../git.ts';
import type { Table } from '../render/table.ts';
import { runMutants, type MutantResult, type MutantsReport } from '../verify/mutants.ts';

export { formatTable, type Table } from '../render/table.ts';

export function verdictTable(columns: { title: string; verdict: TreeVerdict }[]): Table {
  const first = columns.find((c) => c.verdict.scenarios.length)?.verdict ?? columns[0]!.verdict;
  const cell = (v: TreeVerdict, name: string) => (v.buildError ? 'does not build' : v.results.find((r) => r.name === name)?.summary ?? '-');
  const rows = first.scenarios.map((s) => [s.name, s.fix, ...columns.map((c) => cell(c.verdict, s.name))]);
  return { header: ['scenario', 'proves', ...columns.map((c) => c.title)], rows };
}

export const allPass = (v: TreeVerdict) => v.results.every((r) => r.pass);

/** The columns as a report: the scenarios of the first column that has any, each with one result per column. */
export function verifyReport(dir: string, columns: { title: string; verdict: TreeVerdict }[], std = DEFAULT_STD): VerifyReport {
  const first = columns.find((c) => c.verdict.scenarios.length)?.verdict ?? columns[0]!.verdict;
  const last = columns.at(-1)!.verdict;
  const report: VerifyReport = {
    ...base(dir, ''),
    command: 'verify',
    std,
    columns: columns.map((c) => ({ title: c.title, ...(c.verdict.buildError ? { buildError: c.verdict.buildError } : {}), ...(c.verdict.glue?.length ? { glue: c.verdict.glue } : {}) })),
    scenarios: first.scenarios.map((s) => ({
      name: s.name,
      fix: s.fix,
      description: s.description,
      results: columns.map((c) => {
        const r = c.verdict.results.find((x) => x.name === s.name);
        return r ? { pass: r.pass, summary: r.summary } : null;
      }),
    })),
  };
  report.exitCode = !last.buildError && allPass(last) ? 0 : 1;
  return report;
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
  const { mods } = await codemodsFor();
  const planned = await plan(tree, mods);
  const problems = planProblems(resolve(dir), planned);
  if (problems.length) {
    const report: VerifyReport = { ...base(dir, ''), command: 'verify', std: o.std ?? DEFAULT_STD, columns: [], scenarios: [], exitCode: 2 };
    report.problems.push(...problems);
    report.warnings.push(...planned.warnings);
    emit(report, targets, resolve(dir));
    process.exitCode = 2;
    return;
  }
  reportProblems(dir, [], planned.warnings);
  const sink = progressSink();
  const onProgress = (p: VerifyProgress) => sink.step(p);
  if (o.mutants) return mutants(dir, tree, o, targets, sink);
  // with --compare, a "before" that does not build (upstream HEAD, say) is a column of its own
  const before = await verifyTree(tree, { tsan: o.tsan, keep: o.keep, label: o.compare ? 'before' : 'tree', std: o.std, onProgress }).catch((e: Error) => {
    if (!o.compare || !(e instanceof MemfixError) || !e.message.startsWith('cannot build')) throw e;
    return { scenarios: [], results: [], buildError: e.message } as TreeVerdict;
  });
  const columns = [{ title: o.compare ? 'before' : 'result', verdict: before }];
  if (o.compare) {
    const fixed = planned.tree;
    columns.push({ title: 'after', verdict: await verifyTree(fixed, { tsan: o.tsan, keep: o.keep, label: 'after', std: o.std, onProgress }) });
  }
  const report = verifyReport(dir, columns, o.std);
  finish(report, targets, sink);
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
async function mutants(dir: string, tree: ReturnType<typeof readTree>, o: VerifyCommandOptions, targets: Target[], sink: ProgressSink): Promise<void> {
  const { mods } = await codemodsFor();
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
  const out: VerifyReport = { ...verifyReport(dir, [{ title: 'fixed', verdict: report.baseline }], o.std), mutants: verdict.mutants };
  out.exitCode = verdict.exitCode;
  finish(out, targets, sink);
}
