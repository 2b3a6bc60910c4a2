/** A tree's candidate files, read once; an in-memory state that fixes update one after another. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MemfixError } from './errors.ts';
import { parseSource, type SourceFile } from './source.ts';

/** C, C++ and SWIG sources: the only files a target can be. */
const CANDIDATE = /\.(h|hh|hpp|hxx|h\+\+|ipp|c|cc|cpp|cxx|i|swg)$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn', '.memfix-build']);
const MAX_BYTES = 4 * 1024 * 1024;

export type Tree = Map<string, string>;

export function readTree(dir: string): Tree {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new MemfixError('no such directory', dir);
  }
  if (!st.isDirectory()) throw new MemfixError('not a directory', dir);
  const files: Tree = new Map();
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
      if (!e.isFile() || !CANDIDATE.test(e.name)) continue;
      const size = statSync(p).size;
      if (size > MAX_BYTES) continue;
      const buf = readFileSync(p);
      if (buf.includes(0)) continue; // binary
      const text = buf.toString('utf8');
      if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(buf)) continue; // not UTF-8: never rewrite it
      files.set(relative(dir, p).split(sep).join('/'), text);
    }
  };
  walk(dir);
  return files;
}

const parsed = new Map<string, SourceFile>();

/** Parse a file of a tree; cached by path and text, so re-planning is cheap. */
export function sourceOf(path: string, text: string): SourceFile {
  const key = path + '\0' + text;
  let s = parsed.get(key);
  if (!s) {
    s = parseSource(path, text);
    if (parsed.size > 256) parsed.clear();
    parsed.set(key, s);
  }
  return s;
}

export function sources(tree: Tree): SourceFile[] {
  return [...tree].map(([p, t]) => sourceOf(p, t));
}
