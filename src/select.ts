/**
 * `--fix X`: X and what it needs. A fix is never taken without the fixes it depends on, so the
 * selection grows by their dependencies, and the user is told which were added.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codemodsDir } from './registry.ts';

/** Every codemod's id and dependencies, from the meta.json files alone (no transform is loaded). */
function dependencyMap(): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const name of readdirSync(codemodsDir)) {
    const meta = join(codemodsDir, name, 'meta.json');
    if (!existsSync(meta)) continue;
    try {
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { id?: string; dependsOn?: unknown };
      if (typeof m.id === 'string') deps.set(m.id, Array.isArray(m.dependsOn) ? m.dependsOn.filter((d): d is string => typeof d === 'string') : []);
    } catch { /* the registry reports a broken meta.json with its name */ }
  }
  return deps;
}

/** The chosen ids and, after them, every fix they need (transitively); `added` lists the latter. Unknown ids pass through (the registry rejects them). */
export function withDependencies(fix: string[] | undefined): { fix: string[] | undefined; added: string[] } {
  if (!fix) return { fix, added: [] };
  const deps = dependencyMap();
  const all = [...fix];
  for (let i = 0; i < all.length; i++) for (const d of deps.get(all[i]!) ?? []) if (!all.includes(d)) all.push(d);
  return { fix: all, added: all.slice(fix.length) };
}

/** The line that says so: "--fix storage-generation needs copy-on-read, free-disk-buffer: they are included". */
export function dependencyNote(chosen: string[], added: string[]): string {
  return `--fix ${chosen.join(',')} needs ${added.join(', ')}: ${added.length === 1 ? 'it is' : 'they are'} included`;
}

/** The fixes that need `id`, directly or through others, in no particular order. */
export function dependentsOf(id: string): string[] {
  const deps = dependencyMap();
  const out: string[] = [];
  const needs = (x: string, seen = new Set<string>()): boolean => (deps.get(x) ?? []).some((d) => d === id || (!seen.has(d) && (seen.add(d), needs(d, seen))));
  for (const x of deps.keys()) if (x !== id && needs(x)) out.push(x);
  return out;
}
