/**
 * SWIG-aware masking. A SWIG interface file is parsed as C++ after SWIG's own directives are
 * blanked out with spaces, so every position in the syntax tree is a position in the original
 * text (same length, same newlines):
 *   - `%{` / `%}` markers, and the `%inline` / `%header` / `%wrapper` / `%init` / `%runtime` /
 *     `%begin` keyword before them, become spaces; the C++ between them is kept.
 *   - `%extend NAME {` becomes `namespace      {` so its methods parse as function definitions
 *     (a namespace body needs no `;` after its `}`); `$self` inside becomes ` self`.
 *   - `%typemap`, `%define ... %enddef` and every other directive (`%include`, `%ignore`,
 *     `%feature(...) x;`, `%template(...) T;`, ...) are blanked to the end of their statement.
 */
import { MemfixError } from './errors.ts';

export interface CodeBlock {
  /** the keyword before `%{`, or '' for a bare `%{ %}` block */
  kind: string;
  /** index just after `%{` */
  start: number;
  /** index of `%}` */
  end: number;
}

export interface ExtendBlock {
  /** the extended class, as written (e.g. `libtorrent::session_params`) */
  name: string;
  /** index of `%extend` */
  at: number;
  /** index just after the opening `{` and index of the closing `}` */
  start: number;
  end: number;
}

export interface SwigLayout {
  masked: string;
  blocks: CodeBlock[];
  extends: ExtendBlock[];
}

const CODE_KEYWORDS = new Set(['inline', 'header', 'wrapper', 'init', 'runtime', 'begin']);

/**
 * The masked text, made as the scan goes: the text up to each masked range, then the range with
 * every character but newlines and carriage returns blanked (after `lead`, which replaces its
 * start). Ranges come in order and do not overlap (the scan only moves on). Indices are
 * JavaScript string indices: the masked text has the text's length.
 */
class Masked {
  private parts: string[] = [];
  private done = 0;
  constructor(private text: string) {}
  blank(from: number, to: number, lead = ''): void {
    if (from < this.done || to < from) throw new MemfixError(`internal error: masked ranges out of order at ${from}`);
    this.parts.push(this.text.slice(this.done, from), lead, this.text.slice(from + lead.length, to).replace(/[^\n\r]/g, ' '));
    this.done = to;
  }
  toString(): string {
    return this.parts.join('') + this.text.slice(this.done);
  }
}

/** Index after a comment or string literal starting at i, or -1 if none starts there. */
function skipTrivia(text: string, i: number): number {
  const c = text[i];
  if (c === '/' && text[i + 1] === '/') {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? text.length : nl;
  }
  if (c === '/' && text[i + 1] === '*') {
    const e = text.indexOf('*/', i + 2);
    return e < 0 ? text.length : e + 2;
  }
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
    return Math.min(j + 1, text.length);
  }
  return -1;
}

/** What a bracket's search stops at: a comment's or a string's start, or a bracket of its kind. */
const BRACKET_STOPS: Record<string, RegExp> = { '{': /[/"'{}]/g, '(': /[/"'()]/g, '[': /[/"'[\]]/g, '<': /[/"'<>]/g };

/** Index of the next character at or after `from` that `stops` matches, or the text's length. */
function nextStop(text: string, stops: RegExp, from: number): number {
  stops.lastIndex = from;
  return stops.exec(text)?.index ?? text.length;
}

/** Index of the bracket that closes the one at `open`, skipping comments and strings. */
export function matchBracket(text: string, open: number): number {
  const o = text[open]!;
  const c = o === '{' ? '}' : o === '(' ? ')' : o === '[' ? ']' : '>';
  const stops = BRACKET_STOPS[o];
  let depth = 0;
  for (let i = open; i < text.length; ) {
    const t = skipTrivia(text, i);
    if (t >= 0) { i = t; continue; }
    if (text[i] === o) depth++;
    else if (text[i] === c && --depth === 0) return i;
    // nothing between here and the next stop matters
    i = stops ? nextStop(text, stops, i + 1) : i + 1;
  }
  return -1;
}

/** Where maskSwig's scan may find something: a comment's or a string's start, `$self`, a directive. */
const MASK_STOPS = /[/"'$%]/g;

function skipSpace(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    const t = text[i] === '/' ? skipTrivia(text, i) : -1;
    if (t < 0) return i;
    i = t;
  }
}

export function maskSwig(text: string): SwigLayout {
  const masked = new Masked(text);
  const blocks: CodeBlock[] = [];
  const extendsFound: ExtendBlock[] = [];
  const extendEnds: number[] = [];
  let i = 0;
  while (i < text.length) {
    const t = skipTrivia(text, i);
    if (t >= 0) { i = t; continue; }
    if (extendEnds.length && i === extendEnds[extendEnds.length - 1]) { extendEnds.pop(); i++; continue; }
    if (text[i] === '$' && extendEnds.length && /^\$self\b/.test(text.slice(i, i + 6))) { masked.blank(i, i + 1); i++; continue; }
    if (text[i] !== '%') {
      // nothing between here and the next stop (or the end of the %extend block) matters
      const next = nextStop(text, MASK_STOPS, i + 1);
      const close = extendEnds.length ? extendEnds[extendEnds.length - 1]! : -1;
      i = close > i && close < next ? close : next;
      continue;
    }
    // a directive
    if (text[i + 1] === '{') { i = codeBlock('', i); continue; }
    const word = /^%([A-Za-z_]\w*)/.exec(text.slice(i, i + 64));
    if (!word) { i++; continue; }
    const name = word[1]!;
    const after = i + word[0].length;
    if (CODE_KEYWORDS.has(name)) {
      const j = skipSpace(text, after);
      if (text[j] === '%' && text[j + 1] === '{') { masked.blank(i, j); i = codeBlock(name, j); continue; }
    }
    if (name === 'extend') {
      const j = skipSpace(text, after);
      const m = /^[A-Za-z_:][\w:<>, *]*/.exec(text.slice(j, j + 256));
      const k = skipSpace(text, j + (m ? m[0].trimEnd().length : 0));
      if (m && text[k] === '{' && k - i >= 'namespace'.length) {
        const close = matchBracket(text, k);
        if (close > 0) {
          masked.blank(i, k, 'namespace');
          extendsFound.push({ name: m[0].trim(), at: i, start: k + 1, end: close });
          extendEnds.push(close);
          i = k + 1;
          continue;
        }
      }
    }
    if (name === 'define') {
      const e = text.indexOf('%enddef', after);
      const end = e < 0 ? text.length : e + '%enddef'.length;
      masked.blank(i, end);
      i = end;
      continue;
    }
    // any other directive: through its (...) argument, then a %{ %} or { } body, or to `;` / end of line
    let j = after;
    j = skipSpace(text, j);
    if (text[j] === '(') { const c = matchBracket(text, j); j = c < 0 ? text.length : c + 1; }
    let end = j;
    for (; end < text.length; end++) {
      const t2 = skipTrivia(text, end);
      if (t2 >= 0 && text[end] !== '/') { end = t2 - 1; continue; }
      if (text[end] === ';') { end++; break; }
      if (text[end] === '\n') break;
      if (text[end] === '%' && text[end + 1] === '{') {
        const c = text.indexOf('%}', end + 2);
        end = c < 0 ? text.length : c + 2;
        break;
      }
      if (text[end] === '{') { const c = matchBracket(text, end); end = c < 0 ? text.length : c + 1; break; }
    }
    masked.blank(i, end);
    i = end;
  }
  return { masked: masked.toString(), blocks, extends: extendsFound };

  function codeBlock(kind: string, open: number): number {
    const close = text.indexOf('%}', open + 2);
    const end = close < 0 ? text.length : close;
    masked.blank(open, open + 2);
    if (close >= 0) masked.blank(close, close + 2);
    blocks.push({ kind, start: open + 2, end });
    return close < 0 ? text.length : close + 2;
  }
}
