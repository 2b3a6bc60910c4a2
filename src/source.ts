/** Parsing: a file's text → a syntax tree whose indices are indices into that same text. */
import Parser from 'tree-sitter';
import Cpp from 'tree-sitter-cpp';
import { maskSwig, type SwigLayout } from './swig.ts';
import { detectStyle, lineOf, type TextStyle } from './text.ts';

export type SyntaxNode = Parser.SyntaxNode;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const language: any = Cpp;

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

export function parseSource(path: string, text: string): SourceFile {
  parser ??= (() => { const p = new Parser(); p.setLanguage(language); return p; })();
  const kind = isSwigPath(path) ? 'swig' : 'cpp';
  const swig = kind === 'swig' ? maskSwig(text) : undefined;
  let input = swig ? swig.masked : text;
  if (input.charCodeAt(0) === 0xfeff) input = ' ' + input.slice(1); // same length: indices unchanged
  // tree-sitter's default buffer is 32 KiB; larger inputs need an explicit size
  const tree = parser.parse(input, undefined, { bufferSize: Math.max(64 * 1024, input.length * 4 + 16) });
  return { path, text, kind, root: tree.rootNode, swig, style: detectStyle(text) };
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
      q = new Parser.Query(language, scm);
    } catch (e) {
      throw new Error(`${name}: invalid tree-sitter query: ${(e as Error).message}`);
    }
    queryCache.set(scm, q);
  }
  return q;
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
