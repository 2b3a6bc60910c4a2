/**
 * `memfix apply` changes a tree as one transaction: all of its files or none of them, even when
 * the process is killed between two renames, and never two runs at once.
 *
 * Both live in `DIR/.memfix/` (DIR as given to apply), which exists only while a run holds it or
 * after a run was killed:
 *
 * - `lock`: holding `pid host time command`, written whole to a temporary file that is then linked
 *   to the name `lock` (so a lock is never seen empty). A second run waits for it (up to
 *   MEMFIX_LOCK_WAIT seconds, 30 by default) and then refuses; a lock whose process is gone (same
 *   host, no such pid), or that holds no owner at all (empty, garbage), is taken over. `series`
 *   writes nothing in the tree: it waits while an apply holds the lock, and reads again when an
 *   apply changed the tree while it read (readTreeSettled), so it never reads a tree half applied.
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
 *
 * Everything in `.memfix/` is untrusted input (a pull request can add it): `.memfix` must be a real
 * folder, the lock and journal regular files, and each journal entry must name a file memfix
 * would write (a file of the tree that passed a role's token test, reached through real folders,
 * its temporary file its `.<name>.memfix.tmp` sibling); anything else stops the run with exit 2
 * naming the journal and the entry, before any file is touched.
 */
import { closeSync, lstatSync, constants, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { createHash } from 'node:crypto';
import { MemfixError, ioError } from './errors.ts';
import { candidatePaths } from './workspace.ts';
import { kindOf, readOwn, readRegular, realFoldersTo, removeOwn, tempFor, writeDurably } from './write.ts';

export const STATE_DIR = '.memfix';
const JOURNAL_HEAD = 'memfix apply journal 1';
const FILES_DONE = 'files-complete';
const COMMIT = 'commit';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

export interface TreeChange { /** relative to the tree root, POSIX */ path: string; before: string; after: string }

// ------------------------------------------------------------------ locks

export interface Lock { release(): void }
export type TreeLock = Lock;

/** What a lock's holder is doing, for the messages of the runs that wait for it. */
const DOING: Record<string, string> = {
  apply: 'is applying fixes to',
  folder: 'is writing a series to',
};

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // a lock naming us is one a killed run left (its pid reused)
  try { process.kill(pid, 0); return true; } catch (e) { return code(e) === 'EPERM'; }
}

interface Holder { pid: number; host: string; since: number; doing: string }
const parseHolder = (text: string): Holder | null => {
  const m = /^(\d+) (\S+) (\d+)(?: (\w+))?\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]!, since: Number(m[3]), doing: m[4] ?? 'apply' } : null;
};
/** A lock without a live owner: none readable in it (empty, garbage), or a process of this host that is gone. */
const ownerless = (h: Holder | null) => h === null || (h.host === hostname() && !alive(h.pid));

/**
 * Put a lock file in place whole: its text goes to a temporary file first, which is then linked
 * to the lock's name (link fails when anything has that name). False when the lock is taken.
 */
function placeLock(path: string, text: string, display: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  removeOwn(tmp, display);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try { writeSync(fd, text); } finally { closeSync(fd); }
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw e;
  } finally {
    try { unlinkSync(tmp); } catch { /* gone */ }
  }
}

/** Remove the temporary files of lock placements whose process is gone (a run killed while placing its lock). */
function dropDeadTemps(path: string): void {
  const dir = dirname(path);
  const re = new RegExp(`^${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\.break)?\\.(\\d+)\\.tmp$`);
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    const m = re.exec(n);
    if (m && !alive(Number(m[1]))) try { removeOwn(join(dir, n), n); } catch { /* a folder there: left alone */ }
  }
}

/** The lock's text: null when there is no lock; '' for an empty one. */
const lockText = (path: string, display: string) => readOwn(path, display, 4096)?.toString('utf8') ?? null;

/** Take over a lock without a live owner; `<lock>.break` keeps two runs from doing it at once. */
function takeOver(path: string, seen: string, display: string): void {
  const breaker = `${path}.break`;
  if (!placeLock(breaker, `${process.pid} ${hostname()} ${Date.now()} break\n`, display)) {
    const b = lockText(breaker, display);
    if (b !== null && ownerless(parseHolder(b)) && lockText(breaker, display) === b) removeOwn(breaker, display);
    return;
  }
  try {
    if (lockText(path, display) === seen) removeOwn(path, display);
  } finally {
    removeOwn(breaker, display);
  }
}

/**
 * Hold the lock at `path` (its folder exists and was checked): wait for another run, or refuse
 * after MEMFIX_LOCK_WAIT seconds. `doing` says what this run does (apply, series, folder);
 * `what` names the tree or folder in messages.
 */
export async function acquireLock(path: string, display: string, doing: keyof typeof DOING, what: string, ensureDir?: () => void, afterRelease?: () => void): Promise<Lock> {
  const waitMs = Number(process.env.MEMFIX_LOCK_WAIT ?? 30) * 1000;
  const start = Date.now();
  const mine = `${process.pid} ${hostname()} ${Date.now()} ${doing}\n`;
  let told = false;
  dropDeadTemps(path);
  for (;;) {
    try {
      ensureDir?.();
      if (placeLock(path, mine, display)) break;
    } catch (e) {
      if (e instanceof MemfixError) throw e;
      // the holder released the lock and removed its folder between our check and our write
      // (seen with concurrent applies): take the folder again
      if (code(e) === 'ENOENT' && Date.now() - start < waitMs) continue;
      throw ioError(e, display, 'cannot lock');
    }
    const text = lockText(path, display);
    if (text === null) continue;
    const holder = parseHolder(text);
    if (ownerless(holder)) {
      takeOver(path, text, display);
      await new Promise((r) => setTimeout(r, 5)); // another run may be taking it over too
      continue;
    }
    const who = `memfix (pid ${holder!.pid}${holder!.host !== hostname() ? ` on ${holder!.host}` : ''})`;
    const act = DOING[holder!.doing] ?? DOING.apply!;
    if (Date.now() - start >= waitMs) {
      throw new MemfixError(`${who} ${act} this ${doing === 'folder' ? 'folder' : 'tree'}; try again when it is done (waited ${Math.round(waitMs / 1000)} s; MEMFIX_LOCK_WAIT sets how long)`, display);
    }
    if (!told) { process.stderr.write(`memfix: waiting for ${who}, which ${act} ${what}\n`); told = true; }
    await new Promise((r) => setTimeout(r, 100));
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try { if (lockText(path, display) === mine) unlinkSync(path); } catch { /* not ours any more, or gone */ }
    afterRelease?.();
  };
  process.on('exit', release);
  return { release };
}

/** `DIR/.memfix`, checked: a real folder (created when missing), never a symbolic link. */
function stateDir(root: string, display: string, create: boolean): string | null {
  const dir = join(root, STATE_DIR);
  const shown = `${display}/${STATE_DIR}`;
  let k = kindOf(dir);
  if (k === null && create) {
    try { mkdirSync(dir); } catch (e) { if (code(e) !== 'EEXIST') throw ioError(e, shown, 'cannot create memfix\'s state folder'); }
    k = kindOf(dir);
  }
  if (k === 'link') throw new MemfixError('is a symbolic link: memfix keeps its lock and journal there and will not follow it out of the tree; remove it', shown);
  if (k !== null && k !== 'dir') throw new MemfixError('is not a folder: memfix keeps its lock and journal in a folder of that name; remove it', shown);
  return k === null ? null : dir;
}

function checkRoot(root: string, display: string): void {
  let st;
  try { st = statSync(root); } catch { throw new MemfixError('no such directory', display); }
  if (!st.isDirectory()) throw new MemfixError('not a directory', display);
}

/** Lock the tree at root for one apply (or for a series reading it); waits for another run, or refuses after a while. */
export async function lockTree(root: string, display: string): Promise<Lock> {
  checkRoot(root, display);
  const dir = join(root, STATE_DIR);
  return acquireLock(join(dir, 'lock'), `${display}/${STATE_DIR}/lock`, 'apply', display, () => { stateDir(root, display, true); }, () => {
    try { rmdirSync(dir); } catch { /* a journal left for the user, or another run's lock */ }
  });
}

/**
 * For a run that reads a tree without writing it (series on a read-only tree): refuses when an
 * apply holds the tree (a live lock) instead of waiting for it.
 */
export function assertNotLocked(root: string, display: string): void {
  const holder = liveHolder(root, display);
  if (holder) throw new MemfixError(`memfix (pid ${holder.pid}) ${DOING[holder.doing] ?? DOING.apply!} this tree; try again when it is done`, `${display}/${STATE_DIR}/lock`);
}

/** What the candidate files of the tree are now: a rename (an apply's) changes an inode. */
function treeSignature(root: string): string {
  return candidatePaths(root).map((p) => {
    try { const st = lstatSync(join(root, p)); return `${p}\0${st.ino}\0${st.size}\0${st.mtimeMs}`; } catch { return `${p}\0gone`; }
  }).join('\n');
}

/** A live apply holding the tree, if any. */
function liveHolder(root: string, display: string): Holder | null {
  const dir = stateDir(root, display, false);
  if (!dir) return null;
  const text = lockText(join(dir, 'lock'), `${display}/${STATE_DIR}/lock`);
  const holder = text === null ? null : parseHolder(text);
  return holder && !ownerless(holder) ? holder : null;
}

/**
 * Run `read` (series: a command that reads the tree and writes nothing there) on a tree no apply
 * is changing: it waits while an apply holds the tree (up to MEMFIX_LOCK_WAIT seconds, then
 * refuses), refuses an interrupted apply's journal (exit 2), and reads again when an apply
 * changed the tree while it read (seen by the lock, the journal, or the files' inodes).
 */
export async function readTreeSettled<T>(root: string, display: string, read: () => Promise<T>): Promise<T> {
  checkRoot(root, display);
  const waitMs = Number(process.env.MEMFIX_LOCK_WAIT ?? 30) * 1000;
  const start = Date.now();
  let told = false;
  for (let attempt = 1; ; attempt++) {
    for (let h = liveHolder(root, display); h; h = liveHolder(root, display)) {
      const who = `memfix (pid ${h.pid}${h.host !== hostname() ? ` on ${h.host}` : ''})`;
      const act = DOING[h.doing] ?? DOING.apply!;
      if (Date.now() - start >= waitMs) throw new MemfixError(`${who} ${act} this tree; try again when it is done (waited ${Math.round(waitMs / 1000)} s; MEMFIX_LOCK_WAIT sets how long)`, `${display}/${STATE_DIR}/lock`);
      if (!told) { process.stderr.write(`memfix: waiting for ${who}, which ${act} ${display}\n`); told = true; }
      await new Promise((r) => setTimeout(r, 100));
    }
    notePendingJournal(root, display, true);
    const before = treeSignature(root);
    const result = await read();
    if (!liveHolder(root, display) && !pendingJournal(root) && treeSignature(root) === before) return result;
    if (attempt >= 5) throw new MemfixError('the tree kept changing while memfix read it (an apply ran meanwhile); run memfix again', display);
  }
}

/**
 * For a command that reads the tree without locking it (check): no apply holds the tree, and no
 * interrupted apply left it half done; else exit 2.
 */
export function assertTreeSettled(root: string, display: string): void {
  assertNotLocked(root, display);
  notePendingJournal(root, display, true);
}

// --------------------------------------------------------------- the journal

interface Entry { path: string; tmp: string; before: string; after: string }
interface Journal { entries: Entry[]; complete: boolean; committed: boolean }

const HEX64 = /^[0-9a-f]{64}$/;

/** An entry's path: relative, POSIX, every component a plain name. */
function plainPath(p: unknown): p is string {
  return typeof p === 'string' && p !== '' && !p.includes('\0') && !p.includes('\\') &&
    p.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

/**
 * The journal, checked: null when there is none. Throws (naming the journal and the entry) when
 * it is not one memfix wrote. An entry's file must also be one of `writable` (the files of the
 * tree memfix would write), when given.
 */
function readJournal(root: string, display: string, writable?: ReadonlySet<string>): Journal | null {
  const dir = stateDir(root, display, false);
  if (!dir) return null;
  const shown = `${display}/${STATE_DIR}/journal`;
  const text = readOwn(join(dir, 'journal'), shown)?.toString('utf8');
  if (text === undefined) return null;
  const lines = text.split('\n');
  const cut = lines.pop()!; // '' after the last newline, else a line cut short by a kill
  const j: Journal = { entries: [], complete: false, committed: false };
  const bad = (n: number, why: string) => new MemfixError(`line ${n}: ${why}; memfix did not write this journal: it touches nothing, look at it and remove ${display}/${STATE_DIR}`, shown);
  if (!lines.length) {
    // the journal was being written when the run was killed: no other file had been touched yet
    if (!JOURNAL_HEAD.startsWith(cut)) throw bad(1, 'not a memfix journal');
    return j;
  }
  if (lines[0] !== JOURNAL_HEAD) throw bad(1, 'not a memfix journal');
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === FILES_DONE && !j.complete) { j.complete = true; continue; }
    if (l === COMMIT && j.complete && !j.committed) { j.committed = true; continue; }
    if (j.complete || !l.startsWith('{')) throw bad(i + 1, `unexpected ${JSON.stringify(l.slice(0, 40))}`);
    let e: Partial<Entry>;
    try { e = JSON.parse(l) as Partial<Entry>; } catch { throw bad(i + 1, 'an entry that is not JSON'); }
    const name = typeof e?.path === 'string' ? JSON.stringify(e.path.slice(0, 200)) : 'an entry';
    if (!plainPath(e?.path)) throw bad(i + 1, `${name} is not a path inside the tree (absolute, empty, or with a "." or ".." component)`);
    if (e.tmp !== posix.join(posix.dirname(e.path), `.${posix.basename(e.path)}.memfix.tmp`))
      throw bad(i + 1, `the temporary file of ${name} is not its .<name>.memfix.tmp sibling`);
    if (typeof e.before !== 'string' || !HEX64.test(e.before) || typeof e.after !== 'string' || !HEX64.test(e.after)) throw bad(i + 1, `${name} has no SHA-256 before and after`);
    if (writable && !writable.has(e.path)) throw bad(i + 1, `${name} is not a file memfix would write in this tree`);
    if (j.entries.some((x) => x.path === e.path)) throw bad(i + 1, `${name} is listed twice`);
    j.entries.push(e as Entry);
  }
  if (cut !== '' && !(j.complete ? COMMIT.startsWith(cut) && !j.committed : true)) throw bad(lines.length + 1, `unexpected ${JSON.stringify(cut.slice(0, 40))}`);
  return j;
}

/** Does an interrupted apply wait to be finished (by the next `memfix apply`)? Never follows a link. */
export function pendingJournal(root: string): boolean {
  const k = kindOf(join(root, STATE_DIR));
  return k === 'dir' ? kindOf(join(root, STATE_DIR, 'journal')) !== null : false;
}

/**
 * What a command that reads a tree says about an interrupted apply. `refuse` (series, check):
 * exit 2, the tree may be half applied; otherwise a line on stderr.
 */
export function notePendingJournal(root: string, display: string, refuse: boolean): void {
  if (kindOf(join(root, STATE_DIR)) === 'link') {
    if (refuse) stateDir(root, display, false);
    return;
  }
  if (!pendingJournal(root)) return;
  // a journal exists for a moment while an apply writes: say that one runs, rather than that one was interrupted
  if (refuse) assertNotLocked(root, display);
  const what = 'an interrupted apply left its journal: the tree may be half applied; run memfix apply to finish it or roll it back';
  if (refuse) throw new MemfixError(`${what} (nothing done)`, `${display}/${STATE_DIR}/journal`);
  process.stderr.write(`memfix: ${display}/${STATE_DIR}/journal: ${what}\n`);
}

/** A target file's bytes (regular, reached through real folders); null when it is not there. */
function readTarget(root: string, path: string, display: string): Buffer | null {
  if (!realFoldersTo(root, path, display)) return null;
  return readRegular(join(root, path), `${display}/${path}`, 2 ** 31 - 1, 'memfix never writes through a link', 'memfix writes regular files only');
}

/**
 * Finish or undo what a killed run left (call with the lock held). `writable`: the files of the
 * tree memfix would write (a journal naming any other file is refused). Returns what was done,
 * for the user: '' when there was nothing to do.
 */
export function recover(root: string, display: string, writable?: ReadonlySet<string>): string {
  const j = readJournal(root, display, writable);
  if (!j) return '';
  const journalPath = join(root, STATE_DIR, 'journal');
  const rel = (e: Entry) => `${display}/${e.path}`;
  const journalName = `${display}/${STATE_DIR}/journal`;
  let said: string;
  // every entry's folders are real folders of the tree, its files regular files (no link followed)
  for (const e of j.entries) {
    readTarget(root, e.path, display);
    const k = kindOf(join(root, e.tmp));
    if (k !== null && k !== 'file' && (j.committed || k === 'dir')) throw new MemfixError(`the temporary file of ${e.path} is not a regular file: memfix did not write it; look at it and remove ${display}/${STATE_DIR}`, journalName);
  }
  if (!j.committed) {
    // the commit point was not reached: no target was touched; drop the temporaries
    if (j.complete) for (const e of j.entries) removeOwn(join(root, e.tmp), `${display}/${e.tmp}`);
    said = `an interrupted apply was rolled back (it had not changed any file)`;
  } else {
    // prove every file can be finished before touching any
    for (const e of j.entries) {
      const target = readTarget(root, e.path, display);
      const tmp = kindOf(join(root, e.tmp)) === 'file' ? readTarget(root, e.tmp, display) : null;
      const done = target !== null && sha256(target) === e.after;
      const ready = tmp !== null && sha256(tmp) === e.after && target !== null && sha256(target) === e.before;
      if (!done && !ready) {
        throw new MemfixError(`an interrupted apply cannot be finished: the file changed since (its journal is ${journalName}; restore the file or remove that folder)`, rel(e));
      }
    }
    const finished: string[] = [];
    for (const e of j.entries) {
      const target = readTarget(root, e.path, display);
      if (target !== null && sha256(target) === e.after) { removeOwn(join(root, e.tmp), `${display}/${e.tmp}`); continue; }
      try { renameSync(join(root, e.tmp), join(root, e.path)); } catch (err) { throw ioError(err, rel(e), 'cannot finish an interrupted apply'); }
      finished.push(e.path);
    }
    said = `an interrupted apply was finished${finished.length ? ` (wrote ${finished.join(', ')})` : ''}`;
  }
  try { unlinkSync(journalPath); } catch (e) { throw ioError(e, journalName, 'cannot remove'); }
  return said;
}

/**
 * Write the changes as one transaction (call with the lock held, after recover). Each file must
 * still hold `before`; otherwise nothing is written and the error names it.
 */
export function commitChanges(root: string, display: string, changes: TreeChange[]): void {
  if (!changes.length) return;
  const dir = stateDir(root, display, true)!;
  const journalPath = join(dir, 'journal');
  const journalName = `${display}/${STATE_DIR}/journal`;
  const entries: Entry[] = changes.map((c) => ({
    path: c.path,
    tmp: tempFor(c.path),
    before: sha256(Buffer.from(c.before, 'utf8')),
    after: sha256(Buffer.from(c.after, 'utf8')),
  }));
  for (const e of entries) {
    if (!plainPath(e.path)) throw new MemfixError('not a path inside the tree', `${display}/${e.path}`);
    const now = readTarget(root, e.path, display);
    if (now === null || sha256(now) !== e.before) throw new MemfixError('changed since memfix read it: nothing written; run memfix apply again', `${display}/${e.path}`);
  }
  // 1. the file list, durable before any temporary file exists
  writeDurably(journalPath, [JOURNAL_HEAD, ...entries.map((e) => JSON.stringify(e)), FILES_DONE, ''].join('\n'), journalName);
  const made: string[] = [];
  const rollBack = () => {
    for (const t of made) try { unlinkSync(t); } catch { /* gone */ }
    try { unlinkSync(journalPath); } catch { /* gone */ }
  };
  try {
    // 2. every new content, durable, in a file memfix creates (whatever was at its name is removed, never written through)
    changes.forEach((c, i) => {
      const tmp = join(root, entries[i]!.tmp);
      removeOwn(tmp, `${display}/${entries[i]!.tmp}`);
      made.push(tmp);
      writeDurably(tmp, c.after, `${display}/${c.path}`, join(root, c.path));
    });
    // 3. the commit point
    const fd = openSync(journalPath, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    try { writeSync(fd, `${COMMIT}\n`); fsyncSync(fd); } finally { closeSync(fd); }
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
  try { unlinkSync(journalPath); } catch { /* the next run finds every file done */ }
}
