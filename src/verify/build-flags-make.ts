/** A Makefile's CPPFLAGS and CXXFLAGS for its default build, read without running anything (see build-flags.ts). */
import { machine, type } from 'node:os';
import { DEFAULT_STD_FLAG, MAX_DEPTH, MAX_LEN, shellWords, sortWords, type BuildFlags, type Flag } from './build-flags-words.ts';

interface Part { text: string; line: number; expanded: boolean; /** what its expansion could not know (a simple variable's, at its definition) */ unknown?: string[] }
interface Var { parts: Part[]; simple: boolean }

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
