/**
 * memfix verify: build the tree's C++ with the sanitizers and run the scenarios that prove each
 * fix; with --compare, also on a copy with every needed fix applied, side by side.
 */
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { resolve } from 'node:path';
import { checkToolchain } from '../verify/build.ts';
import { verifyTree, type TreeVerdict } from '../verify/run.ts';
import { readTree } from '../workspace.ts';
import { codemodsFor, out } from './common.ts';
import { plan } from '../engine.ts';

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

export async function verify(dir: string, o: { compare?: boolean; tsan?: boolean; keep?: boolean }): Promise<void> {
  checkToolchain();
  const tree = readTree(resolve(dir));
  // with --compare, a "before" that does not build (upstream HEAD, say) is a column of its own
  const before = await verifyTree(tree, { tsan: o.tsan, keep: o.keep, label: 'before' }).catch((e: Error) => {
    if (!o.compare || !(e instanceof MemfixError) || !e.message.startsWith('cannot build')) throw e;
    return { scenarios: [], results: [], buildError: e.message } as TreeVerdict;
  });
  const columns = [{ title: o.compare ? 'before' : 'result', verdict: before }];
  if (o.compare) {
    const { mods } = await codemodsFor();
    const fixed = (await plan(tree, mods)).tree;
    columns.push({ title: 'after', verdict: await verifyTree(fixed, { tsan: o.tsan, keep: o.keep, label: 'after' }) });
  }
  out(formatTable(verdictTable(columns), pc.isColorSupported));
  for (const c of columns) if (c.verdict.buildError) out(`${c.title}: ${c.verdict.buildError}`);
  const last = columns.at(-1)!.verdict;
  const n = last.results.filter((r) => r.pass).length;
  out(`\n${n} of ${last.results.length} scenarios pass${o.compare ? ' after the fixes' : ''}`);
  process.exitCode = allPass(last) ? 0 : 1;
}
