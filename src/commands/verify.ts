/**
 * memfix verify: build the tree's C++ with the sanitizers and run the scenarios that prove each
 * fix; with --compare, also on a copy with every needed fix applied, side by side. --std picks
 * the C++ standard (default C++14, upstream's). --mutants proves the proof: every mutant of the
 * fixed tree (a fix undone in one place) must fail a scenario.
 */
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { resolve } from 'node:path';
import { checkToolchain } from '../verify/build.ts';
import { verifyTree, type TreeVerdict } from '../verify/run.ts';
import { readTree } from '../workspace.ts';
import { codemodsFor, out } from './common.ts';
import { plan } from '../engine.ts';
import { runMutants, type MutantResult, type MutantsReport } from '../verify/mutants.ts';

export interface Table { header: string[]; rows: string[][] }

export function verdictTable(columns: { title: string; verdict: TreeVerdict }[]): Table {
  const first = columns.find((c) => c.verdict.scenarios.length)?.verdict ?? columns[0]!.verdict;
  const cell = (v: TreeVerdict, name: string) => (v.buildError ? 'does not build' : v.results.find((r) => r.name === name)?.summary ?? '-');
  const rows = first.scenarios.map((s) => [s.name, s.fix, ...columns.map((c) => cell(c.verdict, s.name))]);
  return { header: ['scenario', 'proves', ...columns.map((c) => c.title)], rows };
}

export function formatTable(t: Table, colour = false): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => {
    const cell = c.padEnd(widths[i]!);
    if (!colour || i < 2) return cell;
    return c === 'pass' ? pc.green(cell) : pc.red(cell);
  }).join('  ').trimEnd();
  return [line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

export const allPass = (v: TreeVerdict) => v.results.every((r) => r.pass);

export interface VerifyCommandOptions { compare?: boolean; tsan?: boolean; keep?: boolean; std?: string; mutants?: boolean }

export async function verify(dir: string, o: VerifyCommandOptions): Promise<void> {
  checkToolchain();
  if (o.std !== undefined && !/^(c|gnu)\+\+\d\d$/.test(o.std)) throw new MemfixError(`--std must be like c++14 or gnu++17, got "${o.std}"`);
  const tree = readTree(resolve(dir));
  if (o.mutants) return mutants(tree, o);
  // with --compare, a "before" that does not build (upstream HEAD, say) is a column of its own
  const before = await verifyTree(tree, { tsan: o.tsan, keep: o.keep, label: 'before', std: o.std }).catch((e: Error) => {
    if (!o.compare || !(e instanceof MemfixError) || !e.message.startsWith('cannot build')) throw e;
    return { scenarios: [], results: [], buildError: e.message } as TreeVerdict;
  });
  const columns = [{ title: o.compare ? 'before' : 'result', verdict: before }];
  if (o.compare) {
    const { mods } = await codemodsFor();
    const fixed = (await plan(tree, mods)).tree;
    columns.push({ title: 'after', verdict: await verifyTree(fixed, { tsan: o.tsan, keep: o.keep, label: 'after', std: o.std }) });
  }
  out(formatTable(verdictTable(columns), pc.isColorSupported));
  for (const c of columns) if (c.verdict.buildError) out(`${c.title}: ${c.verdict.buildError}`);
  for (const c of columns) for (const g of c.verdict.glue ?? []) out(`${columns.length > 1 ? `${c.title}: ` : ''}${g}`);
  const last = columns.at(-1)!.verdict;
  const n = last.results.filter((r) => r.pass).length;
  out(`\n${n} of ${last.results.length} scenarios pass${o.compare ? ' after the fixes' : ''}`);
  process.exitCode = allPass(last) ? 0 : 1;
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
