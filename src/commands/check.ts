/**
 * memfix check: the CI job. Applies a series in order to an in-memory copy of DIR, then re-runs
 * the codemods: is the series stale (a regenerated patch differs), do the codemods still find
 * their targets? Exit 0 only when every patch applies (or is already in) and none is stale.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { applyPatchToTree, parseMbox, readSeriesOrder, revertPatchInTree, type ParsedPatch, type Tree } from '../apply.ts';
import { isStuck, stepLine } from '../report.ts';
import { out } from './common.ts';
import { OURS, planSeries, renderFiles } from './series.ts';
import { workTree } from '../git.ts';

/** The part of a patch that says what changes (from the first `diff --git` to the signature). */
export function diffPart(patch: string): string {
  const start = patch.indexOf('\ndiff --git ');
  const end = patch.lastIndexOf('\n-- \n');
  return start < 0 ? '' : patch.slice(start + 1, end > start ? end : undefined);
}

export type PatchStatus = 'applies' | 'already-applied' | 'fails';
export interface PatchCheck { name: string; status: PatchStatus; file?: string; hunk?: number; hunkHeader?: string; reason?: string }

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
      ? { name: p.fileName, status: 'fails', file: res.file, hunk: res.hunk, hunkHeader: res.hunkHeader, reason: res.reason }
      : { name: p.fileName, status: res.status });
  }
  return out;
}

export async function check(dir: string, o: { patches: string }): Promise<void> {
  const pdir = resolve(o.patches);
  if (!existsSync(pdir) || !statSync(pdir).isDirectory()) throw new MemfixError('no such patch folder', o.patches);
  const names = readdirSync(pdir).filter((f) => OURS.test(f) && f !== 'series');
  const seriesText = existsSync(join(pdir, 'series')) ? readFileSync(join(pdir, 'series'), 'utf8') : null;
  const order = readSeriesOrder(seriesText, names);
  if (!order.length) throw new MemfixError('no patches in the folder', o.patches);
  const root = resolve(dir);
  const wt = workTree(root);
  const prefix = wt?.prefix ?? '';
  const parsed = order.map((n) => parseMbox(join(o.patches, n), readFileSync(join(pdir, n), 'utf8')));

  // an in-memory copy of the files the series touches, read from DIR (paths are from the repository top)
  const tree: Tree = new Map();
  for (const p of parsed) for (const f of p.files) {
    for (const path of [f.oldPath, f.newPath]) {
      if (!path || tree.has(path)) continue;
      const rel = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
      const abs = join(root, rel);
      if (existsSync(abs)) tree.set(path, readFileSync(abs, 'utf8'));
    }
  }

  const results = statusOnTree(tree, parsed);
  const ok = results.every((r) => r.status !== 'fails');
  out('patches:');
  for (const r of results) {
    if (r.status === 'applies') out(`  ${pc.green('applies')}          ${r.name}`);
    else if (r.status === 'already-applied') out(`  ${pc.green('already applied')}  ${r.name}`);
    else out(`  ${pc.red('fails')}            ${r.name}: ${r.file}, hunk ${r.hunk}${r.hunkHeader ? ` (${r.hunkHeader})` : ''}: ${r.reason}`);
  }

  // regenerate: same fixes, same slugs; compare what each patch changes (no author or date needed)
  const regenerated = await planSeries(dir, { base: 'worktree', wt });
  out('codemods:');
  for (const s of regenerated.steps) out('  ' + stepLine(s));
  const drifted = regenerated.steps.filter(isStuck);
  out(drifted.length ? `  ${pc.red('the codemods cannot handle')} ${drifted.map((s) => s.codemod.meta.id).join(', ')}` : '  the codemods find every target');
  const rendered = renderFiles(regenerated, { author: 'memfix <memfix@localhost>', date: '0' });
  const fresh = new Map(rendered.filter((f) => /^\d{4}-/.test(f.name) && !f.name.startsWith('0000-')).map((f) => [f.name.replace(/^\d{4}-/, ''), f.content]));
  const statusOf = new Map(results.map((r) => [r.name, r.status]));
  const stale: string[] = [];
  for (const name of order) {
    const slug = name.replace(/^\d{4}-/, '');
    if (statusOf.get(join(o.patches, name)) === 'already-applied') continue;
    const now = fresh.get(slug);
    if (now === undefined || diffPart(now) !== diffPart(readFileSync(join(pdir, name), 'utf8'))) stale.push(name);
  }
  for (const slug of fresh.keys()) if (!order.some((n) => n.replace(/^\d{4}-/, '') === slug)) stale.push(`(new) ${slug}`);
  out(stale.length ? `series: ${pc.red('stale')}: ${stale.join(', ')} differ from what the codemods now produce (run memfix series again)` : 'series: up to date');
  process.exitCode = ok && !stale.length && !drifted.length ? 0 : 1;
}
