/**
 * memfix check: the CI job. Applies a series in order to an in-memory copy of DIR, then re-runs
 * the codemods: is the series stale (a regenerated patch differs), do the codemods still find
 * their targets? Exit 0 only when every patch applies (or is already in) and none is stale.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { applyPatchToTree, parseMbox, readSeriesOrder, revertPatchInTree, type Tree } from '../apply.ts';
import { isStuck, stepLine } from '../report.ts';
import { out, reportProblems } from './common.ts';
import { buildSeries, OURS } from './series.ts';
import { gitPrefix } from './series-build.ts';

/** The part of a patch that says what changes (from the first `diff --git` to the signature). */
export function diffPart(patch: string): string {
  const start = patch.indexOf('\ndiff --git ');
  const end = patch.lastIndexOf('\n-- \n');
  return start < 0 ? '' : patch.slice(start + 1, end > start ? end : undefined);
}

export async function check(dir: string, o: { patches: string }): Promise<void> {
  const pdir = resolve(o.patches);
  if (!existsSync(pdir) || !statSync(pdir).isDirectory()) throw new MemfixError('no such patch folder', o.patches);
  const names = readdirSync(pdir).filter((f) => OURS.test(f) && f !== 'series');
  const seriesText = existsSync(join(pdir, 'series')) ? readFileSync(join(pdir, 'series'), 'utf8') : null;
  const order = readSeriesOrder(seriesText, names);
  if (!order.length) throw new MemfixError('no patches in the folder', o.patches);
  const root = resolve(dir);
  const prefix = gitPrefix(root);
  const parsed = order.map((n) => parseMbox(join(o.patches, n), readFileSync(join(pdir, n), 'utf8')));

  // an in-memory copy of the files the series touches, read from DIR (paths are from the repository top)
  let tree: Tree = new Map();
  for (const p of parsed) for (const f of p.files) {
    for (const path of [f.oldPath, f.newPath]) {
      if (!path || tree.has(path)) continue;
      const rel = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
      const abs = join(root, rel);
      if (existsSync(abs)) tree.set(path, readFileSync(abs, 'utf8'));
    }
  }

  // a tree that already holds the whole series: the series reverse-applies, last patch first
  let reverted: Tree | null = tree;
  for (const p of [...parsed].reverse()) if (reverted) reverted = revertPatchInTree(reverted, p);
  const allIn = reverted !== null;

  let ok = true;
  out('patches:');
  const statusOf = new Map<string, string>();
  for (const p of parsed) {
    const r = allIn ? { result: { patch: p.fileName, status: 'already-applied' as const }, tree } : applyPatchToTree(tree, p);
    tree = r.tree;
    statusOf.set(p.fileName, r.result.status);
    if (r.result.status === 'applies') out(`  ${pc.green('applies')}          ${p.fileName}`);
    else if (r.result.status === 'already-applied') out(`  ${pc.green('already applied')}  ${p.fileName}`);
    else {
      ok = false;
      out(`  ${pc.red('fails')}            ${p.fileName}: ${r.result.file}, hunk ${r.result.hunk}${r.result.hunkHeader ? ` (${r.result.hunkHeader})` : ''}: ${r.result.reason}`);
    }
  }

  // regenerate: same fixes, same slugs; compare what each patch changes
  const regenerated = await buildSeries(dir, {});
  out('codemods:');
  for (const s of regenerated.steps) out('  ' + stepLine(s));
  const drifted = regenerated.steps.filter(isStuck);
  out(drifted.length ? `  ${pc.red('the codemods cannot handle')} ${drifted.map((s) => s.codemod.meta.id).join(', ')}` : '  the codemods find every target');
  const fresh = new Map(regenerated.render().filter((f) => /^\d{4}-/.test(f.name) && !f.name.startsWith('0000-')).map((f) => [f.name.replace(/^\d{4}-/, ''), f.content]));
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
  reportProblems(regenerated.problems);
}
