/**
 * memfix series: the fixes as a patch series for `git am` and `quilt push -a`, byte-for-byte
 * reproducible, for the commit it names as base-commit. With --verify, every prefix of the
 * series must compile, and the cover letter carries the sanitizer before/after table.
 */
import { resolve } from 'node:path';
import { MemfixError } from '../errors.ts';
import { renderSeries } from '../series.ts';
import { isStuck, stepLine } from '../report.ts';
import { lockSeriesFolder, writeSeriesFolder } from '../series-folder.ts';
import { readTreeSettled } from '../transaction.ts';
import { head, headContents, uncommitted, workTree, type Head, type WorkTree } from '../git.ts';
import { plan } from '../engine.ts';
import { dependencyNote, withDependencies } from '../select.ts';
import { checkToolchain } from '../verify/build.ts';
import { compileCheck, verifyTree } from '../verify/run.ts';
import { formatTable, verdictTable } from './verify.ts';
import { codemodsFor, out, planDir, reportProblems } from './common.ts';
import { authorFor, coverBody, dateFor, patchSpecs, version } from './series-build.ts';

/** Names of the files a series consists of: numbered patches and the quilt `series` file. */
export const OURS = /^(\d{4}-[A-Za-z0-9._-]+\.patch|series)$/;

/** What a file must look like to be a target candidate when HEAD has it and the work tree does not. */
const SOURCE = /\.(h|hh|hpp|hxx|h\+\+|ipp|c|cc|cpp|cxx|i|swg)$/i;

interface Options { output: string; force?: boolean; author?: string; date?: string; verify?: boolean; fix?: string[] }

export const COVER_SUBJECT = 'memory_disk_io: fix use-after-free and lifetime bugs in the in-memory disk I/O';

/**
 * The fixes of DIR as patches, in memory: what `series` writes and what `check` compares with.
 * `base: 'head'` (series) plans on HEAD's content of every file with uncommitted changes, so the
 * series applies to the commit it names; `base: 'worktree'` (check) plans on the files as they are.
 */
export async function planSeries(dir: string, o: { fix?: string[]; base: 'head' | 'worktree'; wt?: WorkTree | null }) {
  let planned = await planDir(dir, o.fix);
  const wt = o.wt !== undefined ? o.wt : workTree(planned.root);
  const headCommit: Head | null = o.base === 'head' && wt ? head(planned.root) : null;
  let dirty: string[] = [];
  if (headCommit && wt) {
    const changed = uncommitted(planned.root).filter((p) => p.startsWith(wt.prefix)).map((p) => p.slice(wt.prefix.length));
    dirty = changed.filter((p) => planned.tree.has(p) || SOURCE.test(p));
    if (dirty.length) {
      const atHead = headContents(planned.root, dirty.map((p) => wt.prefix + p));
      const tree = new Map(planned.tree);
      for (const p of dirty) {
        const text = atHead.get(wt.prefix + p) ?? null;
        if (text === null || text.includes('\0') || text.includes('\uFFFD')) tree.delete(p);
        else tree.set(p, text);
      }
      const { mods, only } = await codemodsFor(o.fix);
      const replanned = await plan(tree, mods, { only });
      planned = { ...planned, tree, steps: replanned.steps, after: replanned.tree, problems: replanned.problems, warnings: replanned.warnings };
    }
  }
  const prefix = wt?.prefix ?? '';
  const specs = patchSpecs(planned.steps, prefix, new Set(planned.tree.keys()));
  return { ...planned, wt, headCommit, dirty, prefix, specs };
}

export type PlannedSeries = Awaited<ReturnType<typeof planSeries>>;

/** The series' files (cover letter, patches, `series`), with an optional verification section in the cover letter. */
export function renderFiles(s: PlannedSeries, o: { author?: string; date?: string }, verification = '') {
  if (!s.specs.length) return [];
  const names = s.specs.map((p, i) => `${String(i + 1).padStart(4, '0')}-${p.slug}.patch`);
  return renderSeries(s.specs, {
    author: authorFor(s.root, o.author, s.wt !== null),
    date: dateFor(o.date, s.headCommit),
    baseCommit: s.headCommit?.sha,
    cover: { subject: COVER_SUBJECT, body: coverBody(s.steps, names, verification) },
    signature: `memfix ${version}`,
  });
}

export async function series(dir: string, o: Options): Promise<void> {
  const { fix, added } = withDependencies(o.fix);
  if (added.length) process.stderr.write(`memfix: ${dependencyNote(o.fix!, added)}\n`);
  // never from a tree an apply is writing, nor one an interrupted apply left half done
  const built = await readTreeSettled(resolve(dir), dir, () => planSeries(dir, { fix, base: 'head' }));
  if (built.dirty.length) {
    const names = built.dirty.slice(0, 3).join(', ') + (built.dirty.length > 3 ? ', ...' : '');
    process.stderr.write(`memfix: ${dir}: uncommitted changes to ${names}: the series is made from HEAD (${built.headCommit!.sha.slice(0, 12)}), the base-commit it names; those changes are not in it\n`);
  }
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
      formatTable(verdictTable([{ title: 'before', verdict: before }, { title: 'after', verdict: after }]), { width: 98 }).split('\n').map((l) => '  ' + l).join('\n') + '\n';
  }
  const files = renderFiles(built, o, verification);
  // with --fix, only the chosen fixes (and what they need) count, as in apply
  const stuck = built.steps.some((s) => (!fix || fix.includes(s.codemod.meta.id)) && isStuck(s));
  for (const s of built.steps) out('  ' + stepLine(s));
  if (reportProblems(dir, built.problems, built.warnings)) return; // a file that looks like a target cannot be read: write nothing
  if (!files.length) { out('nothing to fix: no series written'); process.exitCode = stuck ? 1 : 0; return; }
  const folder = await lockSeriesFolder(resolve(o.output), o.output);
  let r;
  try { r = writeSeriesFolder(resolve(o.output), o.output, files, !!o.force); } finally { folder.release(); }
  out(`wrote ${built.specs.length} patch(es), a cover letter and series to ${o.output}` +
    (r.removed.length ? ` (removed ${r.removed.length} file(s) of an earlier series: ${r.removed.join(', ')})` : '') +
    (r.foreign.length ? `; left alone: ${r.foreign.join(', ')}` : '') +
    (r.kept?.length ? `; kept your patches in the series: ${r.kept.join(', ')}` : ''));
  process.exitCode = stuck ? 1 : 0;
}
