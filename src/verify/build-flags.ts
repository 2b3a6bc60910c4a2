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
import { machine, type } from 'node:os';
import { join, posix } from 'node:path';

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

const IDENT = /^[A-Za-z_]\w*$/;
const MACRO_DEF = /^([A-Za-z_]\w*)(\([\w\s,.]*\))?(=[^\n\0]*)?$/;
const STD = /^(c|gnu)\+\+[0-9][0-9a-z]$/;
/** flags whose next word is their argument (never taken) */
const TAKES_ARG = new Set(['-I', '-isystem', '-iquote', '-idirafter', '-include', '-imacros', '-Xclang', '-Xpreprocessor', '-Xlinker', '-x', '-o', '-MF', '-MT', '-MQ', '-L', '-l', '-B', '--sysroot', '-isysroot', '-iprefix', '-iwithprefix', '-specs', '-wrapper', '-target', '--target']);
const PATHLIKE = /^(-I|-isystem|-iquote|-idirafter|-include|-imacros|-iprefix|-iwithprefix|-isysroot|--sysroot|-B|-specs|-wrapper|-fplugin|-fplugin-arg|-Xclang|-Xpreprocessor|-Xlinker|-L|-Wl,|-Wp,|-save-temps|-fprofile|-fdebug-prefix-map|-ffile-prefix-map|-fmacro-prefix-map|--param|-M)/;

const WHY_PATH = 'paths, files, plugins and pass-through options are never taken from a tree';
const WHY_OTHER = 'does not change what compiles (warnings, optimisation, code generation)';

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
function sortWords(words: { word: string; at: string }[], into: { std?: Flag; flags: Flag[]; ignored: BuildFlags['ignored'] }): void {
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

// ---- Makefile ----

interface Part { text: string; line: number; expanded: boolean; /** what its expansion could not know (a simple variable's, at its definition) */ unknown?: string[] }
interface Var { parts: Part[]; simple: boolean }

const MAX_DEPTH = 32;
const MAX_LEN = 1 << 16;

/**
 * Read a Makefile's CPPFLAGS and CXXFLAGS. `file` is its path in the tree (for `file:line`).
 */
export function parseMakefile(text: string, file: string): BuildFlags {
  const notes: string[] = [];
  const vars = new Map<string, Var>();
  const note = (line: number, what: string) => { if (notes.length < 50) notes.push(`${file}:${line}: ${what}`); };
  const FLAG_VARS = new Set(['CXXFLAGS', 'CPPFLAGS']);

  /** expand make references in `s`; `unknown` collects what could not be known */
  const expand = (s: string, unknown: string[], depth = 0): string => {
    if (depth > MAX_DEPTH) { unknown.push('a variable that refers to itself'); return ''; }
    let out = '';
    for (let i = 0; i < s.length && out.length < MAX_LEN; i++) {
      const c = s[i]!;
      if (c !== '$') { out += c; continue; }
      const n = s[i + 1];
      if (n === undefined) break;
      if (n === '$') { out += '$'; i++; continue; }
      if (n !== '(' && n !== '{') { out += valueOf(n, unknown, depth); i++; continue; }
      const close = n === '(' ? ')' : '}';
      // the matching close, counting nested parens of the same kind
      let depthP = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === n) depthP++;
        else if (s[j] === close && --depthP === 0) break;
      }
      if (j >= s.length) { unknown.push('an unclosed reference'); break; }
      const inner = s.slice(i + 2, j);
      i = j;
      const fn = /^([a-z-]+)[ \t]+([\s\S]*)$/.exec(inner);
      if (fn) out += callFunction(fn[1]!, fn[2]!, unknown, depth);
      else if (inner.includes(':') && inner.includes('=')) { unknown.push(`$(${inner.slice(0, 40)}): a substitution reference`); }
      else out += valueOf(expand(inner, unknown, depth + 1).trim(), unknown, depth);
    }
    return out.slice(0, MAX_LEN);
  };
  const valueOf = (name: string, unknown: string[], depth: number): string => {
    const v = vars.get(name);
    if (!v) return '';
    return v.parts.map((p) => {
      if (!p.expanded) return expand(p.text, unknown, depth + 1);
      for (const u of p.unknown ?? []) unknown.push(`${u} (line ${p.line})`);
      return p.text;
    }).join(' ');
  };
  const args = (s: string) => {
    // split a function's arguments at top-level commas
    const out: string[] = [];
    let level = 0;
    let cur = '';
    for (const c of s) {
      if (c === '(' || c === '{') level++;
      else if (c === ')' || c === '}') level--;
      if (c === ',' && level === 0) { out.push(cur); cur = ''; } else cur += c;
    }
    out.push(cur);
    return out;
  };
  const callFunction = (name: string, rest: string, unknown: string[], depth: number): string => {
    const a = () => args(rest).map((x) => expand(x, unknown, depth + 1));
    switch (name) {
      case 'shell': {
        const cmd = expand(rest, unknown, depth + 1).trim().replace(/\s+/g, ' ');
        // answered from this machine, nothing run
        if (cmd === 'uname' || cmd === 'uname -s') return type();
        if (cmd === 'uname -m') return machine();
        unknown.push(`$(shell ${cmd.slice(0, 60)}) is not run`);
        return '';
      }
      case 'findstring': { const [f, t] = a(); return t !== undefined && t.includes(f!) ? f! : ''; }
      case 'strip': return expand(rest, unknown, depth + 1).trim().replace(/\s+/g, ' ');
      case 'subst': { const [f, t, x] = a(); return x === undefined || !f ? (x ?? '') : x.split(f).join(t); }
      case 'filter':
      case 'filter-out': {
        const [pats, text] = a();
        const re = (pats ?? '').trim().split(/\s+/).filter(Boolean).map((p) => new RegExp('^' + p.split('%').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
        return (text ?? '').trim().split(/\s+/).filter((w) => w && re.some((r) => r.test(w)) === (name === 'filter')).join(' ');
      }
      case 'firstword': return expand(rest, unknown, depth + 1).trim().split(/\s+/)[0] ?? '';
      case 'if': { const [c, t, e] = args(rest); return expand(c!, unknown, depth + 1).trim() ? expand(t ?? '', unknown, depth + 1) : expand(e ?? '', unknown, depth + 1); }
      default:
        unknown.push(`$(${name} ...) is not evaluated`);
        return '';
    }
  };

  // logical lines: a backslash-newline joins lines (with the whitespace around it) into one
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lines: { text: string; line: number }[] = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let l = physical[i]!;
    while (/(^|[^\\])(\\\\)*\\$/.test(l) && i + 1 < physical.length) l = l.slice(0, -1).replace(/\s+$/, '') + ' ' + physical[++i]!.replace(/^\s+/, '');
    lines.push({ text: l, line: start + 1 });
  }

  // conditionals: a stack of states; 'undecided' skips both branches, and says so when flags are set there
  type Cond = { state: 'on' | 'off' | 'undecided'; done: boolean; line: number; why?: string };
  const stack: Cond[] = [];
  const active = () => stack.every((c) => c.state === 'on');
  const undecided = () => stack.find((c) => c.state === 'undecided');
  let inRecipe = false;
  let inDefine: string | null = null;

  const decide = (kw: string, rest: string, line: number): Cond => {
    const unknown: string[] = [];
    let truth: boolean;
    if (kw === 'ifdef' || kw === 'ifndef') {
      const name = expand(rest.trim(), unknown).trim();
      const v = vars.get(name);
      const defined = !!v && v.parts.some((p) => p.text.trim() !== '');
      truth = kw === 'ifdef' ? defined : !defined;
    } else {
      let a: string | undefined;
      let b: string | undefined;
      const r = rest.trim();
      if (r.startsWith('(') && r.endsWith(')')) [a, b] = args(r.slice(1, -1));
      else {
        const m = /^(["'])(.*?)\1\s+(["'])(.*?)\3$/.exec(r);
        if (m) { a = m[2]; b = m[4]; }
      }
      if (a === undefined || b === undefined) return { state: 'undecided', done: false, line, why: `cannot read the condition "${rest.trim().slice(0, 60)}"` };
      truth = (expand(a, unknown).trim() === expand(b, unknown).trim()) === (kw === 'ifeq');
    }
    if (unknown.length) return { state: 'undecided', done: false, line, why: unknown[0] };
    return { state: truth ? 'on' : 'off', done: truth, line };
  };

  const assign = (name: string, op: string, rhs: string, line: number) => {
    const unknown: string[] = [];
    const v = vars.get(name);
    if (op === '!=') {
      vars.set(name, { parts: [{ text: '', line, expanded: true }], simple: true });
      if (FLAG_VARS.has(name)) note(line, `${name} != runs a shell command: not run, ${name} taken as empty`);
      return;
    }
    if (op === '?=' && v) return;
    if (op === '+=' && v) {
      v.parts.push(v.simple ? { text: expand(rhs, unknown), line, expanded: true, unknown } : { text: rhs, line, expanded: false });
    } else if (op === ':=' || op === '::=' || op === ':::=') {
      vars.set(name, { parts: [{ text: expand(rhs, unknown), line, expanded: true, unknown }], simple: true });
    } else {
      vars.set(name, { parts: [{ text: rhs, line, expanded: false }], simple: false });
    }
    if (FLAG_VARS.has(name) && (op === ':=' || op === '::=' || op === ':::=' || v?.simple)) for (const u of unknown) note(line, u);
  };

  for (const { text: raw, line } of lines) {
    if (inDefine !== null) {
      if (/^\s*endef\b/.test(raw)) inDefine = null;
      continue;
    }
    if (raw.startsWith('\t') && inRecipe) continue;
    // a comment runs to the end of the line, unless its # is escaped
    const hash = raw.search(/(^|[^\\])#/);
    const l = (hash < 0 ? raw : raw.slice(0, hash + (raw[hash] === '#' ? 0 : 1))).trim();
    if (!l) continue;
    const cond = /^(ifeq|ifneq|ifdef|ifndef)\b\s*(.*)$/.exec(l);
    if (cond) {
      stack.push(active() ? decide(cond[1]!, cond[2]!, line) : { state: 'off', done: true, line });
      continue;
    }
    const els = /^else\b\s*(.*)$/.exec(l);
    if (els) {
      const top = stack.at(-1);
      if (!top) { note(line, 'else without a conditional'); continue; }
      if (top.state === 'undecided') continue; // still undecided
      const outer = stack.slice(0, -1).every((c) => c.state === 'on');
      const chained = /^(ifeq|ifneq|ifdef|ifndef)\b\s*(.*)$/.exec(els[1]!);
      if (top.done || !outer) top.state = 'off';
      else if (chained) { const d = decide(chained[1]!, chained[2]!, line); Object.assign(top, d); }
      else { top.state = 'on'; top.done = true; }
      continue;
    }
    if (/^endif\b/.test(l)) {
      if (!stack.pop()) note(line, 'endif without a conditional');
      continue;
    }
    const def = /^(?:(?:override|export|private)\s+)*define\s+(\S+)/.exec(l);
    if (def) {
      inDefine = def[1]!;
      if (FLAG_VARS.has(inDefine)) note(line, `${inDefine} defined with define ... endef: not read`);
      continue;
    }
    if (!active()) {
      const u = undecided();
      if (u && /^(?:(?:override|export|private)\s+)*(CXXFLAGS|CPPFLAGS)\s*(?:\+|\?|:{1,3}|!)?=/.test(l)) note(line, `not taken: in a conditional (line ${u.line}) memfix cannot decide (${u.why})`);
      continue;
    }
    if (/^-?s?include\s/.test(l)) { note(line, `${l.split(/\s+/)[0]} is not followed (memfix reads only this file)`); continue; }
    const asg = /^(?:(?:override|export|private|unexport)\s+)*([^\s:#=$()]+)\s*(:::=|::=|:=|\+=|\?=|!=|=)\s*(.*)$/.exec(l);
    if (asg) {
      inRecipe = false;
      assign(asg[1]!, asg[2]!, asg[3]!, line);
      continue;
    }
    if (l.includes(':')) {
      inRecipe = true;
      const targetVar = /^[^:=]+:+\s*(?:(?:override|export|private)\s+)*(CXXFLAGS|CPPFLAGS)\s*(?:\+|\?|:{1,3}|!)?=/.exec(l);
      if (targetVar) note(line, `${targetVar[1]} for a target only (${l.split(':')[0]!.trim()}): not the default build's`);
    }
  }
  if (stack.length) note(stack.at(-1)!.line, 'a conditional without endif');

  const words: { word: string; at: string }[] = [];
  for (const name of ['CPPFLAGS', 'CXXFLAGS']) {
    const v = vars.get(name);
    for (const p of v?.parts ?? []) {
      const unknown: string[] = [];
      const t = p.expanded ? p.text : expand(p.text, unknown);
      for (const u of p.expanded ? [] : unknown) note(p.line, u);
      for (const word of shellWords(t)) words.push({ word, at: `${file}:${p.line}` });
    }
  }
  const into: { std?: Flag; flags: Flag[]; ignored: BuildFlags['ignored'] } = { flags: [], ignored: [] };
  sortWords(words, into);
  if (!vars.has('CXXFLAGS') && !vars.has('CPPFLAGS')) notes.push(`${file}: sets no CXXFLAGS or CPPFLAGS`);
  if (!into.std) notes.push(`${file}: no -std=: memfix's default ${DEFAULT_STD_FLAG}`);
  return { source: 'Makefile', file, std: into.std ?? { flag: DEFAULT_STD_FLAG, at: 'memfix default' }, flags: into.flags, ignored: into.ignored, notes: [...new Set(notes)] };
}

// ---- CMakeLists.txt ----

interface Command { name: string; args: { text: string; quoted: boolean; line: number }[]; line: number }

/** The commands of a CMake file: `name(args)`, comments and bracket arguments skipped as CMake does. */
export function cmakeCommands(text: string): Command[] {
  const out: Command[] = [];
  let i = 0;
  let line = 1;
  const s = text.replace(/^\uFEFF/, '');
  const bracket = (at: number): { end: number; body: string } | null => {
    const m = /^\[(=*)\[/.exec(s.slice(at, at + 64));
    if (!m) return null;
    const close = `]${m[1]}]`;
    const end = s.indexOf(close, at + m[0].length);
    const stop = end < 0 ? s.length : end + close.length;
    return { end: stop, body: s.slice(at + m[0].length, end < 0 ? s.length : end) };
  };
  const count = (from: number, to: number) => { for (let k = from; k < to; k++) if (s[k] === '\n') line++; };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '#') {
      const b = bracket(i + 1);
      const end = b ? b.end : (s.indexOf('\n', i) < 0 ? s.length : s.indexOf('\n', i));
      count(i, end);
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i, i + 128));
    if (!m) { if (c === '\n') line++; i++; continue; }
    let j = i + m[0].length;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] !== '(') { i = j; continue; }
    const cmd: Command = { name: m[0].toLowerCase(), args: [], line };
    j++;
    let level = 1;
    while (j < s.length && level > 0) {
      const d = s[j]!;
      if (d === '\n') { line++; j++; continue; }
      if (/\s/.test(d)) { j++; continue; }
      if (d === '#') {
        const b = bracket(j + 1);
        const end = b ? b.end : (s.indexOf('\n', j) < 0 ? s.length : s.indexOf('\n', j));
        count(j, end);
        j = end;
        continue;
      }
      if (d === '(') { level++; j++; continue; }
      if (d === ')') { level--; j++; continue; }
      if (d === '"') {
        let k = j + 1;
        let t = '';
        for (; k < s.length && s[k] !== '"'; k++) {
          if (s[k] === '\\' && k + 1 < s.length) { const e = s[++k]!; t += e === 'n' ? '\n' : e === 't' ? '\t' : e === '\n' ? '' : e; continue; }
          t += s[k];
        }
        const at = line;
        count(j, k);
        cmd.args.push({ text: t, quoted: true, line: at });
        j = k + 1;
        continue;
      }
      const b = d === '[' ? bracket(j) : null;
      if (b) { const at = line; count(j, b.end); cmd.args.push({ text: b.body, quoted: true, line: at }); j = b.end; continue; }
      let k = j;
      let t = '';
      for (; k < s.length && !/[\s()#"]/.test(s[k]!); k++) {
        if (s[k] === '\\' && k + 1 < s.length) { t += s[++k]; continue; }
        t += s[k];
      }
      cmd.args.push({ text: t, quoted: false, line });
      j = k;
    }
    out.push(cmd);
    i = j;
  }
  return out;
}

const CMAKE_FALSE = /^(|0|OFF|NO|FALSE|N|IGNORE|NOTFOUND|.*-NOTFOUND)$/i;

/** Read a CMakeLists.txt's standard and definitions. `file` is its path in the tree. */
export function parseCMakeLists(text: string, file: string): BuildFlags {
  const notes: string[] = [];
  const note = (line: number, what: string) => { if (notes.length < 50) notes.push(`${file}:${line}: ${what}`); };
  const vars = new Map<string, { value: string; line: number }>([
    // what CMake itself defines on this machine before the file runs
    ['UNIX', { value: '1', line: 0 }], ['CMAKE_SYSTEM_NAME', { value: type(), line: 0 }], ['CMAKE_CXX_FLAGS', { value: '', line: 0 }],
  ]);
  const words: { word: string; at: string }[] = [];
  let standard: { n: string; line: number } | undefined;
  let feature: { n: string; line: number } | undefined;
  /** expand ${VAR}; a variable never set is marked unknown (it comes from find_package, the cache, ...) */
  const expand = (t: string, unknown: string[]): string => {
    let out = t;
    for (let k = 0; k < MAX_DEPTH && /\$\{[^${}]*\}/.test(out); k++) {
      out = out.replace(/\$\{([^${}]*)\}/g, (_, n: string) => {
        const v = vars.get(n);
        if (!v) { unknown.push(`\${${n}}`); return ''; }
        return v.value;
      });
      if (out.length > MAX_LEN) { unknown.push('an expansion too long'); return ''; }
    }
    if (/\$<|\$ENV\{|\$CACHE\{/.test(out)) unknown.push('a generator expression or environment variable');
    return out;
  };
  const truthy = (n: string) => { const v = vars.get(n); return !!v && !CMAKE_FALSE.test(v.value); };
  type Cond = { state: 'on' | 'off' | 'undecided'; done: boolean; line: number };
  const stack: Cond[] = [];
  const active = () => stack.every((c) => c.state === 'on');
  const decide = (args: string[]): 'on' | 'off' | 'undecided' => {
    const a = args.join(' ').trim();
    let m: RegExpExecArray | null;
    if ((m = /^(NOT\s+)?(DEFINED\s+)?([A-Za-z_][\w.-]*)$/.exec(a))) {
      const v = m[2] ? vars.has(m[3]!) : truthy(m[3]!);
      return v !== !!m[1] ? 'on' : 'off';
    }
    return 'undecided';
  };
  const RELEVANT = new Set(['set', 'add_definitions', 'add_compile_definitions', 'target_compile_definitions', 'add_compile_options', 'target_compile_options', 'target_compile_features', 'string', 'list']);
  const SCOPE = new Set(['PRIVATE', 'PUBLIC', 'INTERFACE', 'BEFORE']);
  /** the words of a command's arguments, each with the line of its argument */
  const wordsOf = (cmd: Command, unknown: string[]) => cmd.args.flatMap((a) => {
    const t = expand(a.text, unknown);
    // a generator expression is decided when CMake generates the build: left out (noted)
    return (a.quoted ? shellWords(t) : t.split(';').flatMap((x) => shellWords(x))).filter((w) => !w.includes('$<')).map((word) => ({ word, at: `${file}:${a.line}` }));
  });

  for (const cmd of cmakeCommands(text)) {
    const raw = cmd.args.map((a) => a.text);
    if (cmd.name === 'if') { stack.push(active() ? (() => { const st = decide(raw); return { state: st, done: st === 'on', line: cmd.line }; })() : { state: 'off', done: true, line: cmd.line }); continue; }
    if (cmd.name === 'elseif' || cmd.name === 'else') {
      const top = stack.at(-1);
      if (!top || top.state === 'undecided') continue;
      const outer = stack.slice(0, -1).every((c) => c.state === 'on');
      if (top.done || !outer) top.state = 'off';
      else if (cmd.name === 'else') { top.state = 'on'; top.done = true; }
      else { top.state = decide(raw); top.done = top.state === 'on'; }
      continue;
    }
    if (cmd.name === 'endif') { stack.pop(); continue; }
    if (!active()) {
      const u = stack.find((c) => c.state === 'undecided');
      if (u && RELEVANT.has(cmd.name) && (cmd.name !== 'set' || /^CMAKE_CXX_(STANDARD|EXTENSIONS|FLAGS)/.test(raw[0] ?? ''))) note(cmd.line, `not taken: in an if() (line ${u.line}) memfix cannot decide`);
      continue;
    }
    const unknown: string[] = [];
    const at = `${file}:${cmd.line}`;
    switch (cmd.name) {
      case 'include': case 'add_subdirectory': case 'include_directories':
        if (cmd.name !== 'include_directories') note(cmd.line, `${cmd.name}() is not followed (memfix reads only this file)`);
        break;
      case 'set': {
        const [name, ...rest] = raw;
        if (!name) break;
        const cut = rest.findIndex((x) => x === 'CACHE' || x === 'PARENT_SCOPE');
        const value = expand((cut < 0 ? rest : rest.slice(0, cut)).join(';'), unknown);
        if (name === 'CMAKE_CXX_STANDARD') standard = { n: value, line: cmd.line };
        if (name === 'CMAKE_CXX_FLAGS') {
          // the flags added to what it held before: only the new words are this line's
          const before = vars.get(name)?.value ?? '';
          const added = value.startsWith(before) ? value.slice(before.length) : value;
          for (const w of shellWords(added.replace(/;/g, ' '))) words.push({ word: w, at });
        }
        vars.set(name, { value, line: cmd.line });
        break;
      }
      case 'add_definitions':
      case 'add_compile_options':
      case 'target_compile_options':
        for (const w of wordsOf(cmd, unknown).slice(cmd.name.startsWith('target_') ? 1 : 0)) if (!SCOPE.has(w.word)) words.push(w);
        break;
      case 'add_compile_definitions':
      case 'target_compile_definitions':
        for (const w of wordsOf(cmd, unknown).slice(cmd.name.startsWith('target_') ? 1 : 0)) if (!SCOPE.has(w.word)) words.push({ word: w.word.startsWith('-D') ? w.word : `-D${w.word}`, at: w.at });
        break;
      case 'target_compile_features':
        for (const w of raw) { const m = /^cxx_std_(\d+)$/.exec(w); if (m && (!feature || Number(m[1]) > Number(feature.n))) feature = { n: m[1]!, line: cmd.line }; }
        break;
    }
    for (const u of [...new Set(unknown)]) note(cmd.line, `${u} is not known without running CMake: left out`);
  }
  // the build type's flags (CMAKE_CXX_FLAGS_RELEASE for Release), when the file sets the type
  const bt = vars.get('CMAKE_BUILD_TYPE');
  if (bt && bt.value) {
    const f = vars.get(`CMAKE_CXX_FLAGS_${bt.value.toUpperCase()}`);
    if (f) for (const w of shellWords(f.value.replace(/;/g, ' '))) words.push({ word: w, at: `${file}:${f.line}` });
  }
  const into: { std?: Flag; flags: Flag[]; ignored: BuildFlags['ignored'] } = { flags: [], ignored: [] };
  sortWords(words, into);
  const ext = vars.get('CMAKE_CXX_EXTENSIONS');
  const gnu = !ext || !CMAKE_FALSE.test(ext.value); // CMake's default is ON: -std=gnu++NN
  const std = standard ?? feature;
  if (std && /^\d\d$/.test(std.n)) into.std = { flag: `-std=${gnu ? 'gnu' : 'c'}++${std.n}`, at: `${file}:${std.line}` };
  else if (std) note(std.line, `CMAKE_CXX_STANDARD "${std.n}" is not a standard memfix knows`);
  if (!into.std) notes.push(`${file}: no CMAKE_CXX_STANDARD: memfix's default ${DEFAULT_STD_FLAG}`);
  return { source: 'CMakeLists.txt', file, std: into.std ?? { flag: DEFAULT_STD_FLAG, at: 'memfix default' }, flags: into.flags, ignored: into.ignored, notes: [...new Set(notes)] };
}

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
