/**
 * memfix check: the CI job. Applies a series in order to an in-memory copy of DIR, then re-runs
 * the codemods: is the series stale (a regenerated patch differs), do the codemods still find
 * their targets? Exit 0 when every patch applies (or is already in); a stale series is a warning
 * (exit 0) unless --stale=error.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemfixError } from '../errors.ts';
import { parsePatchFile } from '../plain-diff.ts';
import { MANIFEST } from '../series-folder.ts';
import { applyPatchToTree, hunkCodeLine, readSeriesOrder, revertPatchInTree } from '../patch-apply.ts';
import { unsafePathOf, type ParsedPatch, type Refusal, type Tree } from '../patch-parse.ts';
import { readInTree, readRegularFile } from '../read-safe.ts';
import { base, outcomeOf, ruleOf, type CheckReport, type PatchCheckReport } from '../render/report.ts';
import { emit, FORMATS, parseFormats } from '../render/index.ts';
import { OURS, planSeries, renderFiles } from './series.ts';
import { workTree } from '../git.ts';
import { checkDir } from '../workspace.ts';
import { assertTreeSettled } from '../transaction.ts';

/** The part of a patch that says what changes (from the first `diff --git` to the signature). */
export function diffPart(patch: string): string {
  const start = patch.indexOf('\ndiff --git ');
  const end = patch.lastIndexOf('\n-- \n');
  return start < 0 ? '' : patch.slice(start + 1, end > start ? end : undefined);
}

export type PatchStatus = 'applies' | 'already-applied' | 'fails' | 'refused';
export interface PatchCheck { name: string; status: PatchStatus; file?: string; hunk?: number; hunkHeader?: string; reason?: string; line?: number }

/**
 * Each patch's status on a tree, in series order. The tree may hold any prefix of the series
 * already (after `git am` of the first patches): the longest prefix that reverse-applies, last
 * patch first, is "already applied"; the rest is applied forward, one patch after the other.
 */
export function statusOnTree(tree: Tree, parsed: ParsedPatch[]): PatchCheck[] {
  let merged = 0;
  for (let k = parsed.length; k > 0 && !merged; k--) {
    let t: Tree | null = tree;
    for (let i = k - 1; i >= 0 && t; i--) t = revertPatchInTree(t, parsed[i]!);
    if (t) merged = k;
  }
  const out: PatchCheck[] = parsed.slice(0, merged).map((p) => ({ name: p.fileName, status: 'already-applied' }));
  let state = tree;
  for (const p of parsed.slice(merged)) {
    const r = applyPatchToTree(state, p);
    state = r.tree;
    const res = r.result;
    out.push(res.status === 'fails'
      ? { name: p.fileName, status: 'fails', file: res.file, hunk: res.hunk, hunkHeader: res.hunkHeader, reason: res.reason, ...(res.line ? { line: res.line } : {}) }
      : { name: p.fileName, status: res.status });
  }
  return out;
}

/**
 * The patches folder's series, in order, each read as an untrusted file (src/read-safe.ts): a
 * patch or `series` file that is a symbolic link, a FIFO, a device, a folder or over the size
 * limit is bad input (exit 2, the file named) before anything else is read.
 */
function readPatches(patches: string): { order: string[]; texts: Map<string, string>; ownNames: Set<string> | null } {
  const pdir = resolve(patches);
  let isDir = false;
  try { isDir = statSync(pdir).isDirectory(); } catch { /* reported below */ }
  if (!isDir) throw new MemfixError('no such patch folder', patches);
  // the series may list patches of the maintainer's own, named as they like
  const names = readdirSync(pdir).filter((f) => f !== 'series' && f !== MANIFEST && !f.startsWith('.'));
  const seriesText = readRegularFile(join(pdir, 'series'), join(patches, 'series'))?.toString('utf8') ?? null;
  const order = readSeriesOrder(seriesText, names);
  if (!order.length) throw new MemfixError('no patches in the folder', patches);
  const texts = new Map<string, string>();
  for (const n of order) {
    const bytes = readRegularFile(join(pdir, n), join(patches, n));
    if (!bytes) throw new MemfixError('no such file (removed while memfix read the folder?)', join(patches, n));
    texts.set(n, bytes.toString('utf8'));
  }
  return { order, texts, ownNames: manifestNames(pdir, patches) };
}

/** The files `memfix series` says it wrote (its manifest), or null without one; a manifest that cannot be read says nothing. */
function manifestNames(pdir: string, patches: string): Set<string> | null {
  const bytes = readRegularFile(join(pdir, MANIFEST), join(patches, MANIFEST));
  if (!bytes) return null;
  try {
    const m = JSON.parse(bytes.toString('utf8')) as { files?: unknown };
    return m && typeof m.files === 'object' && m.files !== null ? new Set(Object.keys(m.files)) : null;
  } catch {
    return null;
  }
}

/**
 * Why a patch is refused, or null: a path git apply would refuse (unsafePathOf), or one that
 * leads through a symbolic link in DIR or names something there that is not a regular file.
 * Reads into `tree` the files the patch names (paths from the repository top), and nothing else.
 */
function loadPatchFiles(p: ParsedPatch, root: string, prefix: string, tree: Tree): Refusal | null {
  const unsafe = unsafePathOf(p);
  if (unsafe) return unsafe;
  const read = new Map<string, string>();
  for (const f of p.files) {
    for (const path of [f.oldPath, f.newPath]) {
      if (!path || tree.has(path) || read.has(path)) continue;
      const rel = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
      const r = readInTree(root, rel);
      if (r.kind === 'refused') return { file: path, line: f.line, reason: r.reason };
      if (r.kind === 'file') read.set(path, r.bytes.toString('utf8'));
    }
  }
  for (const [path, text] of read) tree.set(path, text);
  return null;
}

export async function check(dir: string, o: { patches: string; format?: string[]; stale?: string }): Promise<void> {
  const targets = parseFormats(o.format, FORMATS, 'check');
  const staleLevel = o.stale ?? 'warning';
  if (staleLevel !== 'warning' && staleLevel !== 'error') throw new MemfixError(`--stale must be warning or error, got "${staleLevel}"`);
  checkDir(dir);
  const { order, texts, ownNames } = readPatches(o.patches);
  const root = resolve(dir);
  assertTreeSettled(root, dir); // never judge a series on a tree an apply is writing, or an interrupted one left half done
  const wt = workTree(root);
  const prefix = wt?.prefix ?? '';
  const parsed = order.map((n) => parsePatchFile(join(o.patches, n), texts.get(n)!));

  // an in-memory copy of the files the series touches, read from DIR (paths are from the
  // repository top); a patch that names a path outside DIR is refused and not applied
  const tree: Tree = new Map();
  const refused = new Map<string, Refusal>();
  for (const p of parsed) {
    const r = loadPatchFiles(p, root, prefix, tree);
    if (r) refused.set(p.fileName, r);
  }
  const usable = parsed.filter((p) => !refused.has(p.fileName));
  const judged = new Map(statusOnTree(tree, usable).map((st) => [st.name, st]));
  const statuses = parsed.map((p): PatchCheck => judged.get(p.fileName) ?? { name: p.fileName, status: 'refused' });

  // regenerate: same fixes, same slugs; compare what each patch changes (no author, date or cover letter needed)
  const regenerated = await planSeries(dir, { base: 'worktree', wt });
  const rendered = renderFiles(regenerated, { author: 'memfix <memfix@localhost>', date: '0', cover: false });
  const fresh = new Map(rendered.filter((f) => /^\d{4}-/.test(f.name)).map((f) => [f.name.replace(/^\d{4}-/, ''), f.content]));
  const known = new Set(regenerated.mods.map((m) => m.meta.id));
  const slugOf = (name: string) => name.replace(/^\d{4}-/, '').replace(/\.patch$/, '');

  // memfix's own patches are those its manifest lists (without one: those named after a codemod);
  // the others are the maintainer's: checked on top of memfix's, never called stale
  const isOwn = (name: string) => (ownNames ? ownNames.has(name) : OURS.test(name) && known.has(slugOf(name)));
  const results: PatchCheckReport[] = order.map((name, i) => {
    const st = statuses[i]!;
    const p = parsed[i]!;
    const slug = slugOf(name);
    const mine = !isOwn(name);
    const no = refused.get(p.fileName);
    if (no) return { name, fix: !mine && known.has(slug) ? slug : null, status: 'refused', file: no.file, patchLine: no.line, reason: no.reason, stale: false, ...(mine ? { maintainer: true } : {}) };
    const now = fresh.get(`${slug}.patch`);
    // half applied (some of its hunks are in the tree already, the others do not apply): apply --yes finishes the fix
    const partly = st.status === 'fails' && !mine && p.files.some((f) => f.hunks.some((h) => revertPatchInTree(tree, { ...p, files: [{ ...f, hunks: [h] }] }) !== null));
    // the advice holds only when the codemod can finish the fix on the tree as it is
    const finishes = partly && regenerated.steps.some((x) => x.codemod.meta.id === slug && x.outcome.status === 'apply');
    if (partly) st.reason = `${st.reason}; the fix is partly in the tree already: ${finishes ? '`memfix apply --yes` finishes it (then this patch is already applied)' : `the codemod cannot finish it (see codemods): finish or undo it by hand`}`;
    const stale = !mine && !partly && st.status !== 'already-applied' && (now === undefined || diffPart(now) !== diffPart(texts.get(name)!));
    // where the patch is about: the failing hunk, else its first hunk
    const file = st.file ?? p.files[0]?.path;
    const hunks = p.files.find((f) => f.path === file)?.hunks ?? [];
    const hunk = hunks[(st.hunk ?? 1) - 1] ?? hunks[0];
    // a failing hunk's code in the file as it is in DIR (the earlier patches moved it in the series' copy)
    const original = st.status === 'fails' && st.hunk && hunk && file ? tree.get(file) : undefined;
    const codeLine = original !== undefined ? hunkCodeLine(original, hunk!, st.line ?? hunk!.oldStart) : null;
    if (codeLine && st.reason) st.reason = st.reason.replace(/with the code at line \d+/, `with the code at line ${codeLine}`);
    return {
      name,
      fix: !mine && known.has(slug) ? slug : null,
      ...(mine ? { maintainer: true } : {}),
      ...(partly ? { partlyApplied: true } : {}),
      status: st.status,
      ...(file ? { file } : {}),
      ...(st.status === 'fails' ? { hunk: st.hunk, hunkHeader: st.hunkHeader, reason: st.reason } : {}),
      // the line where the failing hunk's code is now, else where its header says
      ...(codeLine ? { line: codeLine } : hunk ? { line: Math.max(1, hunk.oldStart) } : {}),
      stale,
    };
  });
  const inSeries = new Set(order.filter(isOwn).map(slugOf));
  const report: CheckReport = {
    ...base(dir, prefix),
    command: 'check',
    patches: o.patches,
    staleIs: staleLevel,
    rules: regenerated.mods.map((m) => ruleOf(m.meta)),
    results,
    missingFromSeries: [...fresh.keys()].map((k) => k.replace(/\.patch$/, '')).filter((slug) => !inSeries.has(slug)),
    fixes: regenerated.steps.map(outcomeOf),
  };
  report.problems.push(...regenerated.problems);
  report.warnings.push(...regenerated.warnings);
  const drifted = report.fixes.some((f) => f.status === 'drift' || f.status === 'blocked');
  // a stale series (one memfix would write differently today) still applies: a warning, unless --stale=error
  const stale = results.some((r) => r.stale) || report.missingFromSeries.length > 0;
  const failed = results.some((r) => r.status === 'fails') || (stale && staleLevel === 'error');
  report.exitCode = report.problems.length || refused.size ? 2 : failed || drifted ? 1 : 0;
  emit(report, targets, wt?.top ?? root);
  process.exitCode = report.exitCode;
}
