/**
 * A report as a flat list of findings (what needs a user's attention, where): the common ground of
 * the SARIF, GitHub and JUnit renderers. Paths are from the repository's top (the report's prefix
 * added), as code scanning and workflow annotations expect.
 */
import type { CheckReport, FixOutcome, Location, Problem, Report, ScanReport } from './report.ts';
import { refusedText } from './text.ts';

export interface Finding {
  /** the codemod the finding is about ('memfix' when none) */
  rule: string;
  level: 'error' | 'warning' | 'note';
  message: string;
  /** the first is where it is; the others are related places */
  locations: Location[];
  /** what the finding is about, without its place (no line): Code Quality's fingerprint hashes it */
  key?: string;
}

const fromTop = (prefix: string, l: Location): Location => ({ file: prefix + l.file, line: l.line });

/** The finding of one fix outcome, or null when it needs nothing (applied, missing; apply in check, whose series carries it). */
export function fixFinding(r: ScanReport | CheckReport, f: FixOutcome): Finding | null {
  const titleOf = (id: string) => r.rules.find((x) => x.id === id)?.title ?? id;
  const locations = f.locations.map((l) => fromTop(r.prefix, l));
  const notes = f.notes.length ? ` Notes: ${f.notes.join('; ')}.` : '';
  switch (f.status) {
    case 'apply':
      if (r.command === 'check') return null; // the series carries this fix; check judges the patches
      return { rule: f.fix, level: 'error', message: `${titleOf(f.fix)}: this code has the bug; \`memfix apply\` fixes it (codemod ${f.fix}).${notes}`, locations, key: `apply ${f.group}` };
    case 'drift':
      return { rule: f.fix, level: 'warning', message: `memfix ${f.fix} cannot fix this code: it has a shape the codemod does not know (${f.message}).`, locations, key: `drift ${f.group}` };
    case 'blocked':
      return { rule: f.fix, level: r.command === 'check' ? 'warning' : 'error', message: `memfix ${f.fix} is blocked: ${f.message}.`, locations, key: `blocked ${f.group}` };
    default:
      return null;
  }
}

/** Everything that needs attention, in report order: problems, then patches (check), then fixes. */
export function findings(r: Report): Finding[] {
  // a problem with the whole tree (no target in it) has no file to point at
  // a syntax error or conflict marker is a rule of its own (memfix/parse-error ...): not drift, not "cannot run"
  const where = (p: Problem) => (p.file ? [{ file: r.prefix + p.file, line: p.line ?? 1 }] : []);
  const out: Finding[] = [
    ...r.problems.map((p): Finding => ({ rule: p.kind ? `memfix/${p.kind}` : 'memfix', level: 'error', message: p.message, locations: where(p) })),
    ...(r.warnings ?? []).map((p): Finding => ({ rule: p.kind ? `memfix/${p.kind}` : 'memfix', level: 'warning', message: p.message, locations: where(p) })),
  ];
  if (r.command === 'verify') {
    for (const c of r.columns) if (c.buildError) out.push({ rule: 'memfix', level: 'error', message: `${c.title}: ${c.buildError}`, locations: [], key: `build ${c.title}` });
    const last = r.columns.length - 1;
    for (const s of r.scenarios) {
      const x = s.results[last];
      if (x && !x.pass) out.push({ rule: s.fix, level: 'error', message: `scenario ${s.name} (proves ${s.fix}) fails: ${x.summary}`, locations: x.file && x.line ? [{ file: r.prefix + x.file, line: x.line }] : [], key: `scenario ${s.name}` });
    }
    if (r.mutants?.notRun) out.push({ rule: 'memfix', level: 'error', message: r.mutants.notRun, locations: [] });
    for (const m of r.mutants?.results ?? []) {
      if (!m.killed) out.push({ rule: m.fix, level: 'error', message: `mutant ${m.fix}/${m.id} survived (${m.description}): ${m.summary}; no scenario proves this part of the fix`, locations: [], key: `mutant ${m.fix}/${m.id}` });
    }
    if (r.mutants && !r.mutants.notRun && !r.mutants.results.length) out.push({ rule: 'memfix', level: 'error', message: 'no codemod has mutants: nothing proves the proof', locations: [] });
    return out;
  }
  const titleOf = (id: string) => r.rules.find((x) => x.id === id)?.title ?? id;
  if (r.command === 'check') {
    for (const p of r.results) {
      const where = p.file ? [{ file: p.file, line: p.line ?? 1 }] : [];
      if (p.status === 'refused') out.push({ rule: 'memfix', level: 'error', message: `${p.name} is refused (line ${p.patchLine}): ${refusedText(p)}; memfix did not apply it.`, locations: [], key: `refused ${p.name}` });
      else if (p.status === 'fails') out.push({ rule: p.fix ?? 'memfix', level: 'error', message: `${p.name} does not apply: ${p.file}, hunk ${p.hunk}${p.hunkHeader ? ` (${p.hunkHeader})` : ''}: ${p.reason}.`, locations: where, key: `fails ${p.name} ${p.file} ${(p.reason ?? '').replace(/\d+/g, '#')}` });
      else if (p.stale) out.push({ rule: p.fix ?? 'memfix', level: r.staleIs === 'error' ? 'error' : 'warning', message: `${p.name} is stale: the codemods now produce a different change for this fix; run memfix series again.`, locations: where, key: `stale ${p.name}` });
    }
    for (const id of r.missingFromSeries) {
      const f = r.fixes.find((x) => x.fix === id && x.status === 'apply');
      out.push({ rule: id, level: r.staleIs === 'error' ? 'error' : 'warning', message: `the series lacks ${id} (${titleOf(id)}), which the codemods now find needed; run memfix series again.`, locations: (f?.locations ?? []).map((l) => fromTop(r.prefix, l)), key: `missing from the series ${id}` });
    }
  }
  for (const f of r.fixes) {
    const x = fixFinding(r, f);
    if (x) out.push(x);
  }
  return out;
}
