/**
 * verify's progress on stderr. On a terminal: each build as it starts, each scenario as it ends.
 * Elsewhere (a CI log): one line per step (each build, each group of scenarios as it ends, each
 * mutant as "n of m"), folded into a section per tree inside GitHub Actions (`::group::`) and
 * GitLab CI (`section_start`/`section_end`), so a log shows one line per tree until opened.
 * Whatever the place, a run ends with one summary line (./progress.ts's `summaryLine`).
 */
import pc from 'picocolors';
import type { VerifyProgress } from '../verify/run.ts';
import type { VerifyReport } from './report.ts';
import { wrapCell } from './table.ts';
import { lineWidth } from './width.ts';

export type CiKind = 'github' | 'gitlab' | null;

/** The CI system whose log folding we use, from the variables each sets in its jobs. */
export const ciKind = (env: NodeJS.ProcessEnv = process.env): CiKind => (env.GITHUB_ACTIONS === 'true' ? 'github' : env.GITLAB_CI === 'true' ? 'gitlab' : null);

export interface ProgressSink {
  /** a build started, a scenario ended */
  step(p: VerifyProgress): void;
  /** a step of its own on a tree (the compile step starting): a line, in the tree's section */
  note(label: string, text: string): void;
  /** a mutant's verdict: `done` of `total` */
  mutant(m: { fix: string; id: string; killed: boolean; by?: string }, done: number, total: number): void;
  /** close the open group (before the report and the summary line) */
  end(): void;
}

export interface ProgressOptions {
  write?: (s: string) => void;
  tty?: boolean;
  ci?: CiKind;
  width?: number;
  /** seconds since the epoch, for GitLab's section markers */
  now?: () => number;
  colour?: boolean;
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

export function progressSink(o: ProgressOptions = {}): ProgressSink {
  const write = o.write ?? ((s: string) => { process.stderr.write(s); });
  const tty = o.tty ?? Boolean(process.stderr.isTTY);
  const ci = o.ci === undefined ? ciKind() : o.ci;
  const width = o.width ?? lineWidth(process.stderr);
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const colour = o.colour ?? (tty && pc.isColorSupported);
  const paint = (f: (s: string) => string, s: string) => (colour ? f(s) : s);
  /** a line in the width: prose wraps onto indented lines (a terminal's per-scenario line is cut instead) */
  const line = (s: string) => {
    const [first, ...more] = wrapCell(s, width);
    write([first, ...(more.length ? wrapCell(more.join(' '), width - 4).map((x) => '    ' + x) : [])].join('\n') + '\n');
  };

  let open: string | null = null;
  let sections = 0;
  const openGroup = (title: string) => {
    close();
    if (ci === 'github') write(`::group::${title}\n`);
    else if (ci === 'gitlab') write(`\x1b[0Ksection_start:${now()}:memfix_verify_${++sections}[collapsed=true]\r\x1b[0K${title}\n`);
    open = title;
  };
  function close() {
    flush();
    if (open === null) return;
    if (ci === 'github') write('::endgroup::\n');
    else if (ci === 'gitlab') write(`\x1b[0Ksection_end:${now()}:memfix_verify_${sections}\r\x1b[0K\n`);
    open = null;
  }

  // not a terminal: the scenarios of one build, told when the group ends
  let group: { label: string; sanitizer: string; pass: number; failed: string[] } | null = null;
  function flush() {
    if (!group) return;
    const g = group;
    group = null;
    const total = g.pass + g.failed.length;
    line(`[${g.label}] ${g.sanitizer} scenarios: ${g.pass} of ${total} pass${g.failed.length ? `; FAIL: ${g.failed.join(', ')}` : ''}`);
  }

  return {
    note(label, text) {
      if (!tty && open !== label) openGroup(label);
      flush();
      if (tty) write(`${paint(pc.dim, `[${label}]`)} ${text}\n`);
      else line(`[${label}] ${text}`);
    },
    step(p) {
      // the compile step's verdict is a step of its own, not one of the sanitizer scenarios
      if (!tty && p.kind === 'scenario' && p.name === 'compile' && !group) {
        line(`[${p.label}] compile: ${p.pass ? 'pass' : `FAIL: ${p.summary}`}`);
        return;
      }
      if (tty) {
        const text = p.kind === 'build'
          ? `${paint(pc.dim, `[${p.label}]`)} building with ${p.sanitizer} ...`
          : `${paint(pc.dim, `[${p.label}]`)} ${p.pass ? paint(pc.green, 'pass') : paint(pc.red, 'FAIL')} ${p.name}${p.pass ? '' : paint(pc.dim, `: ${p.summary}`)}`;
        const visible = strip(text);
        write((visible.length >= width ? visible.slice(0, width - 2) + '…' : text) + '\n');
        return;
      }
      if (p.kind === 'build') {
        if (open !== p.label) openGroup(p.label);
        else flush();
        line(`[${p.label}] building with ${p.sanitizer} ...`);
        return;
      }
      const sanitizer = / \(tsan\)$/.test(p.name) ? 'TSan' : 'ASan+UBSan';
      if (group && (group.label !== p.label || group.sanitizer !== sanitizer)) flush();
      group ??= { label: p.label, sanitizer, pass: 0, failed: [] };
      if (p.pass) group.pass++;
      else group.failed.push(p.name);
    },
    mutant(m, done, total) {
      if (!tty && open !== 'mutants') openGroup('mutants');
      flush();
      const verdict = m.killed ? paint(pc.green, 'killed') : paint(pc.red, 'SURVIVED');
      line(`[mutants] ${done} of ${total}: ${verdict} ${m.fix}/${m.id}${m.killed && m.by ? ` by ${m.by}` : ''}`);
    },
    end() { if (!tty) close(); },
  };
}

/** The one line verify always ends with: the verdict column's score (and the first column's with --compare), the mutants' score. */
export function summaryLine(r: VerifyReport): string {
  const score = (i: number) => {
    const c = r.columns[i]!;
    if (c.buildError) return `${c.title}: does not build`;
    const xs = r.scenarios.map((s) => s.results[i]);
    return `${c.title}: ${xs.filter((x) => x?.pass).length} of ${xs.length} scenarios pass`;
  };
  const parts = r.columns.map((_, i) => score(i)).reverse();
  if (r.mutants) parts.push(r.mutants.notRun ? 'no mutant was run' : `mutants killed ${r.mutants.killed} of ${r.mutants.results.length}`);
  return `memfix verify: ${r.exitCode === 0 ? 'ok' : 'FAILED'}: ${parts.join('; ')}`;
}
