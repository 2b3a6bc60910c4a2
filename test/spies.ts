/**
 * What the engine does, counted from outside it: tests wrap tree-sitter's parser and query
 * classes, and node's fs reads, in this process. The product keeps no counters for them.
 * Each spy counts from when it is made until `stop()`.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type Parser from 'tree-sitter';
import { isSwigPath } from '../src/source.ts';
import { maskSwig } from '../src/swig.ts';

// the same module object src/source.ts requires (CommonJS: one instance per process)
const require = createRequire(import.meta.url);
const TreeSitter = require('tree-sitter') as typeof Parser & { Query: typeof Parser.Query };
const fs = require('node:fs') as typeof import('node:fs');

/** The text tree-sitter is given for a file: SWIG directives masked, a BOM blanked (as src/source.ts does). */
function parserText(path: string, text: string): string {
  const input = isSwigPath(path) ? maskSwig(text).masked : text;
  return input.charCodeAt(0) === 0xfeff ? ' ' + input.slice(1) : input;
}

/** Every chunk the parser would read from an input callback, joined. */
function wholeInput(input: string | ((index: number) => string | null | undefined)): string {
  if (typeof input === 'string') return input;
  let out = '';
  for (let chunk = input(0); chunk; chunk = input(out.length)) out += chunk;
  return out;
}

export interface ParseSpy {
  /** parses from scratch */
  full: number;
  /** parses that reused an old tree */
  incremental: number;
  /**
   * Parses by file: a fresh parse is the file whose text it parses (among `files`), an
   * incremental one belongs to the file its old tree was parsed for. A text no file of `files`
   * has counts as `?`.
   */
  byPath: Map<string, number>;
  stop(): void;
}

/** Count tree-sitter's parses (Parser.prototype.parse), telling apart the files of `files` (path → text). */
export function spyParses(files: Iterable<[string, string]> = []): ParseSpy {
  const pathOf = new Map<string, string>();
  for (const [p, t] of files) if (!pathOf.has(parserText(p, t))) pathOf.set(parserText(p, t), p);
  const treePath = new WeakMap<object, string>();
  const spy: ParseSpy = { full: 0, incremental: 0, byPath: new Map(), stop: () => { TreeSitter.prototype.parse = parse; } };
  const parse = TreeSitter.prototype.parse;
  TreeSitter.prototype.parse = function (this: Parser, input: never, old?: Parser.Tree, opts?: never) {
    const path = old ? treePath.get(old) ?? '?' : pathOf.get(wholeInput(input)) ?? '?';
    if (old) spy.incremental++; else spy.full++;
    spy.byPath.set(path, (spy.byPath.get(path) ?? 0) + 1);
    const tree = parse.call(this, input, old, opts);
    treePath.set(tree, path);
    return tree;
  } as typeof parse;
  return spy;
}

export interface QuerySpy {
  /** the source text of every query compiled (new Query(language, source)), in order */
  compiled: string[];
  /** runs of a compiled query over a node (Query.prototype.matches) */
  passes: number;
  stop(): void;
}

/** Count query compilations and passes (tree-sitter's Query class and its matches). */
export function spyQueries(): QuerySpy {
  const Query = TreeSitter.Query;
  const matches = Query.prototype.matches;
  const spy: QuerySpy = {
    compiled: [], passes: 0,
    stop: () => { TreeSitter.Query = Query; Query.prototype.matches = matches; },
  };
  TreeSitter.Query = new Proxy(Query, {
    construct(target, args: [unknown, string], newTarget) {
      spy.compiled.push(String(args[1]));
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
  Query.prototype.matches = function (this: Parser.Query, ...args: Parameters<typeof matches>) {
    spy.passes++;
    return matches.apply(this, args);
  };
  return spy;
}

export interface ReadSpy {
  /** reads of a file's content (readFileSync, or openSync for a large file read in chunks), by path */
  byPath: Map<string, number>;
  stop(): void;
}

/**
 * Count the reads of files through node's fs (readFileSync and openSync), by the path asked for:
 * the ESM bindings of node:fs (`import { readFileSync } from 'node:fs'` in src/) follow.
 */
export function spyReads(): ReadSpy {
  const { readFileSync, openSync } = fs;
  const spy: ReadSpy = {
    byPath: new Map(),
    stop: () => { Object.assign(fs, { readFileSync, openSync }); syncBuiltinESMExports(); },
  };
  // readFileSync may open the file through fs.openSync: a read counts once, at its outermost call
  let depth = 0;
  const counted = <A extends unknown[], R>(f: (...a: A) => R) => (...args: A): R => {
    if (depth === 0 && typeof args[0] === 'string') spy.byPath.set(args[0], (spy.byPath.get(args[0]) ?? 0) + 1);
    depth++;
    try { return f(...args); } finally { depth--; }
  };
  Object.assign(fs, { readFileSync: counted(readFileSync), openSync: counted(openSync) });
  syncBuiltinESMExports();
  return spy;
}
