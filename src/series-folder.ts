/**
 * The folder `memfix series` writes to holds only what memfix owns, and memfix owns only what it
 * wrote: a manifest in the folder (`.memfix-series.json`) records the name and SHA-256 of every
 * file it wrote. A run replaces or removes only files the manifest lists with their recorded
 * content. Anything else stays byte for byte:
 *
 * - a file memfix did not write makes the run refuse (exit 2, naming it); with --force the run
 *   writes beside it, never touching it, unless it has the name of a file the series needs
 *   (`series`, `0001-...patch`): that refuses even with --force;
 * - a file memfix wrote but someone edited since is never replaced or removed: the run refuses,
 *   naming it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemfixError, ioError } from './errors.ts';
import { TMP_SUFFIX, writeFilesAtomically } from './write.ts';

export const MANIFEST = '.memfix-series.json';

interface Manifest { memfix: 'series'; version: 1; files: Record<string, string[]> }

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function readManifest(outDir: string, display: string): Manifest | null {
  const path = join(outDir, MANIFEST);
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new MemfixError(`not a memfix manifest (${(e as Error).message}); remove it if the folder holds nothing of memfix's`, `${display}/${MANIFEST}`);
  }
  if (m?.memfix !== 'series' || typeof m.files !== 'object' || m.files === null) throw new MemfixError('not a memfix series manifest', `${display}/${MANIFEST}`);
  return m;
}

const manifestText = (files: Record<string, string[]>) =>
  JSON.stringify({ memfix: 'series', version: 1, files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) }, null, 2) + '\n';

export interface FolderResult { written: string[]; removed: string[]; foreign: string[]; kept?: string[] }

/** The names a quilt `series` file lists, in order (comments and blank lines skipped). */
const seriesEntries = (text: string) => text.split('\n').map((l) => l.replace(/(^|\s)#.*$/, '').trim().split(/\s+/)[0]!).filter(Boolean);
const slugOf = (name: string) => name.replace(/^\d{4}-/, '');

/**
 * The maintainer's own patches: files the `series` lists that memfix did not write (the manifest
 * does not name them). The new `series` keeps each after the patch of memfix's it followed (the
 * same fix, renumbered or not), or first when it came first; `accepted`: whether the `series` on
 * disk, without those lines, is one memfix wrote (else it was edited otherwise, and is refused).
 */
function maintainerPatches(outDir: string, owned: Record<string, string[]>, present: string[], files: { name: string; content: string }[]): { kept: string[]; series?: string; accepted: boolean } {
  if (!present.includes('series') || !owned.series) return { kept: [], accepted: false };
  let text: string;
  try { text = readFileSync(join(outDir, 'series'), 'utf8'); } catch { return { kept: [], accepted: false }; }
  const old = seriesEntries(text);
  const kept = old.filter((n) => !owned[n] && present.includes(n) && n !== 'series' && n !== MANIFEST);
  if (!kept.length) return { kept, accepted: false };
  const without = text.split('\n').filter((l) => !kept.includes(l.replace(/(^|\s)#.*$/, '').trim().split(/\s+/)[0]!)).join('\n');
  const accepted = owned.series.includes(sha256(without));
  const fresh = files.find((f) => f.name === 'series');
  if (!fresh) return { kept, accepted };
  const next = seriesEntries(fresh.content);
  const bySlug = new Map(next.map((n) => [slugOf(n), n]));
  const merged = [...next];
  for (let i = 0; i < old.length; i++) {
    if (!kept.includes(old[i]!)) continue;
    // the nearest patch of memfix's before it in the old series, still in the new one
    let anchor: string | undefined;
    for (let j = i - 1; j >= 0 && !anchor; j--) if (!kept.includes(old[j]!)) anchor = bySlug.get(slugOf(old[j]!));
    // after the anchor and the maintainer's patches already placed after it
    let at = anchor ? merged.indexOf(anchor) + 1 : 0;
    while (at < merged.length && kept.includes(merged[at]!) && old.indexOf(merged[at]!) < i) at++;
    merged.splice(at, 0, old[i]!);
  }
  return { kept, accepted, series: merged.map((n) => n + '\n').join('') };
}

/** Write a series into outDir, owning only what memfix wrote (see the module comment). */
export function writeSeriesFolder(outDir: string, display: string, files: { name: string; content: string }[], force: boolean): FolderResult {
  files = [...files];
  const at = (name: string) => `${display}/${name}`;
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new MemfixError('not a directory', display);
  const manifest = existsSync(outDir) ? readManifest(outDir, display) : null;
  const owned = manifest?.files ?? {};
  const present = existsSync(outDir) ? readdirSync(outDir) : [];
  const newNames = new Set(files.map((f) => f.name));
  // patches of the maintainer's own, listed in the series: kept, and kept in the series
  const mp = manifest ? maintainerPatches(outDir, owned, present, files) : { kept: [] as string[], accepted: false };
  if (mp.accepted && mp.series !== undefined) files = files.map((f) => (f.name === 'series' ? { ...f, content: mp.series! } : f));

  const foreign: string[] = [];
  const ours: string[] = [];
  for (const name of present) {
    if (name === MANIFEST) continue;
    const tempOfOurs = name.startsWith('.') && name.endsWith(TMP_SUFFIX) && (owned[name.slice(1, -TMP_SUFFIX.length)] || newNames.has(name.slice(1, -TMP_SUFFIX.length)));
    if (tempOfOurs) { rmSync(join(outDir, name), { force: true }); continue; } // left by a killed run
    const recorded = owned[name];
    if (!recorded) { foreign.push(name); continue; }
    let content: Buffer;
    try { content = readFileSync(join(outDir, name)); } catch (e) { throw ioError(e, at(name), 'cannot read'); }
    if (!recorded.includes(sha256(content)) && !(name === 'series' && mp.accepted)) {
      throw new MemfixError('memfix wrote this file, but it was changed since; memfix will not replace or remove it: move it elsewhere (or delete it) and run again', at(name));
    }
    ours.push(name);
  }
  const clash = foreign.filter((n) => newNames.has(n));
  // the maintainer's patches the series lists are no stranger's files: no --force needed, never touched
  if (mp.accepted && !clash.length) foreign.splice(0, foreign.length, ...foreign.filter((n) => !mp.kept.includes(n)));
  if (clash.length) throw new MemfixError(`memfix did not write this file and will not replace it${clash.length > 1 ? ` (nor ${clash.slice(1).join(', ')})` : ''}; the series needs that name: choose another folder with -o`, at(clash[0]!));
  if (foreign.length && !force) {
    throw new MemfixError(`holds files memfix did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); pass --force to write beside them (they are left alone)`, display);
  }

  try { mkdirSync(outDir, { recursive: true }); } catch (e) { throw ioError(e, display, 'cannot create the folder'); }
  const stale = ours.filter((n) => !newNames.has(n));
  // 1. a manifest that accepts both the old and the new content of every name, so a run killed
  //    in the middle leaves a folder the next run still recognises as its own
  const interim: Record<string, string[]> = {};
  for (const [n, h] of Object.entries(owned)) if (present.includes(n)) interim[n] = [...h];
  for (const f of files) interim[f.name] = [...new Set([...(interim[f.name] ?? []), sha256(f.content)])];
  writeFilesAtomically([{ path: join(outDir, MANIFEST), content: manifestText(interim), display: at(MANIFEST) }]);
  // 2. the files, 3. what an earlier run wrote that this series no longer has
  writeFilesAtomically(files.map((f) => ({ path: join(outDir, f.name), content: f.content, display: at(f.name) })));
  for (const n of stale) {
    try { rmSync(join(outDir, n)); } catch (e) { throw ioError(e, at(n), 'cannot remove'); }
  }
  // 4. the manifest of what is there now
  writeFilesAtomically([{ path: join(outDir, MANIFEST), content: manifestText(Object.fromEntries(files.map((f) => [f.name, [sha256(f.content)]]))), display: at(MANIFEST) }]);
  return { written: files.map((f) => f.name), removed: stale, foreign, ...(mp.accepted && mp.kept.length ? { kept: mp.kept } : {}) };
}
