/** memfix scan: each fix's outcome on DIR, in the formats asked for. Exit 0 nothing to do, 1 a fix is needed (or cannot be made), 2 bad input. */
import { resolve } from 'node:path';
import { workTree } from '../git.ts';
import { base, needsWork, outcomeOf, ruleOf, type ScanReport } from '../render/report.ts';
import { emit, FORMATS, needsTop, parseFormats } from '../render/index.ts';
import { dependencyNote, withDependencies } from '../select.ts';
import { planDir } from './common.ts';
import { notePendingJournal } from '../transaction.ts';

export async function scan(dir: string, o: { fix?: string[]; format?: string[] }): Promise<void> {
  const targets = parseFormats(o.format, FORMATS, 'scan');
  const { fix, added } = withDependencies(o.fix);
  if (added.length) process.stderr.write(`memfix: ${dependencyNote(o.fix!, added)}\n`);
  notePendingJournal(resolve(dir), dir, false);
  const planned = await planDir(dir, fix);
  const wt = needsTop(targets) ? workTree(planned.root) : null;
  const shown = fix ? planned.steps.filter((s) => fix.includes(s.codemod.meta.id)) : planned.steps;
  const report: ScanReport = { ...base(dir, wt?.prefix ?? ''), command: 'scan', rules: planned.mods.map((m) => ruleOf(m.meta)), fixes: shown.map(outcomeOf) };
  report.problems.push(...planned.problems);
  report.warnings.push(...planned.warnings);
  report.exitCode = report.problems.length ? 2 : report.fixes.some(needsWork) ? 1 : 0;
  emit(report, targets, wt?.top ?? resolve(dir));
  process.exitCode = report.exitCode;
}
