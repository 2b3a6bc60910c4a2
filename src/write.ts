/**
 * Writing files so that nothing is lost: each file goes to a temporary sibling (fsynced) and is
 * renamed over its target, and every error path removes the temporary files it made, a full
 * disk included. A whole tree changes through src/transaction.ts, which adds a lock and a
 * journal on top of these.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, chmodSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ioError } from './errors.ts';

/** The temporary sibling memfix writes a file's new content to: `.<name>.memfix.tmp`. */
export const TMP_SUFFIX = '.memfix.tmp';
export const tempFor = (path: string) => join(dirname(path), `.${basename(path)}${TMP_SUFFIX}`);

/**
 * Write content to path and fsync it; the file takes `modeOf`'s permissions when that exists.
 * On any error the partial file is removed and the error (naming `display`) is thrown.
 */
export function writeDurably(path: string, content: string | Buffer, display: string, modeOf?: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w', 0o666);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (modeOf) {
      try { chmodSync(path, statSync(modeOf).mode & 0o7777); } catch { /* a new file keeps the default mode */ }
    }
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    rmSync(path, { force: true });
    throw ioError(e, display, 'cannot write');
  }
}

/** Replace several files, each atomically: temporary siblings first, then renames. No temporary file survives an error. */
export function writeFilesAtomically(files: { path: string; content: string; display: string }[]): void {
  const temps: { tmp: string; path: string; display: string }[] = [];
  try {
    for (const f of files) {
      const tmp = tempFor(f.path);
      temps.push({ tmp, path: f.path, display: f.display });
      writeDurably(tmp, f.content, f.display, f.path);
    }
    while (temps.length) {
      const t = temps[0]!;
      try { renameSync(t.tmp, t.path); } catch (e) { throw ioError(e, t.display, 'cannot write'); }
      temps.shift();
    }
  } finally {
    for (const t of temps) rmSync(t.tmp, { force: true });
  }
}
