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
 *
 * The manifest is untrusted input too (anyone can write one): it may list only names of the form
 * memfix writes (`series`, `NNNN-slug.patch`: plain names in the folder), each with SHA-256
 * digests; anything else is refused (exit 2, naming it) before any file is touched. Files are
 * read without following a symbolic link (a link is never memfix's), and written through
 * temporary files created exclusively. A temporary file of memfix's (`.<name>.memfix.tmp`, for
 * the manifest too) is removed: only a killed run leaves one. One run at a time writes the
 * folder: `.memfix-series.lock` (see src/transaction.ts) is held while it does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmdirSync, statSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MemfixError, ioError } from './errors.ts';
import { kindOf, readOwn, readRegular, removeOwn, writeFilesAtomically } from './write.ts';
import { acquireLock, type Lock } from './transaction.ts';

export const MANIFEST = '.memfix-series.json';
export const FOLDER_LOCK = '.memfix-series.lock';
/** The names of the files of a series (as src/commands/series.ts's OURS): numbered patches and the quilt `series` file. */
const SERIES_NAME = /^(\d{4}-[A-Za-z0-9._-]+\.patch|series)$/;
/** memfix's temporary files in a series folder: of a series file or of the manifest. */
const OWN_TEMP = new RegExp(`^\\.(\\d{4}-[A-Za-z0-9._-]+\\.patch|series|\\.memfix-series\\.json)\\.memfix\\.tmp$`);
/** The folder's lock and what placing or taking it over leaves for a moment. */
const LOCK_FILES = /^\.memfix-series\.lock(\.break)?(\.\d+\.tmp)?$/;
const HEX64 = /^[0-9a-f]{64}$/;

interface Manifest { memfix: 'series'; version: 1; files: Record<string, string[]> }

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function readManifest(outDir: string, display: string): Manifest | null {
  const shown = `${display}/${MANIFEST}`;
  const bytes = readOwn(join(outDir, MANIFEST), shown);
  if (!bytes) return null;
  let m: Manifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as Manifest;
  } catch (e) {
    throw new MemfixError(`not a memfix manifest (${(e as Error).message}); remove it if the folder holds nothing of memfix's`, shown);
  }
  if (m?.memfix !== 'series' || typeof m.files !== 'object' || m.files === null || Array.isArray(m.files)) throw new MemfixError('not a memfix series manifest', shown);
  for (const [name, digests] of Object.entries(m.files)) {
    if (!SERIES_NAME.test(name)) throw new MemfixError(`lists ${JSON.stringify(name.slice(0, 200))}, which is no name memfix writes (series, NNNN-slug.patch): memfix did not write this manifest and touches nothing; remove it`, shown);
    if (!Array.isArray(digests) || !digests.length || !digests.every((d) => typeof d === 'string' && HEX64.test(d))) throw new MemfixError(`lists ${name} without SHA-256 digests: memfix did not write this manifest and touches nothing; remove it`, shown);
  }
  return m;
}

/**
 * Hold the series folder's lock (the folder is created when missing, as -o asks): one run at a
 * time writes a series folder.
 */
export async function lockSeriesFolder(outDir: string, display: string): Promise<Lock> {
  let created = false;
  const ensure = () => {
    const k = kindOf(outDir);
    if (k === null) {
      try { mkdirSync(outDir, { recursive: true }); created = true; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, display, 'cannot create the folder'); }
    }
    if (!statSync(outDir).isDirectory()) throw new MemfixError('not a directory', display);
  };
  return acquireLock(join(outDir, FOLDER_LOCK), `${display}/${FOLDER_LOCK}`, 'folder', display, ensure, () => {
    if (created) try { rmdirSync(outDir); } catch { /* it holds the series */ }
  });
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
  if (!present.includes('series') || !Object.hasOwn(owned, 'series') || kindOf(join(outDir, 'series')) !== 'file') return { kept: [], accepted: false };
  const text = readRegular(join(outDir, 'series'), 'series', 2 ** 31 - 1, 'memfix never reads through a link', 'memfix did not write it')?.toString('utf8');
  if (text === undefined) return { kept: [], accepted: false };
  const old = seriesEntries(text);
  // regular files only: a link or a folder the series names is no patch of the maintainer's to keep
  const kept = old.filter((n) => !Object.hasOwn(owned, n) && present.includes(n) && n !== 'series' && n !== MANIFEST && kindOf(join(outDir, n)) === 'file');
  if (!kept.length) return { kept, accepted: false };
  const without = text.split('\n').filter((l) => !kept.includes(l.replace(/(^|\s)#.*$/, '').trim().split(/\s+/)[0]!)).join('\n');
  const accepted = owned.series!.includes(sha256(without));
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
    if (name === MANIFEST || LOCK_FILES.test(name)) continue;
    if (OWN_TEMP.test(name) && kindOf(join(outDir, name)) !== 'dir') { removeOwn(join(outDir, name), at(name)); continue; } // left by a killed run
    const recorded = Object.hasOwn(owned, name) ? owned[name] : undefined;
    // a symbolic link is never memfix's: it is left alone (and never followed)
    if (!recorded || kindOf(join(outDir, name)) !== 'file') { foreign.push(name); continue; }
    const content = readRegular(join(outDir, name), at(name), 2 ** 31 - 1, 'memfix never reads through a link', 'memfix did not write it')!;
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
  for (const [n, h] of Object.entries(owned)) if (ours.includes(n)) interim[n] = [...h];
  for (const f of files) interim[f.name] = [...new Set([...(interim[f.name] ?? []), sha256(f.content)])];
  writeFilesAtomically([{ path: join(outDir, MANIFEST), content: manifestText(interim), display: at(MANIFEST) }]);
  // 2. the files, 3. what an earlier run wrote that this series no longer has
  writeFilesAtomically(files.map((f) => ({ path: join(outDir, f.name), content: f.content, display: at(f.name) })));
  for (const n of stale) {
    try { unlinkSync(join(outDir, n)); } catch (e) { throw ioError(e, at(n), 'cannot remove'); }
  }
  // 4. the manifest of what is there now
  writeFilesAtomically([{ path: join(outDir, MANIFEST), content: manifestText(Object.fromEntries(files.map((f) => [f.name, [sha256(f.content)]]))), display: at(MANIFEST) }]);
  return { written: files.map((f) => f.name), removed: stale, foreign, ...(mp.accepted && mp.kept.length ? { kept: mp.kept } : {}) };
}
