/** Where guarded-global's new lines can go, and the local names they may take. */
import { endOfLine, insertLinesAfter, lineStart, ofType, renderAt, type Edit, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

/** Whole lines holding a node, if nothing but whitespace (and a trailing comment) shares them. */
export function ownLines(src: SourceFile, node: SyntaxNode): { start: number; end: number } | null {
  const start = lineStart(src.text, node.startIndex);
  if (src.text.slice(start, node.startIndex).trim() !== '') return null;
  const end = endOfLine(src.text, node.endIndex);
  const rest = src.text.slice(node.endIndex, end).trim();
  if (rest !== '' && !rest.startsWith('//')) return null;
  return { start, end };
}

/** The line after `{` of a block is free for new statements (nothing but a comment follows it). */
export function opensLine(src: SourceFile, block: SyntaxNode): boolean {
  const rest = src.text.slice(block.startIndex + 1, endOfLine(src.text, block.startIndex)).trim();
  return rest === '' || rest.startsWith('//');
}

/** A local name for a new lock that nothing under node uses yet. */
export function freeName(node: SyntaxNode, preferred: string[]): string {
  const used = new Set(ofType(node, 'identifier', 'type_identifier', 'field_identifier').map((n) => n.text));
  return preferred.find((name) => !used.has(name)) ?? `${preferred[0]}_${node.startIndex}`;
}

/** Insert rendered statements as the first lines of a block whose `{` ends its line. */
export function insertAtTop(src: SourceFile, block: SyntaxNode, template: string, vars: Record<string, string>): Edit {
  const first = block.namedChildren[0];
  const text = first
    ? renderAt(src, first.startIndex, template, vars)
    : renderAt(src, block.startIndex, template, vars, 1);
  return insertLinesAfter(src, block.startIndex, text);
}

/** Nodes of a type directly in a lambda's or function's body, not in a nested lambda. */
export function ownNodes(body: SyntaxNode, type: string): SyntaxNode[] {
  return ofType(body, type).filter((node) => {
    for (let parent = node.parent; parent && parent.id !== body.id; parent = parent.parent) if (parent.type === 'lambda_expression') return false;
    return true;
  });
}
