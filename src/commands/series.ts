/**
 * memfix series: the fixes as a patch series for `git am` and `quilt push -a`, byte-for-byte
 * reproducible, for the commit it names as base-commit. With --verify, every prefix of the
 * series must compile, and the cover letter carries the sanitizer before/after table.
 */
import { resolve } from 'node:path';
import { MemfixError } from '../errors.ts';
import { renderSeries } from '../series.ts';
import { isStuck, stepLine } from '../steps.ts';
import { lockSeriesFolder, writeSeriesFolder } from '../series-folder.ts';
import { readTreeSettled } from '../transaction.ts';
import { head, headContents, uncommitted, workTree, type Head, type WorkTree } from '../git.ts';
import { plan } from '../engine.ts';
import { dependencyNote, withDependencies } from '../select.ts';
import { checkToolchain } from '../verify/build.ts';
import { verifyTree } from '../verify/run.ts';
import { stdOf } from '../verify/build-flags.ts';
import { changedCppFiles, compileTree, failureLine, flagSets, type CompileFailure } from '../verify/compile-step.ts';
import { buildFlagsOf, formatTable, verdictTable } from './verify.ts';
import { codemodsFor, out, planDir, reportProblems } from './common.ts';
import { authorFor, coverBody, dateFor, patchSpecs, version, wrap } from './series-build.ts';

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
export function renderFiles(s: PlannedSeries, o: { author?: string; date?: string; cover?: boolean }, verification = '') {
  if (!s.specs.length) return [];
  const names = s.specs.map((p, i) => `${String(i + 1).padStart(4, '0')}-${p.slug}.patch`);
  return renderSeries(s.specs, {
    author: authorFor(s.root, o.author, s.wt !== null),
    date: dateFor(o.date, s.headCommit),
    baseCommit: s.headCommit?.sha,
    ...(o.cover === false ? {} : { cover: { subject: COVER_SUBJECT, body: coverBody(s.steps, names, verification) } }),
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
    // the series bisects: after every patch the tree compiles with g++ and clang++, with
    // pkg-config's flags (the system libtorrent's ABI) and with the flags the tree's own build
    // declares (its Makefile's: ABI 3 in upstream's); a C++ file memfix changes that compiled
    // before the series compiles after each patch
    const bf = buildFlagsOf(built.root, built.tree);
    const sets = flagSets(bf);
    const files = changedCppFiles(built.tree, built.after);
    if (bf.source !== 'default') out(`build flags of ${bf.file}: ${[bf.std, ...bf.flags].map((f) => `${f.flag} (${f.at})`).join(' ')}`);
    for (const n of bf.notes) out(`  ${n}`);
    let ms = 0;
    let compiles = 0;
    const check = async (tree: Map<string, string>) => { const r = await compileTree(tree, sets, { files }); ms += r.ms; compiles += r.compiles - r.cached; return r; };
    const state = new Map(built.tree);
    const base = await check(state);
    const line = (f: CompileFailure[]) => (f.length ? `no (${failureLine(f[0]!)}${f.length > 1 ? `; and ${f.length - 1} more` : ''})` : 'yes');
    out(`compiles before the series: ${line(base.failures)}`);
    for (const s of built.steps.filter((x) => x.taken)) {
      for (const c of s.changes) state.set(c.path, c.after);
      const r = await check(state);
      // a file of the tree that did not compile before the series is not the series' doing; the header and glue must compile after every patch
      const failed = r.failures.filter((f) => f.unit === 'glue' || !base.failures.some((b) => b.unit === f.unit && b.compiler === f.compiler && b.set === f.set));
      out(`compiles after ${s.codemod.meta.id}: ${line(failed)}`);
      if (failed.length) {
        const f = failed[0]!;
        const before = base.failures.some((b) => b.unit === f.unit && b.compiler === f.compiler && b.set === f.set);
        throw new MemfixError(before
          ? `the tree does not compile after ${s.codemod.meta.id}, as before the series: ${failureLine(f)}; a series to merge must leave it compiling`
          : `the series does not bisect: after ${s.codemod.meta.id}, ${failureLine(f)}`);
      }
    }
    out(`compile checks: ${compiles} compiler run(s) (${sets.map((x) => x.name).join('; ')}; g++ and clang++) in ${(ms / 1000).toFixed(1)} s`);
    const std = stdOf(bf);
    const before = await verifyTree(built.tree, { label: 'before', std });
    const after = await verifyTree(built.after, { label: 'after', std });
    verification = wrap(`Every patch was compiled (-fsyntax-only -pedantic-errors) with g++ and clang++ and ${sets.map((x) => x.name).join(' and ')}${bf.file ? ` (${bf.file}: ${[bf.std, ...bf.flags].map((f) => f.flag).join(' ')})` : ''}.`) + '\n\n' +
      'Sanitizer scenarios (memfix verify --compare: ASan+UBSan, one process each):\n\n' +
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
