/** The human-readable renderer: what a terminal user reads. Problems go to stderr, one `memfix: file:line: what` line each. */
import { join } from 'node:path';
import pc from 'picocolors';
import type { CheckReport, FixOutcome, PatchCheckReport, Problem, Report, ScanReport, VerifyReport } from './report.ts';
import { formatTable, wrapCell, type Table } from './table.ts';
import { lineWidth } from './width.ts';

/** A line of prose in at most `width` columns: continuation lines start with `indent`. */
export function wrapped(line: string, indent: string, width = lineWidth()): string[] {
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

export interface LineOptions {
  /** the folder of the group header the line is under: paths below it are shown relative to it */
  base?: string;
  /** the width of the output (COLUMNS, the terminal's, else 100) */
  width?: number;
  /** columns before the line (its indentation, given by the caller) and after it (a verdict the caller appends) */
  lead?: number;
  tail?: number;
}

/**
 * A fix's outcome, in the output's width: the status, the fix, then where (file:line, relative
 * to `base` when given) and its notes, wrapped onto lines indented under the where. Continuation
 * lines carry their indentation (`lead` included); the first line does not.
 */
export function outcomeLine(f: FixOutcome, o: LineOptions = {}): string {
  const base = o.base ? o.base.replace(/\/?$/, '/') : '';
  const rel = (p: string) => (base ? p.split(base).join('') : p);
  const where = f.locations.map((l) => rel(at(l))).join(', ');
  const notes = f.notes.map(rel);
  const rest = (() => {
    switch (f.status) {
      case 'apply': return `${where}${notes.length ? `  (${notes.join('; ')})` : ''}`;
      case 'applied': return where;
      case 'drift': return `${rel(at(f.locations[0]!))}: ${f.message}`;
      case 'missing':
      case 'blocked': return f.message;
    }
  })();
  const lead = o.lead ?? 2;
  const width = (o.width ?? lineWidth()) - lead - (o.tail ?? 0);
  const head = `${f.status.padEnd(8)} ${f.fix.padEnd(20)} `;
  // continuation lines indented under the where, unless a path would then have to be cut
  const longest = Math.max(0, ...rest.split(' ').map((t) => t.length));
  const indent = ' '.repeat(width >= 70 && head.length + longest <= width ? head.length : 4);
  const [first, ...more] = wrapped(head + rest, indent, Math.max(width, 40));
  return [first!.replace(f.status.padEnd(8), label[f.status](f.status.padEnd(8))), ...more.map((l) => ' '.repeat(lead) + l)].join('\n');
}

/** `memfix: DIR/file:line: what`: the file as the user names it. */
export const problemLine = (dir: string, p: Problem, warning = false) => `memfix: ${p.file ? join(dir, p.file) : dir}${p.line ? `:${p.line}` : ''}: ${warning ? 'warning: ' : ''}${p.message}`;

function scanText(r: ScanReport, width: number): string[] {
  const out: string[] = [];
  let lastGroup: string | null = null;
  for (const f of r.fixes) {
    if (f.group !== lastGroup) { out.push(...wrapped(`${f.group || '.'}:`, '  ', width)); lastGroup = f.group; }
    out.push('  ' + outcomeLine(f, { base: f.group, width }));
  }
  return out;
}

function checkText(r: CheckReport, width: number): string[] {
  // the patches by name under a header naming their folder
  const out = wrapped(`patches (${r.patches}):`, '  ', width);
  const indent = ' '.repeat(width >= 70 ? 19 : 4);
  /** a status word (coloured after wrapping: colour codes would count as columns) and the rest */
  const row = (word: string, paint: (s: string) => string, rest: string) => {
    const [first, ...more] = wrapped(`  ${word.padEnd(17)}${rest}`, indent, width);
    out.push(first!.replace(word, paint(word)), ...more);
  };
  for (const p of r.results) {
    const yours = p.maintainer ? '  (yours: memfix did not write it)' : '';
    if (p.status === 'applies') row('applies', pc.green, p.name + yours);
    else if (p.status === 'already-applied') row('already applied', pc.green, p.name + yours);
    else if (p.status === 'refused') row('refused', pc.red, `${p.name}:${p.patchLine}: ${refusedText(p)}${yours}`);
    else row('fails', pc.red, `${p.name}${yours}: ${p.file}, hunk ${p.hunk}${p.hunkHeader ? ` (${p.hunkHeader})` : ''}: ${p.reason}`);
  }
  out.push('codemods:');
  let lastGroup: string | null = null;
  for (const f of r.fixes) {
    if (f.group !== lastGroup) { out.push(...wrapped(`  ${f.group || '.'}:`, '    ', width)); lastGroup = f.group; }
    out.push('    ' + outcomeLine(f, { base: f.group, width, lead: 4 }));
  }
  const stuck = r.fixes.filter((f) => f.status === 'drift' || f.status === 'blocked');
  if (stuck.length) {
    const [first, ...more] = wrapped(`  the codemods cannot handle ${stuck.map((f) => f.fix).join(', ')}`, '    ', width);
    out.push(first!.replace('the codemods cannot handle', pc.red('the codemods cannot handle')), ...more);
  } else out.push('  the codemods find every target');
  const stale = [...r.results.filter((p) => p.stale).map((p) => p.name), ...r.missingFromSeries.map((f) => `(new) ${f}`)];
  const word = r.staleIs === 'error' ? 'stale' : 'stale (a warning)';
  if (!stale.length) out.push('series: up to date');
  else {
    const [first, ...more] = wrapped(`series: ${word}: ${stale.join(', ')} differ from what the codemods now produce (run memfix series again)`, '  ', width);
    out.push(first!.replace(word, r.staleIs === 'error' ? pc.red(word) : pc.yellow(word)), ...more);
  }
  return out;
}

/** The verify table: scenario, the fix it proves, one column per tree. */
export function verifyTable(r: VerifyReport): Table {
  return {
    header: ['scenario', 'proves', ...r.columns.map((c) => c.title)],
    rows: r.scenarios.map((s) => [s.name, s.fix, ...s.results.map((x, i) => (x ? x.summary : r.columns[i]!.buildError ? 'does not build' : '-'))]),
  };
}

function verifyText(r: VerifyReport, colour: boolean, width: number): string[] {
  if (!r.columns.length) return []; // nothing was built: the problems say why
  const out = [formatTable(verifyTable(r), { colour, width })];
  for (const c of r.columns) if (c.buildError) out.push(...wrapped(`${c.title}: ${c.buildError}`, '  ', width));
  // how the SWIG glue was made: which setter SWIG keeps, what the build left out
  for (const c of r.columns) for (const g of c.glue ?? []) out.push(...wrapped(`${r.columns.length > 1 ? `${c.title}: ` : ''}${g}`, '  ', width));
  // the flags: where they come from, what each step used
  if (r.build) out.push(...buildText(r.build));
  for (const c of r.columns) for (const g of c.compile ?? []) out.push(...wrapped(`${r.columns.length > 1 ? `${c.title}: ` : ''}${g}`, '  ', width));
  const last = r.scenarios.map((s) => s.results.at(-1));
  if (!r.columns.at(-1)!.buildError) out.push('', `${last.filter((x) => x?.pass).length} of ${last.length} scenarios pass${r.columns.length > 1 ? ' after the fixes' : ''}${r.std === 'c++14' ? '' : ` (built with -std=${r.std})`}`);
  if (r.mutants) out.push('', ...mutantsText(r.mutants, colour, width));
  return out;
}

/** Where verify's flags come from (file:line each), what it left out, what each step used. */
export function buildText(b: NonNullable<VerifyReport['build']>): string[] {
  const taken = [b.std, ...b.flags].map((f) => `${f.flag} (${f.at})`).join(' ');
  const out = wrapped(b.source === 'default' ? `flags: memfix's defaults (${b.std.flag}): the tree has no Makefile or CMakeLists.txt` : `flags of ${b.file}: ${taken}`, '  ');
  const ignored = b.ignored.map((f) => f.flag);
  if (ignored.length) out.push(...wrapped(`not taken from ${b.file}: ${[...new Set(ignored)].join(' ')} (only -std, -D, -U, -f[no-]exceptions and -f[no-]rtti are)`, '  '));
  for (const n of b.notes) out.push(...wrapped(n, '  '));
  out.push(...wrapped(`compile step: ${b.compile.name}: ${b.compile.args.join(' ')}`, '  '));
  out.push(...wrapped(`sanitizer builds: ${b.sanitizer.name} (the system libtorrent's, which they link against): ${b.sanitizer.args.join(' ')}`, '  '));
  return out;
}

/** verify --mutants: each mutant (killed by which scenario, or SURVIVED), then `mutants killed N of M` and the survivors. */
export function mutantsText(m: NonNullable<VerifyReport['mutants']>, colour = false, width = lineWidth()): string[] {
  if (m.notRun) return wrapped(m.notRun, '  ', width);
  const out = ['mutants of the tree with every fix applied (each undoes a fix in one place):'];
  const indent = ' '.repeat(12);
  for (const x of m.results) {
    const word = x.killed ? 'killed  ' : 'SURVIVED';
    // wrapped as plain text, then coloured (colour codes would count as columns)
    const [first, ...rest] = wrapped(`  ${word}  ${x.fix}/${x.id}: ${x.description}`, indent, width);
    const painted = !colour ? word : x.killed ? pc.green(word) : pc.red(word);
    out.push(first!.replace(word, painted), ...rest, ...wrapped(`${indent}${x.killed ? `by ${x.by}: ${x.summary}` : x.summary}`, indent, width));
  }
  const survivors = m.results.filter((x) => !x.killed);
  out.push('', `mutants killed ${m.killed} of ${m.results.length}`);
  if (survivors.length) out.push(...wrapped(`survivors: ${survivors.map((x) => `${x.fix}/${x.id}`).join(', ')}`, '  ', width));
  if (!m.results.length) out.push('no codemod has mutants: nothing proves the proof');
  return out;
}

/** Why check refused a patch: the path it names and what is wrong with it. */
export const refusedText = (p: PatchCheckReport) => `refused: ${JSON.stringify(p.file)}: ${p.reason}`;

/** The text of a report for stdout; problems (and patches check refused) are returned apart, for stderr. */
export function renderText(r: Report, colour = pc.isColorSupported, width = lineWidth()): { stdout: string; stderr: string } {
  const lines = r.command === 'scan' ? scanText(r, width) : r.command === 'check' ? checkText(r, width) : verifyText(r, colour, width);
  const refused = r.command === 'check' ? r.results.filter((p) => p.status === 'refused').map((p) => `memfix: ${join(r.patches, p.name)}:${p.patchLine}: ${refusedText(p)}`) : [];
  return { stdout: lines.length ? lines.join('\n') + '\n' : '', stderr: [...r.problems.map((p) => problemLine(r.dir, p)), ...refused, ...(r.warnings ?? []).map((p) => problemLine(r.dir, p, true))].map((l) => l + '\n').join('') };
}
