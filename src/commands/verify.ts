/**
 * memfix verify: build the tree's C++ with the sanitizers and run the scenarios that prove each
 * fix; with --compare, also on a copy with every needed fix applied, side by side. --std picks
 * the C++ standard (default C++14, upstream's). --mutants proves the proof: every mutant of the
 * fixed tree (a fix undone in one place) must fail a scenario. Progress goes to stderr when it is
 * a terminal; the result is a report, printed in the formats asked for.
 */
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { resolve } from 'node:path';
import { checkToolchain } from '../verify/build.ts';
import { verifyTree, type TreeVerdict, type VerifyProgress } from '../verify/run.ts';
import { readTree } from '../workspace.ts';
import { codemodsFor, out } from './common.ts';
import { plan } from '../engine.ts';
import { base, type VerifyReport } from '../render/report.ts';
import { emit, parseFormats } from '../render/index.ts';
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
export function verifyReport(dir: string, columns: { title: string; verdict: TreeVerdict }[]): VerifyReport {
  const first = columns.find((c) => c.verdict.scenarios.length)?.verdict ?? columns[0]!.verdict;
  const last = columns.at(-1)!.verdict;
  const report: VerifyReport = {
    ...base(dir, ''),
    command: 'verify',
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

/** Progress on stderr, only when it is a terminal: each build as it starts, each scenario as it finishes. */
function progressDisplay(): ((p: VerifyProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    const line = p.kind === 'build'
      ? `${pc.dim(`[${p.label}]`)} building with ${p.sanitizer} ...`
      : `${pc.dim(`[${p.label}]`)} ${p.pass ? pc.green('pass') : pc.red('FAIL')} ${p.name}${p.pass ? '' : pc.dim(`: ${p.summary}`)}`;
    // one line each, cut to the terminal's width
    const width = process.stderr.columns || 100;
    const visible = line.replace(/\x1b\[[0-9;]*m/g, '');
    process.stderr.write((visible.length >= width ? visible.slice(0, width - 2) + '…' : line) + '\n');
  };
}

export interface VerifyCommandOptions { compare?: boolean; tsan?: boolean; keep?: boolean; std?: string; mutants?: boolean; format?: string[] }

export async function verify(dir: string, o: VerifyCommandOptions): Promise<void> {
  const targets = parseFormats(o.format, ['text', 'json', 'github', 'junit'], 'verify');
  if (o.mutants && o.format?.length) throw new MemfixError('--mutants prints text only: leave out --format');
  checkToolchain();
  if (o.std !== undefined && !/^(c|gnu)\+\+\d\d$/.test(o.std)) throw new MemfixError(`--std must be like c++14 or gnu++17, got "${o.std}"`);
  const tree = readTree(resolve(dir));
  if (o.mutants) return mutants(tree, o);
  const onProgress = progressDisplay();
  // with --compare, a "before" that does not build (upstream HEAD, say) is a column of its own
  const before = await verifyTree(tree, { tsan: o.tsan, keep: o.keep, label: o.compare ? 'before' : 'tree', std: o.std, onProgress }).catch((e: Error) => {
    if (!o.compare || !(e instanceof MemfixError) || !e.message.startsWith('cannot build')) throw e;
    return { scenarios: [], results: [], buildError: e.message } as TreeVerdict;
  });
  const columns = [{ title: o.compare ? 'before' : 'result', verdict: before }];
  if (o.compare) {
    const { mods } = await codemodsFor();
    const fixed = (await plan(tree, mods)).tree;
    columns.push({ title: 'after', verdict: await verifyTree(fixed, { tsan: o.tsan, keep: o.keep, label: 'after', std: o.std, onProgress }) });
  }
  const report = verifyReport(dir, columns);
  emit(report, targets, resolve(dir));
  process.exitCode = report.exitCode;
}

const mutantLine = (r: MutantResult) =>
  `  ${r.killed ? 'killed  ' : 'SURVIVED'}  ${r.codemod}/${r.id}: ${r.description}\n            ${r.killed ? `by ${r.by}: ${r.summary}` : r.summary}`;

/** The end of verify --mutants: the count, every survivor by name, and the exit code (1 when one survives). */
export function mutantsVerdict(report: MutantsReport): { lines: string[]; exitCode: number } {
  const failing = report.baseline.results.filter((r) => !r.pass);
  if (report.baseline.buildError || failing.length)
    return { lines: [`the fixed tree fails ${failing.length ? failing.map((r) => `${r.name} (${r.summary})`).join(', ') : report.baseline.buildError}: no mutant was run`], exitCode: 1 };
  const survivors = report.results.filter((r) => !r.killed);
  const lines = [`mutants killed ${report.results.length - survivors.length} of ${report.results.length}`];
  if (survivors.length) lines.push(`survivors: ${survivors.map((r) => `${r.codemod}/${r.id}`).join(', ')}`);
  if (!report.results.length) lines.push('no codemod has mutants: nothing proves the proof');
  return { lines, exitCode: survivors.length || !report.results.length ? 1 : 0 };
}

/** verify --mutants: the fixed tree passes every scenario (ASan and TSan), and every mutant fails one. */
async function mutants(tree: ReturnType<typeof readTree>, o: VerifyCommandOptions): Promise<void> {
  const { mods } = await codemodsFor();
  out('mutants of the tree with every fix applied (each undoes a fix in one place):');
  const report = await runMutants(tree, mods, { std: o.std, onResult: (r) => out(mutantLine(r)) });
  for (const g of report.baseline.glue ?? []) out(g);
  const verdict = mutantsVerdict(report);
  out('\n' + verdict.lines.join('\n'));
  process.exitCode = verdict.exitCode;
}
