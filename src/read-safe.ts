/**
 * Reading files memfix does not trust (a patch, the quilt `series` file, a file a patch names)
 * without being led anywhere else: a symbolic link is never followed, only regular files are
 * opened (a FIFO would block the reader, a device never ends), each is opened with O_NOFOLLOW
 * and O_NONBLOCK and checked again on its descriptor, and nothing larger than MAX_FILE_BYTES is
 * read (a link to /dev/zero or a 10 GB file would exhaust memory).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { ioError, MemfixError } from './errors.ts';
import { MAX_FILE_BYTES } from './workspace.ts';

const mib = (n: number) => `${(n / 1048576).toFixed(1).replace(/\.0$/, '')} MiB`;

/** What a file that is not a regular one is, for a message. */
function kind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Why memfix will not read this file (not a regular file, too large), or null. */
function refusal(st: Stats, maxBytes: number): string | null {
  if (!st.isFile()) return `is ${kind(st)}, not a regular file: memfix reads only regular files here`;
  if (st.size > maxBytes) return `is ${mib(st.size)}, over memfix's limit of ${mib(maxBytes)} for a file it reads (MEMFIX_MAX_FILE_MIB raises it)`;
  return null;
}

/** lstat, or null when nothing is there (ENOENT, or a component that is no folder). */
function lstatOrNull(abs: string, display: string): Stats | null {
  try {
    return lstatSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError(e, display, 'cannot read');
  }
}

/** Read a regular file already lstat'ed as `st`; it must still be that file once open. */
function readChecked(abs: string, display: string, st: Stats, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new MemfixError('is a symbolic link, not a regular file: memfix reads only regular files here', display);
    throw ioError(e, display, 'cannot read');
  }
  try {
    const now = fstatSync(fd);
    if (now.dev !== st.dev || now.ino !== st.ino) throw new MemfixError('was replaced while memfix read it', display);
    const why = refusal(now, maxBytes);
    if (why) throw new MemfixError(why, display);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total) || 1);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new MemfixError(`grew over memfix's limit of ${mib(maxBytes)} while memfix read it`, display);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    throw ioError(e, display, 'cannot read');
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of a regular file, or null when there is none at `abs`. Anything else (a symbolic
 * link, a FIFO, a device, a directory, a file over the limit) throws MemfixError naming `display`.
 */
export function readRegularFile(abs: string, display: string, maxBytes = MAX_FILE_BYTES): Buffer | null {
  const st = lstatOrNull(abs, display);
  if (!st) return null;
  const why = refusal(st, maxBytes);
  if (why) throw new MemfixError(why, display);
  return readChecked(abs, display, st, maxBytes);
}

export type TreeRead = { kind: 'absent' } | { kind: 'file'; bytes: Buffer } | { kind: 'refused'; reason: string };

/**
 * A file of a tree named by an untrusted relative path (already free of "..", "." and empty
 * components, see unsafePath in patch-parse.ts): each folder on the way is lstat'ed and must be a real
 * folder, as `git apply` refuses a path "beyond a symbolic link"; the file itself must be a
 * regular file, read as readRegularFile does. Nothing outside `root` is looked at or opened.
 */
export function readInTree(root: string, rel: string, maxBytes = MAX_FILE_BYTES): TreeRead {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/');
    const st = lstatOrNull(join(root, sub), sub);
    if (!st) return { kind: 'absent' };
    if (st.isSymbolicLink()) {
      return { kind: 'refused', reason: i < parts.length ? `${sub} is a symbolic link in the tree: memfix (like git apply) does not patch a file beyond one` : 'is a symbolic link in the tree: memfix does not patch through a link' };
    }
    if (i < parts.length) {
      if (!st.isDirectory()) return { kind: 'absent' };
      continue;
    }
    const why = refusal(st, maxBytes);
    if (why) return { kind: 'refused', reason: why.replace(/ here$/, ' in the tree') };
    return { kind: 'file', bytes: readChecked(join(root, rel), rel, st, maxBytes) };
  }
  return { kind: 'absent' };
}
