/**
 * The files of a tree: which are candidates (C, C++ and SWIG sources), reading each at most once,
 * and only decoding and parsing the ones whose bytes pass a role's token test (roles.ts).
 * A folder on disk is walked once; its files are read group by group (a folder and its
 * `interfaces/`), so memory holds one group's files at a time whatever the tree's size.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MemfixError, ioError } from './errors.ts';
import { parseSource, type SourceFile } from './source.ts';
import { compareRoots, groupRoot, passes, tokenNames, type Problem, type TokenTest } from './roles.ts';

export type { Problem };
export { LINK_MESSAGE };

/** C, C++ and SWIG sources: the only files a target can be. */
const CANDIDATE = /\.(h|hh|hpp|hxx|h\+\+|ipp|c|cc|cpp|cxx|i|swg)$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn', '.memfix-build']);

/**
 * Files larger than this (16 MiB, or MEMFIX_MAX_FILE_MIB) are not parsed (a parse costs about
 * 0.25 s and 40 MB per MB of C++): one that could be a target (it passes the token test, read in
 * chunks) is reported as a problem; any other is no target anyway.
 */
export const MAX_FILE_BYTES = (Number(process.env.MEMFIX_MAX_FILE_MIB) > 0 ? Number(process.env.MEMFIX_MAX_FILE_MIB) : 16) * 1024 * 1024;

export type Tree = Map<string, string>;

/** The tree a command was given must be a folder that exists: memfix never creates it. */
export function checkDir(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new MemfixError('no such directory', dir);
  }
  if (!st.isDirectory()) throw new MemfixError('not a directory', dir);
}

/** Every candidate file under dir: POSIX paths relative to dir, sorted. */
export function candidatePaths(dir: string): string[] {
  return walkTree(dir).files;
}

/**
 * The candidate files under dir and, apart, the symbolic links with a candidate's name (never
 * followed by the walk: memfix reads and writes regular files only).
 */
function walkTree(dir: string): { files: string[]; links: string[] } {
  checkDir(dir);
  const files: string[] = [];
  const links: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new MemfixError(`cannot read directory: ${(e as NodeJS.ErrnoException).code ?? e}`, d);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) walk(p); continue; }
      if (!CANDIDATE.test(e.name)) continue;
      if (e.isFile()) files.push(relative(dir, p).split(sep).join('/'));
      else if (e.isSymbolicLink()) links.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return { files, links };
}

/**
 * A symbolic link with a candidate's name, as a target would be: memfix never edits through a
 * link (nor leaves the fixes half made in the other files). A link to a file inside the tree is
 * read there and is a problem when it passes the role's token test; a link that leads out of the
 * tree (or nowhere, or through another link) is not read at all, and is a problem when its group
 * misses a target it could be (planDir: `outwardLinks`); beside a group that has them all, it is
 * no target.
 */
const LINK_MESSAGE = 'is a symbolic link: memfix edits a target only as a regular file, never through a link; replace the link by a copy of the file';

/**
 * The regular file a symbolic link in the tree points to, when it is one inside the tree reached
 * through real folders (found from the link's text and lstat of each folder below root: nothing
 * outside the tree is ever named to the system); null otherwise (out of the tree, nowhere, through
 * another link).
 */
function linkInside(root: string, link: string): string | null {
  let text: string;
  try { text = readlinkSync(link); } catch { return null; }
  const target = resolve(dirname(link), text);
  const rel = relative(root, target);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return null;
  let at = root;
  const parts = rel.split(sep);
  for (let i = 0; i < parts.length; i++) {
    at = join(at, parts[i]!);
    let st;
    try { st = lstatSync(at); } catch { return null; }
    if (i < parts.length - 1 ? !st.isDirectory() : !st.isFile()) return null;
  }
  return at;
}

/** Text of a file's bytes, or why it is no text: a NUL byte (binary) or bytes that are not UTF-8. */
export function decode(buf: Buffer): { text: string } | { line: number; message: string } {
  const nul = buf.indexOf(0);
  if (nul >= 0) return { line: lineAtByte(buf, nul), message: 'holds a NUL byte (binary, or not UTF-8 text)' };
  if (!isUtf8(buf)) {
    const at = firstInvalidUtf8(buf);
    return { line: lineAtByte(buf, at), message: `is not UTF-8 (invalid byte 0x${buf[at]!.toString(16).padStart(2, '0')} at offset ${at}); memfix reads and writes UTF-8 only` };
  }
  return { text: buf.toString('utf8') };
}

function lineAtByte(buf: Buffer, at: number): number {
  let line = 1;
  for (let i = buf.indexOf(10); i >= 0 && i < at; i = buf.indexOf(10, i + 1)) line++;
  return line;
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence. */
export function firstInvalidUtf8(buf: Buffer): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // overlong three- and four-byte forms, surrogates, code points above U+10FFFF
    const c1 = buf[i + 1]!;
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 > 0x9f) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 > 0x8f)) return i;
    i += n + 1;
  }
  return buf.length;
}

/** The tokens a file too large to load names, if it passes the test (read in chunks that overlap by the longest token). */
function largeFileTokens(abs: string, test: TokenTest): string[] | null {
  const tokens = tokenNames(test);
  const overlap = Math.max(0, ...tokens.map((t) => Buffer.byteLength(t))) - 1;
  const seen = new Set<string>();
  const fd = openSync(abs, 'r');
  try {
    const chunk = Buffer.alloc(1024 * 1024 + overlap);
    let kept = 0;
    for (;;) {
      const n = readSync(fd, chunk, kept, chunk.length - kept, null);
      const view = chunk.subarray(0, kept + n);
      for (const t of tokens) if (!seen.has(t) && view.includes(t)) seen.add(t);
      if (n === 0) break;
      kept = Math.min(overlap, view.length);
      view.copyWithin(0, view.length - kept);
    }
  } finally {
    closeSync(fd);
  }
  const ok = (test.all ?? []).every((t) => seen.has(t)) && (!test.any || test.any.some((t) => seen.has(t)));
  return ok ? tokens.filter((t) => seen.has(t)) : null;
}

/** A file's text and a digest of it (files with the same digest have the same text). */
export interface Read { text: string; digest: string }

/**
 * Where a plan's files come from: `groups` lists the candidate paths by group (in the order
 * groups are planned); `read` reads one, at most once, and returns its text when it passes the
 * token test.
 */
export interface FileSource {
  groups: { root: string; paths: string[] }[];
  /** the text when the file passes `test`; null when it does not, or cannot be read as text (then a problem is added) */
  read(path: string, test: TokenTest, problems: Problem[]): Read | null;
  /** the text a file had when it was read (only files that passed their test) */
  original(path: string): string | undefined;
  /** symbolic links with a candidate's name that lead out of the tree (or nowhere): never read */
  outwardLinks?: string[];
}

const digestOf = (data: string | Buffer) => createHash('sha1').update(data).digest('base64');

function byGroup(paths: string[]): FileSource['groups'] {
  const m = new Map<string, string[]>();
  for (const p of paths) {
    const r = groupRoot(p);
    let l = m.get(r);
    if (!l) m.set(r, (l = []));
    l.push(p);
  }
  return [...m.keys()].sort(compareRoots).map((root) => ({ root, paths: m.get(root)!.sort() }));
}

/** The files of a folder on disk, read lazily, each at most once. Copies of one text share one string. */
export function folderSource(dir: string, maxBytes = MAX_FILE_BYTES): FileSource {
  const texts = new Map<string, string>();
  const byDigest = new Map<string, string>();
  const { files, links } = walkTree(dir);
  const linked = new Set(links);
  const outwardLinks: string[] = [];
  return {
    groups: byGroup([...files, ...links]),
    original: (path) => texts.get(path),
    outwardLinks,
    read(path, test, problems) {
      const abs = join(dir, path);
      if (linked.has(path)) {
        const real = linkInside(dir, abs);
        if (real === null) { outwardLinks.push(path); return null; }
        const passed = statSync(real).size > maxBytes ? largeFileTokens(real, test) !== null : passes(readFileSync(real), test);
        if (passed) problems.push({ file: path, message: `${LINK_MESSAGE} (${relative(dir, real).split(sep).join('/')})` });
        return null;
      }
      let size: number;
      let buf: Buffer | undefined;
      try {
        size = statSync(abs).size;
        if (size <= maxBytes) buf = readFileSync(abs);
      } catch (e) {
        throw ioError(e, abs, 'cannot read');
      }
      if (size > maxBytes) {
        const named = largeFileTokens(abs, test);
        if (named) problems.push({ file: path, message: `is ${(size / 1048576).toFixed(1)} MiB, over memfix's limit of ${maxBytes / 1048576} MiB for a file it parses (MEMFIX_MAX_FILE_MIB raises it), and names ${named.join(', ')}: it may be a target; skipped` });
        return null;
      }
      if (!buf) return null;
      if (!passes(buf, test)) return null;
      const digest = digestOf(buf);
      let text = byDigest.get(digest);
      if (text === undefined) {
        const d = decode(buf);
        if (!('text' in d)) {
          problems.push({ file: path, line: d.line, message: `names ${tokenNames(test).filter((t) => buf.includes(t)).join(', ')} but ${d.message}` });
          return null;
        }
        byDigest.set(digest, (text = d.text));
      }
      texts.set(path, text);
      return { text, digest };
    },
  };
}

/** A tree already in memory (tests, verify): the same reading rules, on its texts. */
export function treeSource(tree: Tree): FileSource {
  return {
    groups: byGroup([...tree.keys()].filter((p) => CANDIDATE.test(p))),
    original: (path) => tree.get(path),
    read(path, test) {
      const text = tree.get(path)!;
      return passes(text, test) ? { text, digest: digestOf(text) } : null;
    },
  };
}

/** Every C, C++ and SWIG file of a folder that is UTF-8 text, whatever its size (verify writes them all to its build folder). */
export function readTree(dir: string): Tree {
  const files: Tree = new Map();
  for (const p of candidatePaths(dir)) {
    const d = decode(readFileSync(join(dir, p)));
    if ('text' in d) files.set(p, d.text);
  }
  return files;
}

/** Parse every file of a tree (verify discovers its targets this way). */
export function sources(tree: Tree): SourceFile[] {
  return [...tree].map(([p, t]) => parseSource(p, t));
}
