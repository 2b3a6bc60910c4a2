/**
 * GitLab Code Quality (the JSON a job hands to GitLab with `artifacts: reports: codequality`): an
 * array of issues, each with a description, a check name, a severity, a place (`location.path`
 * from the repository's top, `location.lines.begin`) and a fingerprint. The fingerprint is what
 * GitLab compares between the merge request's pipeline and the target branch's: it hashes the
 * check name, the path and a key that does not hold the line, so a finding that only moved keeps
 * its fingerprint, and GitLab does not show it as fixed here and new there.
 */
import { createHash } from 'node:crypto';
import type { Report } from './report.ts';
import { findings, type Finding } from './findings.ts';

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

const severity = { error: 'major', warning: 'minor', note: 'info' } as const;

/** The finding's key without its place: the message with every number (lines, hunk offsets) taken out. */
const keyOf = (f: Finding) => f.key ?? f.message.replace(/\d+/g, '#');

/**
 * The report's findings as Code Quality issues. A finding without a place in a file (a verify
 * scenario, a problem with the whole tree) points at DIR from the top (`prefix`, `.` at the top),
 * line 1: Code Quality has no issue without a path.
 */
export function renderCodeQuality(r: Report): CodeQualityIssue[] {
  const seen = new Map<string, number>();
  const dirPath = r.prefix.replace(/\/$/, '') || '.';
  return findings(r).map((f) => {
    const l = f.locations[0];
    const path = l?.file ?? dirPath;
    const checkName = `memfix-${r.command}/${f.rule}`;
    const base = createHash('sha256').update(`${checkName}\0${path}\0${keyOf(f)}`).digest('hex').slice(0, 32);
    // two findings alike in all but their line stay two issues: the second's fingerprint is salted by its rank
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const fingerprint = n ? createHash('sha256').update(`${base}\0${n}`).digest('hex').slice(0, 32) : base;
    return { description: f.message, check_name: checkName, fingerprint, severity: severity[f.level], location: { path, lines: { begin: Math.max(1, l?.line ?? 1) } } };
  });
}
