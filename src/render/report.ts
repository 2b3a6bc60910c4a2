/**
 * What scan, check and verify found, as data: the commands compute one of these reports, the
 * renderers in this folder print it (text, json, sarif, github, junit). The JSON format is this
 * object as it is; its shape is versioned by REPORT_FORMAT and documented in docs/json-format.md
 * (schema: docs/report.schema.json).
 */
import type { Meta } from '../codemod.ts';
import type { Step } from '../engine.ts';
import type { Problem } from '../roles.ts';
import { version } from '../version.ts';

/** Bumped when a field changes meaning or goes away (adding a field does not bump it). */
export const REPORT_FORMAT = 1;

export interface Location { file: string; line: number }

/**
 * Something that keeps memfix from doing its job on a file (no target, a file it cannot parse ...):
 * exit 2; its path relative to DIR, '' for DIR itself (src/roles.ts declares it).
 */
export type { Problem } from '../roles.ts';

/** One codemod: what SARIF calls a rule. */
export interface FixRule {
  id: string;
  title: string;
  /** the bug */
  why: string;
  /** the fix */
  what: string;
  analysis: { fix: number | null; finding?: string; issues: string[] };
  dependsOn: string[];
}

/** One codemod's outcome on one target group. Paths are relative to DIR. */
export interface FixOutcome {
  fix: string;
  /** the folder holding the target files, relative to DIR ('' for DIR itself) */
  group: string;
  status: 'apply' | 'applied' | 'drift' | 'missing' | 'blocked';
  locations: Location[];
  notes: string[];
  /** drift: what the codemod expected there; missing and blocked: why */
  message: string;
  /** blocked: the fix it needs */
  needs?: string;
}

interface ReportBase {
  memfix: string;
  format: typeof REPORT_FORMAT;
  /** DIR as given */
  dir: string;
  /** DIR relative to the top of its git work tree ('' when DIR is the top or not in one): prefix + path names a file from the top */
  prefix: string;
  problems: Problem[];
  /** what memfix judged without (a syntax error outside the code the fixes read or write); no effect on the exit code */
  warnings: Problem[];
  /** the exit code the command ends with */
  exitCode: number;
}

export interface ScanReport extends ReportBase {
  command: 'scan';
  rules: FixRule[];
  fixes: FixOutcome[];
}

export interface PatchCheckReport {
  /** file name in the patches folder */
  name: string;
  /** the fix it carries (its slug), when memfix knows it */
  fix: string | null;
  /** a patch of the maintainer's own (memfix did not write it): checked on top of memfix's, never stale */
  maintainer?: true;
  /** fails, but some of its hunks are in the tree already: `memfix apply --yes` finishes the fix */
  partlyApplied?: true;
  /** refused: memfix did not apply it, as it names a path outside DIR or leading out of it (exit 2) */
  status: 'applies' | 'already-applied' | 'fails' | 'refused';
  /**
   * fails: the file (from the repository top), the hunk (1-based, 0 for the file itself), its header, the line it was meant for, and why;
   * refused: the path it names as written in the patch, the line of the patch file that names it, and why
   */
  file?: string;
  hunk?: number;
  hunkHeader?: string;
  line?: number;
  patchLine?: number;
  reason?: string;
  /** the codemods now produce a different diff for this fix */
  stale: boolean;
}

export interface CheckReport extends ReportBase {
  command: 'check';
  /** --patches as given */
  patches: string;
  /** --stale: a stale series is a warning (exit 0) or an error (exit 1) */
  staleIs: 'warning' | 'error';
  rules: FixRule[];
  results: PatchCheckReport[];
  /** fixes the codemods now produce that the series lacks */
  missingFromSeries: string[];
  fixes: FixOutcome[];
}

export interface ScenarioReport {
  name: string;
  /** the fix it proves (a codemod id, or `all`) */
  fix: string;
  description: string;
  /**
   * one per column, in column order; null when the column did not build. The `compile` row (fix
   * `build`) has a result in every column, and names the file and line of the first error.
   */
  results: ({ pass: boolean; summary: string; file?: string; line?: number } | null)[];
}

/** A flag of the tree's build, and where it is declared (`path:line`, or `memfix default`). */
export interface BuildFlagReport { flag: string; at: string }

/** The build flags verify compiles with: what the tree declares, and what each step used. */
export interface BuildReport {
  /** where the flags come from: the tree's Makefile, its CMakeLists.txt, or memfix's defaults */
  source: 'Makefile' | 'CMakeLists.txt' | 'default';
  /** the file read, relative to DIR */
  file?: string;
  std: BuildFlagReport;
  /** the -D, -U and -f flags taken from it, in order */
  flags: BuildFlagReport[];
  /** what the file declares that memfix does not take (include paths, optimisation, ...), and why */
  ignored: (BuildFlagReport & { why: string })[];
  /** what memfix could not decide or did not follow */
  notes: string[];
  /** the compile step's flags (besides -fsyntax-only and the include paths): the tree's, with pkg-config's */
  compile: { name: string; args: string[] };
  /** the sanitizer builds' flags: the tree's standard, pkg-config's flags (the ABI of the system libtorrent they link against) */
  sanitizer: { name: string; args: string[] };
}

/** One mutant of the fixed tree (a fix undone in one place) and whether a scenario killed it. */
export interface MutantReport {
  /** the codemod whose fix it undoes */
  fix: string;
  id: string;
  description: string;
  killed: boolean;
  /** the scenario that failed (`name` or `name (tsan)`), when killed */
  by?: string;
  /** why the scenario failed, or why nothing did */
  summary: string;
}

export interface VerifyReport extends ReportBase {
  command: 'verify';
  /** the C++ standard of the build (always -pedantic-errors) */
  std: string;
  /** the flags the tree's build declares, and the flags each step used */
  build?: BuildReport;
  /**
   * `result`, or `before` and `after` with --compare, or `fixed` with --mutants; the last column is
   * the verdict. `glue`: how the SWIG files were glued (which setter SWIG keeps, what was left out).
   */
  columns: { title: string; buildError?: string; glue?: string[]; /** what the compile step found besides its verdict */ compile?: string[] }[];
  scenarios: ScenarioReport[];
  /**
   * With --mutants: every mutant of the fixed tree, in codemod order; `killed` of `results.length`
   * is the proof's score. `notRun` says why none was run (the fixed tree itself fails a scenario).
   */
  mutants?: { killed: number; results: MutantReport[]; notRun?: string };
}

export type Report = ScanReport | CheckReport | VerifyReport;

export function base(dir: string, prefix: string): Omit<ReportBase, 'exitCode'> & { exitCode: number } {
  return { memfix: version, format: REPORT_FORMAT, dir, prefix, problems: [], warnings: [], exitCode: 0 };
}

export function ruleOf(m: Meta): FixRule {
  const a = m.analysis;
  return {
    id: m.id,
    title: m.title,
    why: m.why,
    what: m.what,
    analysis: a.fix === null ? { fix: null, finding: a.finding, issues: a.issues } : { fix: a.fix, issues: a.issues },
    dependsOn: m.dependsOn,
  };
}

export function outcomeOf(s: Step): FixOutcome {
  const o = s.outcome;
  const base = { fix: s.codemod.meta.id, group: s.group };
  switch (o.status) {
    case 'apply': return { ...base, status: 'apply', locations: o.at, notes: o.notes, message: '' };
    case 'applied': return { ...base, status: 'applied', locations: o.at, notes: o.notes ?? [], message: '' };
    case 'drift': return { ...base, status: 'drift', locations: [o.at], notes: [], message: `expected ${o.expected}` };
    case 'missing': return { ...base, status: 'missing', locations: [], notes: [], message: o.reason };
    case 'blocked': return { ...base, status: 'blocked', locations: [], notes: [], message: o.reason, needs: o.needs };
  }
}

/** A fix outcome that needs the user: it would apply, or it cannot (drift, blocked). */
export const needsWork = (f: FixOutcome) => f.status === 'apply' || f.status === 'drift' || f.status === 'blocked';
