/**
 * JUnit XML, as CI systems show test results: check has a test case per patch (and one for the
 * codemods, one for the series), verify one per scenario (the last column is the verdict), scan
 * one per fix. Problems are errors of a `problems` test case.
 */
import type { CheckReport, Report, ScanReport, VerifyReport } from './report.ts';
import { fixFinding } from './findings.ts';
import { refusedText } from './text.ts';

// XML 1.0 has no place for most control characters, even escaped
// eslint-disable-next-line no-control-regex
const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
const esc = (s: string) => clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Case { name: string; classname: string; failure?: { type: string; message: string; text?: string }; error?: { message: string }; skipped?: string; out?: string }

function suite(name: string, cases: Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const body = cases.map((c) => {
    const inner = [
      c.failure ? `      <failure type="${esc(c.failure.type)}" message="${esc(c.failure.message)}">${esc(c.failure.text ?? c.failure.message)}</failure>\n` : '',
      c.error ? `      <error message="${esc(c.error.message)}">${esc(c.error.message)}</error>\n` : '',
      c.skipped !== undefined ? `      <skipped message="${esc(c.skipped)}"/>\n` : '',
      c.out ? `      <system-out>${esc(c.out)}</system-out>\n` : '',
    ].join('');
    return `    <testcase classname="${esc(c.classname)}" name="${esc(c.name)}"${inner ? `>\n${inner}    </testcase>` : '/>'}\n`;
  }).join('');
  return `  <testsuite name="${esc(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${body}  </testsuite>\n`;
}

function problemCases(r: Report): Case[] {
  return r.problems.map((p) => ({ classname: `memfix.${r.command}`, name: `${p.kind ?? 'problem'}: ${p.file || r.dir}${p.line ? `:${p.line}` : ''}`, error: { message: p.message } }));
}

function fixCases(r: ScanReport | CheckReport, classname: string): Case[] {
  return r.fixes.map((f) => {
    const name = f.group ? `${f.fix} (${f.group})` : f.fix;
    const where = f.locations.map((l) => `${r.prefix}${l.file}:${l.line}`).join(', ');
    if (f.status === 'missing') return { classname, name, skipped: f.message };
    const finding = fixFinding(r, f);
    if (f.status === 'applied' || !finding) return { classname, name, out: `${f.status}${where ? ` at ${where}` : ''}` };
    return { classname, name, failure: { type: f.status, message: finding.message, text: `${finding.message}${where ? `\nat ${where}` : ''}` } };
  });
}

const STALE = 'the codemods now produce a different change for this fix: run memfix series again';

function checkSuites(r: CheckReport): string {
  const patches: Case[] = r.results.map((p) => {
    const c: Case = { classname: 'memfix.check.patches', name: p.name };
    if (p.status === 'refused') c.error = { message: `line ${p.patchLine}: ${refusedText(p)}` };
    else if (p.status === 'fails') c.failure = { type: 'fails', message: `${p.file}, hunk ${p.hunk}${p.hunkHeader ? ` (${p.hunkHeader})` : ''}: ${p.reason}` };
    else if (p.stale && r.staleIs === 'error') c.failure = { type: 'stale', message: STALE };
    else c.out = `${p.status === 'applies' ? 'applies' : 'already applied'}${p.stale ? `; stale (a warning): ${STALE}` : ''}`;
    return c;
  });
  for (const id of r.missingFromSeries) {
    const message = `the series lacks ${id}: run memfix series again`;
    patches.push({ classname: 'memfix.check.patches', name: `(new) ${id}`, ...(r.staleIs === 'error' ? { failure: { type: 'stale', message } } : { out: `stale (a warning): ${message}` }) });
  }
  return suite(`memfix check ${r.patches}: patches`, [...problemCases(r), ...patches]) + suite(`memfix check ${r.dir}: codemods`, fixCases(r, 'memfix.check.codemods'));
}

function verifySuite(r: VerifyReport): string {
  const last = r.columns.length - 1;
  const verdict = r.columns[last]!;
  const cases: Case[] = r.scenarios.map((s) => {
    const c: Case = { classname: `memfix.verify.${s.fix}`, name: s.name };
    const x = s.results[last];
    const earlier = r.columns.slice(0, -1).map((col, i) => `${col.title}: ${s.results[i]?.summary ?? (col.buildError ? 'does not build' : '-')}`);
    c.out = [s.description, ...earlier].filter(Boolean).join('\n');
    if (!x && verdict.buildError) c.error = { message: verdict.buildError };
    else if (!x) c.error = { message: 'not run' };
    else if (!x.pass) c.failure = { type: 'scenario', message: x.summary };
    return c;
  });
  const mutants = !r.mutants ? '' : suite(`memfix verify ${r.dir}: mutants`, r.mutants.notRun
    ? [{ classname: 'memfix.verify.mutants', name: 'mutants', error: { message: r.mutants.notRun } }]
    : r.mutants.results.map((m): Case => ({
      classname: `memfix.verify.mutants.${m.fix}`,
      name: m.id,
      ...(m.killed ? { out: `${m.description}\nkilled by ${m.by}: ${m.summary}` } : { failure: { type: 'survived', message: `${m.description}: ${m.summary}` } }),
    })));
  return suite(`memfix verify ${r.dir}`, [...problemCases(r), ...cases]) + mutants;
}

export function renderJunit(r: Report): string {
  const body = r.command === 'check' ? checkSuites(r)
    : r.command === 'verify' ? verifySuite(r)
    : suite(`memfix scan ${r.dir}`, [...problemCases(r), ...fixCases(r, 'memfix.scan')]);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="memfix ${r.command}">\n${body}</testsuites>\n`;
}
