/** Parsing: a file's text → a syntax tree whose indices are indices into that same text. */
import { createRequire } from 'node:module';
import type Parser from 'tree-sitter';
import { maskSwig, type SwigLayout } from './swig.ts';
import { detectStyle, lineOf, type TextStyle } from './text.ts';

// tree-sitter and its grammar are CommonJS: require loads them in a third of the time an ESM
// import takes (which first scans each module's source for its export names)
const require = createRequire(import.meta.url);
const TreeSitter = require('tree-sitter') as typeof Parser;

// node-tree-sitter keeps every node object it hands out in its tree's cache (a weak reference and
// a finalizer each), so that a node asked for twice is the same object and so that tree.edit can
// move the ones still alive: each edit visits every node object not yet collected (~1 ms per edit
// on the upstream header, after a codemod's walks). memfix compares nodes by id, never as
// objects, and never reads a node of a tree after editing the tree (it re-parses and finds its
// nodes again): without the cache, a node is a plain object and tree.edit is tree-sitter's own
// (test/reparse.test.ts checks that nodes come uncached; the scenarios, that the fixes' output is
// the same)
const treeProto = (TreeSitter as unknown as { Tree: { prototype: unknown } }).Tree.prototype as { _cacheNode(node: unknown): void; _cacheNodes(nodes: unknown[]): void };
treeProto._cacheNode = () => {};
treeProto._cacheNodes = () => {};

export type SyntaxNode = Parser.SyntaxNode;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const language: any = require('tree-sitter-cpp');

// A parser's first setLanguage builds a JavaScript class for each of the grammar's ~600 node
// types, each from source text through eval (~15-20 ms of a run; the bench's floor pays it too).
// Their prototype's `type` is meant to spare a native call, but a getter on the base class keeps
// that assignment from taking (node.type is the native call either way), and the classes add only
// field getters (`declaratorNode`, ...) that memfix does not use: every node type is the base class
// (test/reparse.test.ts holds that setLanguage keeps this table and that nodes still say their type)
language.nodeSubclasses ??= new Array<unknown>(0x10000).fill((TreeSitter as unknown as { SyntaxNode: unknown }).SyntaxNode);

export interface SourceFile {
  /** POSIX path relative to the tree root */
  path: string;
  /** the original text, BOM and line endings included */
  text: string;
  kind: 'cpp' | 'swig';
  root: SyntaxNode;
  /** SWIG code blocks and %extend bodies (swig files only) */
  swig?: SwigLayout;
  style: TextStyle;
}

let parser: Parser | undefined;

export function isSwigPath(path: string): boolean {
  return /\.(i|swg|swig)$/i.test(path);
}

/** What the parser sees: the text, SWIG directives masked, a BOM blanked (same length: indices unchanged). */
function parserInput(kind: SourceFile['kind'], text: string): { input: string; swig?: SwigLayout } {
  const swig = kind === 'swig' ? maskSwig(text) : undefined;
  let input = swig ? swig.masked : text;
  if (input.charCodeAt(0) === 0xfeff) input = ' ' + input.slice(1);
  return { input, swig };
}

// node-tree-sitter copies its input in chunks of at most bufferSize - 1 UTF-16 units; handing it
// the whole string at once needs a buffer as large as the file, and every re-read of an
// incremental parse would copy the rest of the file again
const CHUNK = 64 * 1024;

function runParser(input: string, old?: Parser.Tree): Parser.Tree {
  parser ??= (() => { const p = new TreeSitter(); p.setLanguage(language); return p; })();
  const tree = parser.parse((i: number) => input.slice(i, i + CHUNK), old, { bufferSize: CHUNK + 1 });
  parsedSinceGc += input.length;
  // node.text reads the string directly, not through the chunked callback
  (tree as unknown as { input: string }).input = input;
  (tree as unknown as { getText: (n: SyntaxNode) => string }).getText = function (this: { input: string }, n: SyntaxNode) {
    return this.input.substring(n.startIndex, n.endIndex);
  };
  return tree;
}

/**
 * node-tree-sitter keeps a syntax tree in native memory that V8 does not count (about 25 bytes
 * per character), and frees it only when the JavaScript Tree object is collected: a small heap
 * is rarely collected, so a run that parses thousands of files would keep thousands of trees.
 * After every GC_AFTER characters parsed, the engine asks for a collection between groups.
 */
const GC_AFTER = 4_000_000;
let parsedSinceGc = 0;
let gc: (() => void) | null | undefined;

/**
 * Let the trees no longer referenced go, if enough was parsed since the last time. A collected
 * tree's native memory is freed by a finalizer that node runs from the event loop: the caller
 * waits for one turn of it.
 */
export async function releaseTrees(): Promise<void> {
  if (parsedSinceGc < GC_AFTER) return;
  collect();
  await new Promise((resolve) => setImmediate(resolve));
}

function collect(): void {
  parsedSinceGc = 0;
  gc ??= (() => {
    try {
      // loaded here, not at the top: most runs never need them
      (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--expose-gc');
      return (require('node:vm') as typeof import('node:vm')).runInNewContext('gc') as () => void;
    } catch {
      return null;
    }
  })();
  gc?.();
}

export function parseSource(path: string, text: string): SourceFile {
  const kind = isSwigPath(path) ? 'swig' : 'cpp';
  const { input, swig } = parserInput(kind, text);
  const tree = runParser(input);
  return { path, text, kind, root: tree.rootNode, swig, style: detectStyle(text) };
}

/**
 * One changed region, as tree-sitter's edits want it: in the coordinates of the text with the
 * earlier regions already changed. [start, oldEnd) held old text and holds [start, newEnd) now;
 * `from` is where the region starts in the old text.
 */
export interface Region { start: number; oldEnd: number; newEnd: number; from: number }

/**
 * The regions in which `after` differs from `before`, given the edits that made it (ranges of
 * `before`), or null when `after` also differs outside them (a SWIG file whose masking changed
 * beyond the edited text). Touching and same-point edits merge into one region.
 */
export function changedRegions(before: string, after: string, edits: readonly { start: number; end: number; text: string }[]): Region[] | null {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: { start: number; end: number; delta: number }[] = [];
  for (const e of sorted) {
    const last = merged.at(-1);
    const delta = e.text.length - (e.end - e.start);
    if (last && e.start <= last.end) { last.end = Math.max(last.end, e.end); last.delta += delta; } else merged.push({ start: e.start, end: e.end, delta });
  }
  const regions: Region[] = [];
  let shift = 0;
  let prev = 0;
  for (const m of merged) {
    // the text between two regions is the same, moved by the edits before it
    if (!sameSlice(before, prev, m.start, after, prev + shift)) return null;
    if (m.delta === 0 && sameSlice(before, m.start, m.end, after, m.start + shift)) { prev = m.end; continue; }
    regions.push({ start: m.start + shift, oldEnd: m.end + shift, newEnd: m.end + shift + m.delta, from: m.start });
    shift += m.delta;
    prev = m.end;
  }
  if (before.length + shift !== after.length || !sameSlice(before, prev, before.length, after, prev + shift)) return null;
  return regions;
}

function sameSlice(a: string, from: number, to: number, b: string, at: number): boolean {
  // substrings of flat strings compare as memory does
  return a.substring(from, to) === b.substring(at, at + (to - from));
}

/** The one region between the common prefix and the common suffix of two texts. */
function diffRegion(before: string, after: string): Region[] {
  let p = 0;
  const max = Math.min(before.length, after.length);
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  return p === before.length && p === after.length ? [] : [{ start: p, oldEnd: before.length - s, newEnd: after.length - s, from: p }];
}

/**
 * The point (row, column in UTF-16 units, as node-tree-sitter counts) at `index` of `text`,
 * starting from a known point `from` at `fromIndex` (earlier text may differ: only the line
 * breaks in [fromIndex, index) are counted).
 */
function advance(text: string, from: Parser.Point, fromIndex: number, index: number): Parser.Point {
  let row = from.row;
  let lineStart = fromIndex - from.column;
  for (let i = text.indexOf('\n', fromIndex); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) { row++; lineStart = i + 1; }
  return { row, column: index - lineStart };
}

/**
 * A fix's edits are told to tree-sitter region by region, so that the re-parse re-reads only
 * what changed (on the upstream header, a fix's re-parse fell from 6–10 ms to about 1). Edits
 * less than ONE_REGION characters apart are told as one region: what lies between them is
 * re-read, and a fix that rewrites a run of short spans costs a handful of tree.edit calls, not
 * one per span. (tree.edit costs tree-sitter's own edit only: node-tree-sitter's cache of node
 * objects, which every call visited, is off: see the top of this file.)
 */
const ONE_REGION = 256;

function mergeClose(regions: Region[]): Region[] {
  const out: Region[] = [];
  for (const r of regions) {
    const last = out.at(-1);
    if (!last || r.start - last.newEnd > ONE_REGION) { out.push({ ...r }); continue; }
    // last's and r's changes as one: from last's start to r's end, in the old text and the new
    // (no region between them: the text from last.newEnd to r.start is unchanged, shifted)
    const oldStop = r.from + (r.oldEnd - r.start);
    last.oldEnd = last.start + (oldStop - last.from);
    last.newEnd = r.newEnd;
  }
  return out;
}

/**
 * Re-parse a file after edits (`edits` are ranges of `old.text`, `text` the result): the old tree
 * is told what changed (tree.edit) and tree-sitter reuses the rest. This changes the old
 * SourceFile's tree: do not use it afterwards.
 */
export function reparseSource(old: SourceFile, text: string, edits: readonly { start: number; end: number; text: string }[]): SourceFile {
  const oldTree = old.root.tree;
  forget(oldTree);
  const oldInput = (oldTree as unknown as { input: string }).input;
  const { input, swig } = parserInput(old.kind, text);
  const regions = mergeClose(changedRegions(oldInput, input, edits) ?? diffRegion(oldInput, input));
  let at: Parser.Point = { row: 0, column: 0 };
  let atIndex = 0;
  for (const r of regions) {
    const startPosition = advance(input, at, atIndex, r.start);
    oldTree.edit({
      startIndex: r.start,
      oldEndIndex: r.oldEnd,
      newEndIndex: r.newEnd,
      startPosition,
      oldEndPosition: advance(oldInput, startPosition, r.from, r.from + (r.oldEnd - r.start)),
      newEndPosition: advance(input, startPosition, r.start, r.newEnd),
    });
    at = startPosition;
    atIndex = r.start;
  }
  let tree = runParser(input, oldTree);
  // tree-sitter's error recovery may shape a broken text otherwise when it starts from an old
  // tree than when it starts afresh: a tree with errors is made afresh, so it is always the tree
  // a fresh parse gives (a fix's edits leave valid code: for them this costs nothing)
  if (tree.rootNode.hasError) tree = runParser(input);
  // the file's style is the one its author wrote (a fix's insertions follow it)
  return { path: old.path, text, kind: old.kind, root: tree.rootNode, swig, style: old.style };
}

/** The original text of a node (for SWIG files node.text would be the masked text). */
export function textOf(src: SourceFile, node: SyntaxNode): string {
  return src.text.slice(node.startIndex, node.endIndex);
}

export function lineOfNode(src: SourceFile, node: SyntaxNode | number): number {
  return lineOf(src.text, typeof node === 'number' ? node : node.startIndex);
}

const queryCache = new Map<string, Parser.Query>();

/** Compile a tree-sitter query (the text of a .scm file), cached by its text. */
export function compileQuery(scm: string, name = 'query'): Parser.Query {
  let q = queryCache.get(scm);
  if (!q) {
    try {
      q = new TreeSitter.Query(language, scm);
    } catch (e) {
      throw new Error(`${name}: invalid tree-sitter query: ${(e as Error).message}`);
    }
    queryCache.set(scm, q);
  }
  return q;
}

/**
 * The run's queries, compiled as one. With tree-sitter-cpp every compilation walks the grammar's
 * whole parse table (10–20 ms) before it analyses its patterns (5–30 ms each), so the texts a run
 * may use (the roles', every selected codemod's) are declared first, as text, and compiled
 * together the first time one of them is run. A text declared twice (the same patterns, whatever
 * its comments) is compiled once: codemods that look for the same shape share its matches. A
 * text declared after that compilation joins the next one.
 *
 * A view runs the combined query and keeps its own text's matches. What the combined query finds
 * under a node is kept for as long as that node's tree lives (each view of the run gets it from
 * there): a run over a node is paid once, whichever views ask. A tree that is edited for a
 * re-parse loses what was kept for it (see reparseSource). On a node over ALONE_FROM characters
 * the other texts' patterns may match thousands of times (every method of a 1 MB header), so
 * there a view runs its own text, compiled alone on first such use; except a text marked rare
 * (a comment line `; memfix: rare` in its file: its matches are few in any file, such as the
 * items at namespace scope), which runs there with every other rare text, as one query: codemods
 * that look at a whole large file through several rare queries pay one pass over its tree (on a
 * 4 MB header each pass costs about half a parse) instead of one each. A broken text is named:
 * it is compiled alone to find it.
 */
const ALONE_FROM = 256 * 1024;
const RARE = /^[ \t]*;[ \t]*memfix:[ \t]*rare\b/m;

interface Declared {
  /** the text as tree-sitter reads it (see patternsOf), which identifies it */
  text: string;
  /** the text as written (its errors are reported in its own lines and columns) */
  scm: string;
  /** for errors: the first name it was declared under */
  label: string;
  /** once compiled: the combined query and the patterns of this text in it */
  set?: { all: Matcher; id: number; patterns: number };
  first?: number;
  last?: number;
  /** the compilation that held it failed: so does every use */
  error?: Error;
  /** marked rare: on a large node it runs with the other rare texts (see above) */
  rare?: boolean;
}

const declared = new Map<string, Declared>();
let pending: Declared[] = [];
let sets = 0;

/**
 * A query text as tree-sitter reads it: comments dropped, blanks outside strings made one space.
 * Texts that differ only there are the same query.
 */
export function patternsOf(scm: string): string {
  // a string as it is (escapes included); a run of blanks and comments, one space; none at the ends
  return scm.replace(/("(?:[^"\\]|\\[\s\S])*"?)|(?:;[^\n]*|\s)+/g, (_, str: string | undefined) => str ?? ' ').trim();
}

function compilePending(): void {
  const batch = pending;
  pending = [];
  let all: Parser.Query;
  try {
    all = new TreeSitter.Query(language, batch.map((d) => d.text).join('\n'));
  } catch (e) {
    let error = new Error(`queries: invalid tree-sitter query: ${(e as Error).message}`);
    try {
      for (const d of batch) compileQuery(d.scm, d.label); // throws, naming the text
    } catch (named) {
      error = named as Error;
    }
    // the views declared so far keep the error; a text declared again starts afresh
    for (const d of batch) { d.error = error; declared.delete(d.text); }
    throw error;
  }
  const set = { all, id: sets++, patterns: all.predicates.length };
  patternRanges(all, batch).forEach(([first, last], k) => Object.assign(batch[k]!, { set, first, last }));
}

/**
 * The patterns of each text in a query compiled from `texts` joined by newlines, as [first, last]
 * pattern indices ([0, -1] for a text with no pattern: it matches nothing).
 */
function patternRanges(query: Parser.Query, texts: { text: string }[]): [number, number][] {
  // pattern i belongs to the text its start offset (in UTF-8 bytes of the source) falls in
  const ends: number[] = [];
  let end = 0;
  for (const d of texts) ends.push((end += Buffer.byteLength(d.text) + 1));
  const out: [number, number][] = texts.map(() => [0, -1]);
  const at = (query as unknown as { startIndexForPattern(i: number): number }).startIndexForPattern.bind(query);
  for (let i = 0; i < query.predicates.length; i++) {
    const range = out[ends.findIndex((e) => at(i) < e)]!;
    if (range[1] < range[0]) range[0] = i; // its first pattern
    range[1] = i;
  }
  return out;
}

/** The rare texts declared so far, compiled as one query (recompiled when one is added). */
let rareSet: { query: Parser.Query; ranges: Map<Declared, [number, number]>; id: number } | undefined;

function rareQuery(d: Declared): { query: Parser.Query; id: number; first: number; last: number } {
  if (!rareSet?.ranges.has(d)) {
    const texts = [...declared.values()].filter((x) => x.rare && !x.error);
    if (!texts.includes(d)) texts.push(d);
    const query = compileQuery(texts.map((x) => x.text).join('\n'), 'rare queries');
    const ranges = new Map(patternRanges(query, texts).map((r, k) => [texts[k]!, r]));
    rareSet = { query, ranges, id: sets++ };
  }
  const [first, last] = rareSet.ranges.get(d)!;
  return { query: rareSet.query, id: rareSet.id, first, last };
}

type Match = Parser.QueryMatch;
/** What runs over a node and gives matches: a compiled query, or the combined one with its type filter. */
type Matcher = { matches(node: SyntaxNode, opts?: object): Match[] };
/** What a combined query found under a node: tree → "set:node" → matches. */
const found = new WeakMap<Parser.Tree, Map<string, Match[]>>();

/** Forget what was found in a tree (it is about to be edited). */
function forget(tree: Parser.Tree): void {
  found.delete(tree);
}

function runView(d: Declared, node: SyntaxNode, opts?: object): Match[] {
  if (d.error) throw d.error;
  if (!d.set) compilePending();
  const { all, id, patterns } = d.set!;
  if (d.last! < d.first!) return [];
  if (d.first === 0 && d.last === patterns - 1) return all.matches(node, opts);
  const large = node.endIndex - node.startIndex > ALONE_FROM;
  if (large && !d.rare) return compileQuery(d.text, d.label).matches(node, opts);
  const run = large ? rareQuery(d) : { query: all, id, first: d.first!, last: d.last! };
  const inRun = (m: Match) => m.pattern >= run.first && m.pattern <= run.last;
  if (opts) return run.query.matches(node, opts).filter(inRun);
  let byNode = found.get(node.tree);
  if (!byNode) found.set(node.tree, (byNode = new Map()));
  const key = `${run.id}:${node.id}:${node.startIndex}:${node.endIndex}`;
  let matches = byNode.get(key);
  if (!matches) byNode.set(key, (matches = run.query.matches(node)));
  return matches.filter(inRun);
}

/**
 * Declare query texts (name → text of a .scm file) for this run and get a view of each; nothing
 * is compiled until a view is run.
 */
export function declareQueries(named: Record<string, string>, prefix = ''): Record<string, Parser.Query> {
  const views: Record<string, Parser.Query> = {};
  for (const [n, scm] of Object.entries(named)) {
    const text = patternsOf(scm);
    let d = declared.get(text);
    if (!d) {
      declared.set(text, (d = { text, scm, label: `${prefix}${n}.scm` }));
      pending.push(d);
    }
    if (RARE.test(scm)) d.rare = true;
    const of = d;
    const matches = (node: SyntaxNode, opts?: object) => runView(of, node, opts);
    views[n] = Object.create(TreeSitter.Query.prototype, {
      matches: { value: matches },
      // a capture does not say its pattern: this view's captures are its matches', in document order
      captures: {
        value: (node: SyntaxNode, opts?: object) =>
          matches(node, opts).flatMap((m) => m.captures).sort((a, b) => a.node.startIndex - b.node.startIndex || b.node.endIndex - a.node.endIndex),
      },
    }) as Parser.Query;
  }
  return views;
}

/** Declare query texts and compile what is pending now (a broken text throws here, named). */
export function compileQueries(named: Record<string, string>, prefix = ''): Record<string, Parser.Query> {
  const views = declareQueries(named, prefix);
  if (pending.length) compilePending();
  return views;
}

export type Captures = Record<string, SyntaxNode>;

/** Every match of a query under `node`, as name → node maps (the first node of each capture). */
export function matchAll(query: Parser.Query, node: SyntaxNode): Captures[] {
  return query.matches(node).map((m) => {
    const caps: Captures = {};
    for (const c of m.captures) caps[c.name] ??= c.node;
    return caps;
  });
}
