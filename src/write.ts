/**
 * Writing files so that nothing is lost and nothing outside is touched: each file goes to a
 * temporary sibling (created exclusively: a file or symbolic link already at that name is never
 * written through, fsynced) and is renamed over its target, and every error path removes the
 * temporary files it made, a full disk included. A whole tree changes through
 * src/transaction.ts, which adds a lock and a journal on top of these.
 *
 * memfix's own state (the journal, the lock, the series manifest) is read with `readOwn`: a
 * regular file, not a symbolic link, and small.
 */
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { MemfixError, ioError } from './errors.ts';

/** The temporary sibling memfix writes a file's new content to: `.<name>.memfix.tmp`. */
export const TMP_SUFFIX = '.memfix.tmp';
export const tempFor = (path: string) => join(dirname(path), `.${basename(path)}${TMP_SUFFIX}`);

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_NONBLOCK } = constants;
/** Create a new file: fails (EEXIST) when anything, a symbolic link included, has the name already. */
const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** What is at path, without following a symbolic link: 'file', 'link', 'dir', 'other', or null when nothing. */
export function kindOf(path: string): 'file' | 'link' | 'dir' | 'other' | null {
  let st;
  try { st = lstatSync(path); } catch (e) {
    if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') return null;
    throw e;
  }
  return st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
}

/**
 * Every folder from root (not included: the user named it) down to `rel`'s folder must be a real
 * folder, not a symbolic link nor anything else. `rel` is relative to root. Throws a MemfixError
 * naming `display` + the first folder that is not; returns false when one does not exist.
 */
export function realFoldersTo(root: string, rel: string, display: string): boolean {
  const parts = rel.split(/[\\/]/).filter(Boolean);
  parts.pop();
  let at = root;
  let shown = display;
  for (const p of parts) {
    at = join(at, p);
    shown = `${shown}/${p}`;
    const k = kindOf(at);
    if (k === null) return false;
    if (k !== 'dir') throw new MemfixError(k === 'link' ? 'is a symbolic link: memfix writes only inside the tree and never follows a link there' : 'is not a folder', shown);
  }
  return true;
}

/** Remove a file or symbolic link at one of memfix's own names (never following the link); a folder there is an error. */
export function removeOwn(path: string, display: string): void {
  const k = kindOf(path);
  if (k === null) return;
  if (k === 'dir') throw new MemfixError('is a folder, at a name memfix uses for its own files: remove it', display);
  try { unlinkSync(path); } catch (e) { if (code(e) !== 'ENOENT') throw ioError(e, display, 'cannot remove'); }
}

/**
 * Read one of memfix's own files: a regular file (not a symbolic link, a FIFO or a device) of at
 * most `limit` bytes. Null when it does not exist; a MemfixError naming `display` otherwise.
 */
export function readOwn(path: string, display: string, limit = 1 << 20): Buffer | null {
  return readRegular(path, display, limit, 'memfix reads its own files only, never through a link', 'memfix did not write it');
}

/** A regular file's bytes, never through a symbolic link (one of memfix's files, or a target); null when it does not exist. */
export function readRegular(path: string, display: string, limit: number, whyNoLink: string, whyNotOurs: string): Buffer | null {
  let fd: number;
  try { fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK); } catch (e) {
    if (code(e) === 'ENOENT') return null;
    if (code(e) === 'ELOOP') throw new MemfixError(`is a symbolic link: ${whyNoLink}`, display);
    throw ioError(e, display, 'cannot read');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new MemfixError(`is not a regular file: ${whyNotOurs}`, display);
    if (st.size > limit) throw new MemfixError(`is ${st.size} bytes, more than memfix ever writes there (${limit}): ${whyNotOurs}`, display);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } catch (e) {
    throw ioError(e, display, 'cannot read');
  } finally {
    closeSync(fd);
  }
}

/**
 * Create path (it must not exist: no file or symbolic link at its name is ever written through),
 * write content and fsync it; the file takes `modeOf`'s permissions when that exists (read
 * without following a link). On any error the partial file is removed and the error (naming
 * `display`) is thrown.
 */
export function writeDurably(path: string, content: string | Buffer, display: string, modeOf?: string, sync = true): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, CREATE_NEW, 0o666);
  } catch (e) {
    if (code(e) === 'EEXIST' || code(e) === 'ELOOP') throw new MemfixError(`${path.split(sep).pop()} is in the way (memfix creates that file itself, and never writes through one it did not create): remove it`, display);
    throw ioError(e, display, 'cannot write');
  }
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    if (modeOf) {
      let mode: number | undefined;
      try { mode = lstatSync(modeOf).mode & 0o7777; } catch { /* a new file keeps the default mode */ }
      if (mode !== undefined) fchmodSync(fd, mode);
    }
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(path); } catch { /* gone already */ }
    throw ioError(e, display, 'cannot write');
  }
}

/**
 * Replace several files, each atomically: temporary siblings first (a file or link left at a
 * temporary name is removed first: those names are memfix's), then renames. No temporary file
 * survives an error. A symbolic link at a target's name is replaced, never written through.
 */
export function writeFilesAtomically(files: { path: string; content: string; display: string }[]): void {
  const temps: { tmp: string; path: string; display: string }[] = [];
  try {
    for (const f of files) {
      const tmp = tempFor(f.path);
      removeOwn(tmp, f.display);
      temps.push({ tmp, path: f.path, display: f.display });
      writeDurably(tmp, f.content, f.display, f.path);
    }
    while (temps.length) {
      const t = temps[0]!;
      try { renameSync(t.tmp, t.path); } catch (e) { throw ioError(e, t.display, 'cannot write'); }
      temps.shift();
    }
  } finally {
    for (const t of temps) try { unlinkSync(t.tmp); } catch { /* not made, or gone */ }
  }
}
