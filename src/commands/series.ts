/**
 * memfix series: the fixes as a patch series for `git am` and `quilt push -a`, byte-for-byte
 * reproducible. With --verify, every prefix of the series must compile, and the cover letter
 * carries the sanitizer before/after table.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MemfixError } from '../errors.ts';
import { renderSeries } from '../series.ts';
import { isStuck, stepLine } from '../report.ts';
import { writeAllAtomically } from '../write.ts';
import { checkToolchain } from '../verify/build.ts';
import { compileCheck, verifyTree } from '../verify/run.ts';
import { formatTable, verdictTable } from './verify.ts';
import { out, planDir, reportProblems } from './common.ts';
import { authorFor, coverBody, dateFor, gitPrefix, isGitWorkTree, patchSpecs, version } from './series-build.ts';

export const OURS = /^(\d{4}-[A-Za-z0-9._-]+\.patch|series)$/;

interface Options { output: string; force?: boolean; author?: string; date?: string; verify?: boolean; fix?: string[] }

/** The series for DIR, in memory: what `series` writes and what `check` compares against. */
export async function buildSeries(dir: string, o: Omit<Options, 'output' | 'force'>) {
  const planned = await planDir(dir, o.fix);
  const specs = patchSpecs(planned.steps, gitPrefix(planned.root));
  const baseCommit = isGitWorkTree(planned.root) ? spawnSync('git', ['-C', planned.root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || undefined : undefined;
  /** The files, with an optional verification section in the cover letter. */
  const render = (verification = '') =>
    specs.length
      ? renderSeries(specs, {
          author: authorFor(planned.root, o.author),
          date: dateFor(planned.root, o.date),
          baseCommit,
          cover: { subject: 'memory_disk_io: fix use-after-free and lifetime bugs in the in-memory disk I/O', body: coverBody(planned.steps, verification) },
          signature: `memfix ${version}`,
        })
      : [];
  return { ...planned, specs, render };
}

export async function series(dir: string, o: Options): Promise<void> {
  const outDir = resolve(o.output);
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new MemfixError('not a directory', o.output);
    const foreign = readdirSync(outDir).filter((f) => !OURS.test(f));
    if (foreign.length && !o.force) throw new MemfixError(`holds files memfix did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); pass --force to write there anyway`, o.output);
  }
  const built = await buildSeries(dir, o);
  let verification = '';
  if (o.verify && built.specs.length) {
    checkToolchain();
    // the series bisects: the tree compiles after every patch
    const state = new Map(built.tree);
    const base = compileCheck(state);
    out(`compiles before the series: ${base ? `no (${base})` : 'yes'}`);
    for (const s of built.steps.filter((x) => x.taken)) {
      for (const c of s.changes) state.set(c.path, c.after);
      const e = compileCheck(state);
      out(`compiles after ${s.codemod.meta.id}: ${e ? `no (${e})` : 'yes'}`);
      if (e) throw new MemfixError(`the series does not bisect: after ${s.codemod.meta.id} the tree does not compile: ${e}`);
    }
    const before = await verifyTree(built.tree, { label: 'before' });
    const after = await verifyTree(built.after, { label: 'after' });
    verification = 'Sanitizer scenarios (memfix verify --compare: ASan+UBSan, one process each):\n\n' +
      formatTable(verdictTable([{ title: 'before', verdict: before }, { title: 'after', verdict: after }])).split('\n').map((l) => '  ' + l).join('\n') + '\n';
  }
  const files = built.render(verification);
  const stuck = built.steps.some(isStuck);
  for (const s of built.steps) out('  ' + stepLine(s));
  if (reportProblems(built.problems)) return; // a file that looks like a target could not be read: write nothing
  if (!files.length) { out('nothing to fix: no series written'); process.exitCode = stuck ? 1 : 0; return; }
  mkdirSync(outDir, { recursive: true });
  const stale = readdirSync(outDir).filter((f) => OURS.test(f) && !files.some((x) => x.name === f));
  writeAllAtomically(files.map((f) => ({ path: join(outDir, f.name), content: f.content })));
  for (const f of stale) rmSync(join(outDir, f));
  out(`wrote ${built.specs.length} patch(es), a cover letter and series to ${o.output}${stale.length ? ` (removed ${stale.length} stale file(s))` : ''}`);
  process.exitCode = stuck ? 1 : 0;
}
