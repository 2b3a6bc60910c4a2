/**
 * `memfix apply` changes a tree as one transaction: all of its files or none of them, even when
 * the process is killed between two renames, and never two runs at once.
 *
 * Both live in `DIR/.memfix/` (DIR as given to apply), which exists only while a run holds it or
 * after a run was killed:
 *
 * - `lock`: created exclusively, holding `pid host time`. A second run waits for it (up to
 *   MEMFIX_LOCK_WAIT seconds, 30 by default) and then refuses; a lock whose process is gone (same
 *   host, no such pid) is taken over.
 * - `journal`: written before any target changes. Its file list (path, temporary file, SHA-256 of
 *   the content before and after) is fsynced first, then the temporary files are written and
 *   fsynced, then a `commit` line is appended: the commit point. Only then are the temporaries
 *   renamed over their targets, and the journal removed.
 *
 * The next run (under the lock, before it reads the tree) finishes what a killed run left:
 * without `commit` it rolls back (removes the temporaries; no target had been touched); with
 * `commit` it rolls forward (renames the temporaries whose content is the journal's "after").
 * When neither can be proven (a target changed since), it stops with exit 2 naming the file and
 * leaves the journal for the user to look at.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { MemfixError, ioError } from './errors.ts';
import { tempFor, writeDurably } from './write.ts';

export const STATE_DIR = '.memfix';
const JOURNAL_HEAD = 'memfix apply journal 1';
const FILES_DONE = 'files-complete';
const COMMIT = 'commit';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const readOrNull = (p: string): Buffer | null => { try { return readFileSync(p); } catch { return null; } };

export interface TreeChange { /** relative to the tree root, POSIX */ path: string; before: string; after: string }

// ------------------------------------------------------------------ the lock

export interface TreeLock { release(): void }

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // a lock naming us is one a killed run left (its pid reused)
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

interface Holder { pid: number; host: string; since: number }
function readHolder(path: string): Holder | null {
  const m = /^(\d+) (\S+) (\d+)/.exec(readOrNull(path)?.toString('utf8') ?? '');
  return m ? { pid: Number(m[1]), host: m[2]!, since: Number(m[3]) } : null;
}
const stale = (h: Holder | null) => h !== null && h.host === hostname() && !alive(h.pid);

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try { fd = openSync(path, 'wx'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try { writeSync(fd, text); } finally { closeSync(fd); }
  return true;
}

/** Take over a lock left by a process that is gone; `lock.break` keeps two runs from doing it at once. */
function breakStale(lockPath: string, seen: Holder): void {
  const breaker = `${lockPath}.break`;
  if (!createExclusive(breaker, `${process.pid} ${hostname()} ${Date.now()}\n`)) {
    if (stale(readHolder(breaker))) rmSync(breaker, { force: true });
    return;
  }
  try {
    const now = readHolder(lockPath);
    if (now && now.pid === seen.pid && now.since === seen.since && stale(now)) rmSync(lockPath, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

/** Lock the tree at root for one apply; waits for another run to finish, or refuses after a while. */
export async function lockTree(root: string, display: string): Promise<TreeLock> {
  const dir = join(root, STATE_DIR);
  const lockPath = join(dir, 'lock');
  const waitMs = Number(process.env.MEMFIX_LOCK_WAIT ?? 30) * 1000;
  const start = Date.now();
  let told = false;
  for (;;) {
    try {
      // not recursive: the tree exists (apply checked), and only .memfix is memfix's to create;
      // a recursive mkdir on a read-only file system says ENOENT (a Node quirk), this one EROFS
      try { mkdirSync(dir); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, `${display}/${STATE_DIR}`, 'cannot lock the tree'); }
      if (createExclusive(lockPath, `${process.pid} ${hostname()} ${Date.now()}\n`)) break;
    } catch (e) {
      if (e instanceof MemfixError) throw e;
      // the holder released the lock and removed its folder between this mkdir and this open
      // (seen with concurrent applies): take the folder again
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && Date.now() - start < waitMs) continue;
      throw ioError(e, `${display}/${STATE_DIR}/lock`, 'cannot lock the tree');
    }
    const holder = readHolder(lockPath);
    if (stale(holder)) { breakStale(lockPath, holder!); continue; }
    const who = holder ? `memfix (pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''})` : 'another memfix';
    if (Date.now() - start >= waitMs) {
      throw new MemfixError(`${who} is applying fixes to this tree; try again when it is done (waited ${Math.round(waitMs / 1000)} s; MEMFIX_LOCK_WAIT sets how long)`, `${display}/${STATE_DIR}/lock`);
    }
    if (!told) { process.stderr.write(`memfix: waiting for ${who}, which is applying fixes to ${display}\n`); told = true; }
    await new Promise((r) => setTimeout(r, 100));
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    rmSync(lockPath, { force: true });
    try { rmdirSync(dir); } catch { /* a journal left for the user, or not empty */ }
  };
  process.on('exit', release);
  return { release };
}

// --------------------------------------------------------------- the journal

interface Entry { path: string; tmp: string; before: string; after: string }
interface Journal { entries: Entry[]; complete: boolean; committed: boolean }

function readJournal(path: string): Journal | null {
  const text = readOrNull(path)?.toString('utf8');
  if (text === undefined) return null;
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop(); // a line cut short by a kill
  const j: Journal = { entries: [], complete: false, committed: false };
  if (lines[0] !== JOURNAL_HEAD) return j;
  for (const l of lines.slice(1)) {
    if (l === FILES_DONE) j.complete = true;
    else if (l === COMMIT) j.committed = j.complete;
    else if (l.startsWith('{') && !j.complete) {
      try { j.entries.push(JSON.parse(l) as Entry); } catch { return j; }
    }
  }
  return j;
}

/** Does an interrupted apply wait to be finished (by the next `memfix apply`)? */
export function pendingJournal(root: string): boolean {
  return existsSync(join(root, STATE_DIR, 'journal'));
}

/**
 * Finish or undo what a killed run left (call with the lock held). Returns what was done, for
 * the user: '' when there was nothing to do.
 */
export function recover(root: string, display: string): string {
  const journalPath = join(root, STATE_DIR, 'journal');
  const j = readJournal(journalPath);
  if (!j) return '';
  const rel = (e: Entry) => `${display}/${e.path}`;
  let said: string;
  if (!j.committed) {
    // the commit point was not reached: no target was touched; drop the temporaries
    for (const e of j.entries) rmSync(join(root, e.tmp), { force: true });
    said = `an interrupted apply was rolled back (it had not changed any file)`;
  } else {
    // prove every file can be finished before touching any
    for (const e of j.entries) {
      const target = readOrNull(join(root, e.path));
      const tmp = readOrNull(join(root, e.tmp));
      const done = target !== null && sha256(target) === e.after;
      const ready = tmp !== null && sha256(tmp) === e.after;
      if (!done && !ready) {
        throw new MemfixError(`an interrupted apply cannot be finished: the file changed since (its journal is ${display}/${STATE_DIR}/journal; restore the file or remove that folder)`, rel(e));
      }
    }
    const finished: string[] = [];
    for (const e of j.entries) {
      const target = readOrNull(join(root, e.path));
      if (target !== null && sha256(target) === e.after) { rmSync(join(root, e.tmp), { force: true }); continue; }
      try { renameSync(join(root, e.tmp), join(root, e.path)); } catch (err) { throw ioError(err, rel(e), 'cannot finish an interrupted apply'); }
      finished.push(e.path);
    }
    said = `an interrupted apply was finished${finished.length ? ` (wrote ${finished.join(', ')})` : ''}`;
  }
  rmSync(journalPath, { force: true });
  return said;
}

/**
 * Write the changes as one transaction (call with the lock held, after recover). Each file must
 * still hold `before`; otherwise nothing is written and the error names it.
 */
export function commitChanges(root: string, display: string, changes: TreeChange[]): void {
  if (!changes.length) return;
  const journalPath = join(root, STATE_DIR, 'journal');
  const journalName = `${display}/${STATE_DIR}/journal`;
  const entries: Entry[] = changes.map((c) => ({
    path: c.path,
    tmp: tempFor(c.path),
    before: sha256(Buffer.from(c.before, 'utf8')),
    after: sha256(Buffer.from(c.after, 'utf8')),
  }));
  for (const e of entries) {
    const now = readOrNull(join(root, e.path));
    if (now === null || sha256(now) !== e.before) throw new MemfixError('changed since memfix read it: nothing written; run memfix apply again', `${display}/${e.path}`);
  }
  // 1. the file list, durable before any temporary file exists
  writeDurably(journalPath, [JOURNAL_HEAD, ...entries.map((e) => JSON.stringify(e)), FILES_DONE, ''].join('\n'), journalName);
  const rollBack = () => {
    for (const e of entries) rmSync(join(root, e.tmp), { force: true });
    rmSync(journalPath, { force: true });
  };
  try {
    // 2. every new content, durable
    changes.forEach((c, i) => writeDurably(join(root, entries[i]!.tmp), c.after, `${display}/${c.path}`, join(root, c.path)));
    // 3. the commit point
    const fd = openSync(journalPath, 'a');
    try { appendFileSync(fd, `${COMMIT}\n`); fsyncSync(fd); } finally { closeSync(fd); }
  } catch (e) {
    rollBack();
    throw ioError(e, journalName, 'cannot write');
  }
  // 4. the renames; a failure here is finished by the next run (the journal stays)
  for (const e of entries) {
    try { renameSync(join(root, e.tmp), join(root, e.path)); } catch (err) {
      throw ioError(err, `${display}/${e.path}`, 'cannot write (the next memfix apply finishes the other files)');
    }
  }
  rmSync(journalPath, { force: true });
}
