/** Building blocks for transforms: structural look-ups and edits that respect the file's layout. */
import type { Edit } from './edits.ts';
import { findHeaderClasses, type HeaderClass } from './roles.ts';
import { ofType, findMethod } from './cst.ts';
import { textOf, type SourceFile, type SyntaxNode } from './source.ts';
import { indentAt, lineStart } from './text.ts';
import { renderFile } from './template.ts';

export function headerClass(src: SourceFile, name?: string): HeaderClass | undefined {
  const all = findHeaderClasses(src);
  return all.find((c) => c.name === name) ?? all[0];
}

/** Render a template for a position: indentation of the line at `index`, plus `extra` levels. */
export function renderAt(src: SourceFile, index: number, template: string, vars: Record<string, string>, extra = 0): string {
  const base = indentAt(src.text, index) + src.style.indentUnit.repeat(extra);
  return renderFile(template, vars, { style: src.style, base });
}

/** Render a block (`{ ... }`) that replaces a compound statement in place: the first line is not indented. */
export function renderBlock(src: SourceFile, block: SyntaxNode, template: string, vars: Record<string, string>): string {
  const base = indentAt(src.text, block.startIndex);
  return renderFile(template, vars, { style: src.style, base }).slice(base.length);
}

/** Index just after the line break that ends the line holding `index` (or the end of the text). */
export function endOfLine(text: string, index: number): number {
  const nl = text.indexOf('\n', index);
  return nl < 0 ? text.length : nl + 1;
}

/** Insert whole lines after the line that holds `index`. `lines` is already rendered (no trailing EOL). */
export function insertLinesAfter(src: SourceFile, index: number, lines: string): Edit {
  const at = endOfLine(src.text, index);
  const needsEol = at === src.text.length && !src.text.endsWith('\n');
  return { file: src.path, start: at, end: at, text: (needsEol ? src.style.eol : '') + lines + src.style.eol };
}

/** Insert whole lines before the line that holds `index`. */
export function insertLinesBefore(src: SourceFile, index: number, lines: string): Edit {
  const at = lineStart(src.text, index);
  return { file: src.path, start: at, end: at, text: lines + src.style.eol };
}

/** `#include <h>` lines for the standard headers not yet included, after the last angle-bracket include. */
export function ensureIncludes(src: SourceFile, headers: string[]): Edit[] {
  const includes = topLevelIncludes(src.root);
  const have = new Set(includes.map((i) => textOf(src, i.childForFieldName('path') ?? i).replace(/[<>"]/g, '').trim()));
  const want = headers.filter((h) => !have.has(h));
  if (!want.length) return [];
  const std = includes.filter((i) => /^<[a-z_]+>$/.test(textOf(src, i.childForFieldName('path') ?? i).trim()));
  const anchor = (std.length ? std : includes).at(-1);
  const lines = want.map((h) => `#include <${h}>`).join(src.style.eol);
  if (anchor) {
    // preproc_include's node ends after its line break
    const end = anchor.endIndex > 0 && src.text[anchor.endIndex - 1] === '\n' ? anchor.endIndex - 1 : anchor.endIndex;
    return [insertLinesAfter(src, end, lines)];
  }
  return [{ file: src.path, start: src.style.bom ? 1 : 0, end: src.style.bom ? 1 : 0, text: lines + src.style.eol }];
}

/** #include lines at file scope, inside include guards and other conditionals included. The
 * text says where `#include` may be; the tree says which of those are such lines (walking a
 * large file's top level node by node costs more than its parse). */
export function topLevelIncludes(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const text = root.text;
  const seen = new Set<number>();
  for (const m of text.matchAll(/#[ \t]*include\b/g)) {
    let n: SyntaxNode | null = root.descendantForIndex(root.startIndex + m.index!);
    while (n && n.type !== 'preproc_include') n = n.parent;
    if (!n || seen.has(n.startIndex)) continue;
    let p = n.parent;
    while (p && p.id !== root.id && p.type.startsWith('preproc_') && p.type !== 'preproc_def' && p.type !== 'preproc_function_def') p = p.parent;
    if (p?.id !== root.id) continue;
    seen.add(n.startIndex);
    out.push(n);
  }
  return out;
}

/** Data members (field declarations that are not method declarations) of a class body. */
export function dataMembers(body: SyntaxNode): SyntaxNode[] {
  return body.namedChildren.filter((c) => c.type === 'field_declaration' && !ofType(c, 'function_declarator').length);
}

export { findMethod };

/** The statements of a compound statement, comments excluded. */
export function statements(block: SyntaxNode): SyntaxNode[] {
  return block.namedChildren.filter((c) => c.type !== 'comment');
}

/** Calls `x.method(...)`/`x->method(...)` under node, with the object and argument nodes. */
export function memberCalls(node: SyntaxNode, methodsNamed: string[]): { call: SyntaxNode; object: SyntaxNode; method: string; args: SyntaxNode[] }[] {
  return ofType(node, 'call_expression').flatMap((call) => {
    const f = call.childForFieldName('function');
    if (f?.type !== 'field_expression') return [];
    const field = f.childForFieldName('field')?.text ?? '';
    if (!methodsNamed.includes(field)) return [];
    return [{ call, object: f.childForFieldName('argument')!, method: field, args: call.childForFieldName('arguments')?.namedChildren ?? [] }];
  });
}

/** Local variable declarations in a function body: name → declaration node and type text. */
export function locals(src: SourceFile, body: SyntaxNode): Map<string, { decl: SyntaxNode; type: string }> {
  const m = new Map<string, { decl: SyntaxNode; type: string }>();
  for (const d of ofType(body, 'declaration')) {
    const type = textOf(src, d.childForFieldName('type') ?? d);
    for (const declarator of d.childrenForFieldName('declarator')) {
      let n: SyntaxNode | null = declarator;
      let ptr = '';
      while (n && n.type !== 'identifier') {
        if (n.type === 'pointer_declarator') ptr += '*';
        n = n.childForFieldName('declarator');
      }
      if (n && !m.has(n.text)) m.set(n.text, { decl: d, type: type + ptr });
    }
  }
  return m;
}
