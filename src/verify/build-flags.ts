/**
 * The build flags a tree declares for its C++: read from its libtorrent-go `Makefile` (CPPFLAGS and
 * CXXFLAGS) or, when there is none, its `CMakeLists.txt`, so that verify and series --verify compile
 * what they prove as upstream's build does (`-DTORRENT_ABI_VERSION=3`, say).
 *
 * A tree is untrusted input: nothing in it is run. The Makefile is read as `make` would read it
 * for its default goal on this machine with an empty environment, as far as that can be known
 * without running anything: variables (`=`, `:=`, `::=`, `?=`, `+=`), conditionals it can decide,
 * `$(shell uname -s)` / `$(shell uname -m)` answered from this machine; every other `$(shell ...)`
 * is not run (empty), `include` is not followed, target-specific values (`debug: CXXFLAGS = ...`)
 * are not the default build's. Of the flags, only those that change what compiles are taken:
 * `-std=`, `-D`, `-U` and `-f[no-]exceptions` / `-f[no-]rtti`. Include paths, forced includes,
 * response files, plugins and everything else (`-I/etc`, `-include x`, `@file`, `-fplugin=...`,
 * `-O2`, `-Wall`, `-fPIC`) are never taken; each is listed as ignored, with where it was.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseCMakeLists } from './build-flags-cmake.ts';
import { parseMakefile } from './build-flags-make.ts';
import { defaultFlags, type BuildFlags } from './build-flags-words.ts';

export * from './build-flags-words.ts';
export { parseMakefile } from './build-flags-make.ts';
export { cmakeCommands, parseCMakeLists } from './build-flags-cmake.ts';

// ---- finding the build file ----

const MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'];
const MAX_BYTES = 1 << 20;

/**
 * The flags of the build file nearest to `from` (the folder of the tree's libtorrent-go files,
 * relative to `root`), looking up to `root`: a Makefile (as make picks it: GNUmakefile, makefile,
 * Makefile) else CMakeLists.txt, in the first folder that has either; else memfix's defaults.
 * Only regular files are read (a symbolic link or a FIFO is not: a tree is untrusted input).
 */
export function readBuildFlags(root: string, from: string): BuildFlags {
  const notes: string[] = [];
  const parts = from.split('/').filter(Boolean);
  for (let n = parts.length; n >= 0; n--) {
    const dir = parts.slice(0, n).join('/');
    for (const name of [...MAKEFILES, 'CMakeLists.txt']) {
      const rel = dir ? posix.join(dir, name) : name;
      let st;
      try { st = lstatSync(join(root, rel)); } catch { continue; }
      if (!st.isFile()) { notes.push(`${rel}: not a regular file: not read`); continue; }
      if (st.size > MAX_BYTES) { notes.push(`${rel}: over 1 MiB: not read`); continue; }
      let text: string;
      try { text = readFileSync(join(root, rel), 'utf8'); } catch (e) { notes.push(`${rel}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`); continue; }
      const f = name === 'CMakeLists.txt' ? parseCMakeLists(text, rel) : parseMakefile(text, rel);
      f.notes.unshift(...notes);
      if (name !== 'CMakeLists.txt' && exists(join(root, dir, 'CMakeLists.txt'))) f.notes.push(`${dir ? dir + '/' : ''}CMakeLists.txt is not read: the Makefile is the build`);
      return f;
    }
  }
  return defaultFlags([...notes, 'no Makefile or CMakeLists.txt: memfix\'s defaults']);
}

function exists(p: string): boolean {
  try { lstatSync(p); return true; } catch { return false; }
}

/** One line: the flags and where they come from. */
export function describeFlags(f: BuildFlags): string {
  const flags = [f.std, ...f.flags];
  if (f.source === 'default') return `${f.std.flag} (memfix's default: no Makefile or CMakeLists.txt)`;
  return flags.map((x) => `${x.flag} (${x.at})`).join(' ');
}
