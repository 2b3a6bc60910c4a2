/** The human-readable renderer: what a terminal user reads. Problems go to stderr, one `memfix: file:line: what` line each. */
import { join } from 'node:path';
import pc from 'picocolors';
import type { CheckReport, FixOutcome, PatchCheckReport, Problem, Report, ScanReport, VerifyReport } from './report.ts';
import { formatTable, wrapCell, type Table } from './table.ts';

/** A line of prose in at most `width` columns: continuation lines start with `indent`. */
function wrapped(line: string, indent: string, width = 100): string[] {
  const [first, ...more] = wrapCell(line, width);
  return more.length ? [first!, ...wrapCell(more.join(' '), width - indent.length).map((x) => indent + x)] : [first!];
}

const label: Record<FixOutcome['status'], (s: string) => string> = {
  apply: pc.yellow,
  applied: pc.green,
  drift: pc.red,
  missing: pc.dim,
  blocked: pc.magenta,
};

const at = (l: { file: string; line: number }) => `${l.file}:${l.line}`;

/** One line for a fix's outcome; locations are relative to the scanned folder. */
export function outcomeLine(f: FixOutcome): string {
  const st = label[f.status](f.status.padEnd(8));
  const id = f.fix.padEnd(20);
  switch (f.status) {
    case 'apply': return `${st} ${id} ${f.locations.map(at).join(', ')}${f.notes.length ? `  (${f.notes.join('; ')})` : ''}`;
    case 'applied': return `${st} ${id} ${f.locations.map(at).join(', ')}`;
    case 'drift': return `${st} ${id} ${at(f.locations[0]!)}: ${f.message}`;
    case 'missing':
    case 'blocked': return `${st} ${id} ${f.message}`;
  }
}

/** `memfix: DIR/file:line: what`: the file as the user names it. */
export const problemLine = (dir: string, p: Problem) => `memfix: ${p.file ? join(dir, p.file) : dir}${p.line ? `:${p.line}` : ''}: ${p.message}`;

function scanText(r: ScanReport): string[] {
  const out: string[] = [];
  let lastGroup: string | null = null;
  for (const f of r.fixes) {
    if (f.group !== lastGroup) { out.push(`${f.group || '.'}:`); lastGroup = f.group; }
    out.push('  ' + outcomeLine(f));
  }
  return out;
}

function checkText(r: CheckReport): string[] {
  const out = ['patches:'];
  const path = (name: string) => join(r.patches, name);
  for (const p of r.results) {
    if (p.status === 'applies') out.push(`  ${pc.green('applies')}          ${path(p.name)}`);
    else if (p.status === 'already-applied') out.push(`  ${pc.green('already applied')}  ${path(p.name)}`);
    else if (p.status === 'refused') out.push(`  ${pc.red('refused')}          ${path(p.name)}:${p.patchLine}: ${refusedText(p)}`);
    else out.push(`  ${pc.red('fails')}            ${path(p.name)}: ${p.file}, hunk ${p.hunk}${p.hunkHeader ? ` (${p.hunkHeader})` : ''}: ${p.reason}`);
  }
  out.push('codemods:');
  for (const f of r.fixes) out.push('  ' + outcomeLine(f));
  const stuck = r.fixes.filter((f) => f.status === 'drift' || f.status === 'blocked');
  out.push(stuck.length ? `  ${pc.red('the codemods cannot handle')} ${stuck.map((f) => f.fix).join(', ')}` : '  the codemods find every target');
  const stale = [...r.results.filter((p) => p.stale).map((p) => p.name), ...r.missingFromSeries.map((f) => `(new) ${f}`)];
  const word = r.staleIs === 'error' ? pc.red('stale') : pc.yellow('stale (a warning)');
  out.push(stale.length ? `series: ${word}: ${stale.join(', ')} differ from what the codemods now produce (run memfix series again)` : 'series: up to date');
  return out;
}

/** The verify table: scenario, the fix it proves, one column per tree. */
export function verifyTable(r: VerifyReport): Table {
  return {
    header: ['scenario', 'proves', ...r.columns.map((c) => c.title)],
    rows: r.scenarios.map((s) => [s.name, s.fix, ...s.results.map((x, i) => (r.columns[i]!.buildError ? 'does not build' : x ? x.summary : '-'))]),
  };
}

function verifyText(r: VerifyReport, colour: boolean): string[] {
  const out = [formatTable(verifyTable(r), { colour })];
  for (const c of r.columns) if (c.buildError) out.push(`${c.title}: ${c.buildError}`);
  // how the SWIG glue was made: which setter SWIG keeps, what the build left out
  for (const c of r.columns) for (const g of c.glue ?? []) out.push(...wrapped(`${r.columns.length > 1 ? `${c.title}: ` : ''}${g}`, '  '));
  const last = r.scenarios.map((s) => s.results.at(-1));
  if (!r.columns.at(-1)!.buildError) out.push('', `${last.filter((x) => x?.pass).length} of ${last.length} scenarios pass${r.columns.length > 1 ? ' after the fixes' : ''}${r.std === 'c++14' ? '' : ` (built with -std=${r.std})`}`);
  if (r.mutants) out.push('', ...mutantsText(r.mutants, colour));
  return out;
}

/** verify --mutants: each mutant (killed by which scenario, or SURVIVED), then `mutants killed N of M` and the survivors. */
export function mutantsText(m: NonNullable<VerifyReport['mutants']>, colour = false): string[] {
  if (m.notRun) return wrapped(m.notRun, '  ');
  const out = ['mutants of the tree with every fix applied (each undoes a fix in one place):'];
  const indent = ' '.repeat(12);
  for (const x of m.results) {
    const word = x.killed ? 'killed  ' : 'SURVIVED';
    // wrapped as plain text, then coloured (colour codes would count as columns)
    const [first, ...rest] = wrapped(`  ${word}  ${x.fix}/${x.id}: ${x.description}`, indent);
    const painted = !colour ? word : x.killed ? pc.green(word) : pc.red(word);
    out.push(first!.replace(word, painted), ...rest, ...wrapped(`${indent}${x.killed ? `by ${x.by}: ${x.summary}` : x.summary}`, indent));
  }
  const survivors = m.results.filter((x) => !x.killed);
  out.push('', `mutants killed ${m.killed} of ${m.results.length}`);
  if (survivors.length) out.push(...wrapped(`survivors: ${survivors.map((x) => `${x.fix}/${x.id}`).join(', ')}`, '  '));
  if (!m.results.length) out.push('no codemod has mutants: nothing proves the proof');
  return out;
}

/** Why check refused a patch: the path it names and what is wrong with it. */
export const refusedText = (p: PatchCheckReport) => `refused: ${JSON.stringify(p.file)}: ${p.reason}`;

/** The text of a report for stdout; problems (and patches check refused) are returned apart, for stderr. */
export function renderText(r: Report, colour = pc.isColorSupported): { stdout: string; stderr: string } {
  const lines = r.command === 'scan' ? scanText(r) : r.command === 'check' ? checkText(r) : verifyText(r, colour);
  const refused = r.command === 'check' ? r.results.filter((p) => p.status === 'refused').map((p) => `memfix: ${join(r.patches, p.name)}:${p.patchLine}: ${refusedText(p)}`) : [];
  return { stdout: lines.length ? lines.join('\n') + '\n' : '', stderr: [...r.problems.map((p) => problemLine(r.dir, p)), ...refused].map((l) => l + '\n').join('') };
}
