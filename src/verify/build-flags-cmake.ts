/** A CMakeLists.txt's standard and definitions, read without running anything (see build-flags.ts). */
import { type } from 'node:os';
import { DEFAULT_STD_FLAG, MAX_DEPTH, MAX_LEN, shellWords, sortWords, type BuildFlags, type Flag } from './build-flags-words.ts';

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
