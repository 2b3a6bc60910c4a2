/**
 * Broken input in a target file: a syntax error (a tree-sitter ERROR or MISSING node) or a git
 * conflict marker, and whether it lies in a region the fixes read or write.
 *
 * A region is an item at namespace scope: a child of the file or of a namespace (a class with
 * all its members, a function, a declaration), whatever namespaces, `extern "C"` blocks and `#if`
 * blocks hold it. A file's regions are the items that hold its role (the header's class, the SWIG
 * file's constructor lambda, global pointer and its setters) and every item a fix reports a place
 * in or edits. A flaw is in a region when the item that holds it is one of them (or overlaps one:
 * an ERROR node at namespace scope can swallow several items). A flaw there makes every verdict on
 * the group untrustworthy (the command exits 2, naming the flaw's line), and so does a conflict
 * marker anywhere in a target file (a file in the middle of a merge); a syntax error elsewhere in
 * a target file is a warning.
 */
import type { SourceFile, SyntaxNode } from './source.ts';
import { lineOf } from './text.ts';

export type FlawKind = 'parse-error' | 'conflict-marker';

export interface Flaw {
  kind: FlawKind;
  /** where the flaw is (index into the file's text) and its line */
  at: number;
  line: number;
  /** the namespace-scope item that holds it: [start, end) */
  item: [number, number];
  message: string;
  /** the file ends inside unfinished code (cut short?): a flaw wherever it is */
  truncated?: boolean;
}

/** Nodes that hold namespace-scope items: walking down from the file, an item is the first node that is none of these. */
const CONTAINERS = new Set(['translation_unit', 'namespace_definition', 'declaration_list', 'linkage_specification', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);

/** The namespace-scope item holding index `at` (see above): its range. */
export function itemAt(root: SyntaxNode, at: number): [number, number] {
  let node = root;
  for (;;) {
    if (!CONTAINERS.has(node.type)) return [node.startIndex, node.endIndex];
    const child = node.children.find((c) => c.startIndex <= at && at < c.endIndex) ?? node.children.find((c) => c.startIndex >= at);
    if (!child) return [node.startIndex, node.endIndex];
    node = child;
  }
}

/**
 * tree-sitter-cpp misreads some valid C++: `delete[] *p` parses as `delete` of a lambda's `[]`
 * (an ERROR holding a lambda_capture_specifier). Such an ERROR is no flaw.
 */
function misread(node: SyntaxNode): boolean {
  return node.type === 'ERROR' && node.parent?.type === 'delete_expression' && /^\[\s*\]\s*\*?\s*$/.test(node.text);
}

/** Every ERROR and MISSING node of a file (outermost ones: nothing inside an ERROR is listed apart). */
function errorNodes(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const walk = (n: SyntaxNode) => {
    if (n.isMissing || n.type === 'ERROR') { if (!misread(n)) out.push(n); return; }
    if (!n.hasError) return;
    for (const c of n.children) walk(c);
  };
  walk(root);
  return out;
}

/** Git's conflict markers: `<<<<<<<`, `|||||||`, `=======`, `>>>>>>>` at the start of a line (with a label, or none). */
const MARKER = /^(<{7}|\|{7}|={7}|>{7})(?:[ \t][^\r\n]*)?\r?$/gm;

/** The first conflict marker of a text that opens or closes a conflict, if any. */
export function firstConflictMarker(text: string): { at: number; marker: string } | null {
  for (const m of text.matchAll(MARKER)) if (m[1]![0] === '<' || m[1]![0] === '>') return { at: m.index!, marker: m[1]! };
  return null;
}

/** The flaws of a file, in text order. */
export function flawsOf(src: SourceFile): Flaw[] {
  const out: Flaw[] = [];
  const end = src.text.trimEnd().length;
  for (const n of errorNodes(src.root)) {
    const at = n.startIndex;
    const message = n.endIndex >= end && !n.isMissing
      ? 'syntax error that runs to the end of the file (a truncated file, or a brace or #if left open?)'
      : n.isMissing
        ? `syntax error: tree-sitter finds a missing ${JSON.stringify(n.type)} here${n.endIndex >= end ? ' (the file ends inside unfinished code: truncated?)' : ''}`
        : 'syntax error: tree-sitter cannot parse this line';
    // an ERROR that runs to the end of a file cut short starts anywhere: the end is where to look
    out.push({ kind: 'parse-error', at, line: lineOf(src.text, n.endIndex >= end ? end : at), item: itemAt(src.root, at), message, ...(n.endIndex >= end ? { truncated: true } : {}) });
  }
  const errors = out.splice(0);
  // a conflict: from its first marker to its last (`<<<<<<<` ... `>>>>>>>`)
  let open: { at: number; marker: string } | null = null;
  for (const m of src.text.matchAll(MARKER)) {
    const marker = m[1]!;
    if (marker.startsWith('<')) { open ??= { at: m.index!, marker }; continue; }
    // a lone `=======` (a banner in a comment, say) is no conflict; a lone `>>>>>>>` is one cut short
    if (marker.startsWith('>')) {
      const from = open?.at ?? m.index!;
      const [a] = itemAt(src.root, from);
      const [, b] = itemAt(src.root, m.index!);
      out.push({ kind: 'conflict-marker', at: from, line: lineOf(src.text, from), item: [Math.min(a, from), Math.max(b, m.index! + m[0].length)], message: `git conflict marker (${open?.marker ?? marker}): resolve the conflict first` });
      open = null;
    }
  }
  if (open) out.push({ kind: 'conflict-marker', at: open.at, line: lineOf(src.text, open.at), item: [open.at, src.text.length], message: `git conflict marker (${open.marker}) with no end: resolve the conflict first` });
  // a syntax error inside a conflict is the conflict's doing: the conflict is what to report
  const conflicts = out.map((c) => c.item);
  // (tree-sitter may join a marker's label to the next line's declaration: an item that overlaps the conflict)
  out.push(...errors.filter((e) => !conflicts.some(([a, b]) => e.item[0] < b && a < e.item[1])));
  return out.sort((a, b) => a.at - b.at);
}

/** Does a flaw's item overlap one of `ranges` ([start, end) indices) or hold one of `lines`? */
export function inRegion(flaw: Flaw, text: string, ranges: readonly [number, number][], lines: ReadonlySet<number>): boolean {
  const [s, e] = flaw.item;
  if (flaw.truncated) return true;
  if (ranges.some(([a, b]) => a < e && s < b)) return true;
  if (!lines.size) return false;
  const first = lineOf(text, s);
  const last = lineOf(text, Math.max(s, e - 1));
  for (const l of lines) if (l >= first && l <= last) return true;
  return false;
}
