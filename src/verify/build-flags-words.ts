/** The words of a tree's flags variables, and which of them verify takes (see build-flags.ts). */

/** One flag the tree declares, and where: `path:line` in the tree. */
export interface Flag { flag: string; at: string }

export interface BuildFlags {
  /** where the flags come from: the tree's Makefile, its CMakeLists.txt, or memfix's defaults */
  source: 'Makefile' | 'CMakeLists.txt' | 'default';
  /** the file read, relative to the tree (absent for the defaults) */
  file?: string;
  /** the C++ standard: `-std=c++14` (where the tree says so, else memfix's default) */
  std: Flag;
  /** the -D, -U and -f flags taken, in the order the build passes them */
  flags: Flag[];
  /** flags the tree declares that memfix does not take, and why */
  ignored: (Flag & { why: string })[];
  /** what memfix could not decide or did not follow (`$(shell ...)` not run, an include, ...) */
  notes: string[];
}

export const DEFAULT_STD_FLAG = '-std=c++14';

export function defaultFlags(notes: string[] = []): BuildFlags {
  return { source: 'default', std: { flag: DEFAULT_STD_FLAG, at: 'memfix default' }, flags: [], ignored: [], notes };
}

/** The standard of a flags record without `-std=`: `c++14`. */
export const stdOf = (f: BuildFlags) => f.std.flag.slice('-std='.length);

/** The macros a flag list sets or unsets (`-DX=1` and `-UX` name X). */
export function macrosOf(flags: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of flags) {
    const m = /^-[DU]([A-Za-z_]\w*)/.exec(f);
    if (m) out.add(m[1]!);
  }
  return out;
}

// ---- which flags are taken ----

export const IDENT = /^[A-Za-z_]\w*$/;
export const MACRO_DEF = /^([A-Za-z_]\w*)(\([\w\s,.]*\))?(=[^\n\0]*)?$/;
export const STD = /^(c|gnu)\+\+[0-9][0-9a-z]$/;
/** flags whose next word is their argument (never taken) */
export const TAKES_ARG = new Set(['-I', '-isystem', '-iquote', '-idirafter', '-include', '-imacros', '-Xclang', '-Xpreprocessor', '-Xlinker', '-x', '-o', '-MF', '-MT', '-MQ', '-L', '-l', '-B', '--sysroot', '-isysroot', '-iprefix', '-iwithprefix', '-specs', '-wrapper', '-target', '--target']);
export const PATHLIKE = /^(-I|-isystem|-iquote|-idirafter|-include|-imacros|-iprefix|-iwithprefix|-isysroot|--sysroot|-B|-specs|-wrapper|-fplugin|-fplugin-arg|-Xclang|-Xpreprocessor|-Xlinker|-L|-Wl,|-Wp,|-save-temps|-fprofile|-fdebug-prefix-map|-ffile-prefix-map|-fmacro-prefix-map|--param|-M)/;

export const WHY_PATH = 'paths, files, plugins and pass-through options are never taken from a tree';
export const WHY_OTHER = 'does not change what compiles (warnings, optimisation, code generation)';

type Classified = { take: string } | { why: string };

/** Classify one word of a flags variable: taken (possibly rewritten, `-D X` → `-DX`) or why not. */
export function classify(word: string): Classified {
  if (word.startsWith('@')) return { why: 'a response file: files are never read from a tree' };
  if (word.startsWith('-std=')) return STD.test(word.slice(5)) ? { take: word } : { why: 'not a C++ standard memfix knows' };
  if (word.startsWith('-D')) {
    const d = word.slice(2);
    if (d.length > 4096) return { why: 'a macro definition over 4096 characters' };
    return MACRO_DEF.test(d) ? { take: word } : { why: 'not a macro definition' };
  }
  if (word.startsWith('-U')) return IDENT.test(word.slice(2)) ? { take: word } : { why: 'not a macro name' };
  if (/^-f(no-)?(exceptions|rtti)$/.test(word)) return { take: word };
  if (PATHLIKE.test(word)) return { why: WHY_PATH };
  return { why: WHY_OTHER };
}

/** The flags of a list of words with their places: what is taken, what is not. */
export function sortWords(words: { word: string; at: string }[], into: { std?: Flag; flags: Flag[]; ignored: BuildFlags['ignored'] }): void {
  for (let i = 0; i < words.length; i++) {
    let { word } = words[i]!;
    const { at } = words[i]!;
    // `-D NAME`, `-U NAME`: the name is the next word
    if ((word === '-D' || word === '-U') && i + 1 < words.length) word += words[++i]!.word;
    else if (TAKES_ARG.has(word) && i + 1 < words.length) {
      into.ignored.push({ flag: `${word} ${words[++i]!.word}`, at, why: PATHLIKE.test(word) ? WHY_PATH : WHY_OTHER });
      continue;
    }
    const c = classify(word);
    if ('why' in c) into.ignored.push({ flag: word, at, why: c.why });
    else if (c.take.startsWith('-std=')) into.std = { flag: c.take, at };
    else into.flags.push({ flag: c.take, at });
  }
}

/** Split a flags value into words as a shell would (quotes and backslashes), never expanding anything. */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      cur += end < 0 ? s.slice(i + 1) : s.slice(i + 1, end);
      i = end < 0 ? s.length : end;
      has = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1]!)) j++;
        cur += s[j];
      }
      i = j;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Bounds on expanding a variable: depth of references, and length of a value. */
export const MAX_DEPTH = 32;
export const MAX_LEN = 1 << 16;
