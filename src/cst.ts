/** Small structural helpers over tree-sitter nodes. */
import type { SyntaxNode } from './source.ts';

export function* descendants(node: SyntaxNode): Generator<SyntaxNode> {
  const cursor = node.walk();
  let depth = 0;
  for (;;) {
    yield cursor.currentNode;
    if (cursor.gotoFirstChild()) { depth++; continue; }
    while (!cursor.gotoNextSibling()) {
      if (depth === 0 || !cursor.gotoParent()) return;
      depth--;
    }
    if (depth === 0) return;
  }
}

/** Nodes of the given types under (and including) node, in document order. The walk is
 * node-tree-sitter's own (native), and only the nodes found become JavaScript objects:
 * materialising every node is what makes large files slow. */
export function ofType(node: SyntaxNode, ...types: string[]): SyntaxNode[] {
  return node.descendantsOfType(types);
}

/** The identifier a (possibly nested) declarator declares, or null. */
export function declaredName(decl: SyntaxNode | null): SyntaxNode | null {
  let d = decl;
  while (d) {
    if (['identifier', 'field_identifier', 'destructor_name', 'operator_name', 'qualified_identifier'].includes(d.type)) return d;
    d = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c.type.endsWith('declarator') || c.type === 'identifier') ?? null;
  }
  return null;
}

/** Name of a function_definition (e.g. `free_disk_buffer`, `~memory_disk_io`). */
export function functionName(fn: SyntaxNode): string | null {
  const n = declaredName(fn.childForFieldName('declarator'));
  return n ? n.text : null;
}

/** The function_declarator of a function_definition. */
export function functionDeclarator(fn: SyntaxNode): SyntaxNode | null {
  let d = fn.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  return d;
}

export interface Param { node: SyntaxNode; type: string; name: string | null; nameNode: SyntaxNode | null }

export function parameters(fn: SyntaxNode, text: (n: SyntaxNode) => string): Param[] {
  const fd = functionDeclarator(fn) ?? (fn.type === 'lambda_expression' ? fn.childForFieldName('declarator') : null);
  const list = fd?.childForFieldName('parameters');
  if (!list) return [];
  return list.namedChildren
    .filter((p) => p.type.endsWith('parameter_declaration'))
    .map((p) => {
      const nameNode = declaredName(p.childForFieldName('declarator'));
      return { node: p, type: text(p.childForFieldName('type') ?? p), name: nameNode ? text(nameNode) : null, nameNode };
    });
}

/** A method a class body defines, named by a field identifier (not a constructor, destructor or operator). */
export interface MethodDefinition { method: SyntaxNode; name: SyntaxNode; params: SyntaxNode; body: SyntaxNode }

/**
 * The methods a class body defines as its own members, in order: `<type> <name>(<params>) ... {
 * <body> }` (a declaration without a body, `= default` and a member template are not).
 */
export function methodDefinitions(classBody: SyntaxNode): MethodDefinition[] {
  return classBody.namedChildren.flatMap((method) => {
    if (method.type !== 'function_definition') return [];
    const declarator = method.childForFieldName('declarator');
    const name = declarator?.type === 'function_declarator' ? declarator.childForFieldName('declarator') : null;
    const params = declarator?.childForFieldName('parameters');
    const body = method.childForFieldName('body');
    return name?.type === 'field_identifier' && params?.type === 'parameter_list' && body?.type === 'compound_statement' ? [{ method, name, params, body }] : [];
  });
}

/** Functions defined inline in a class body (constructors and operators too). */
export function methods(classBody: SyntaxNode): SyntaxNode[] {
  return classBody.namedChildren.filter((c) => c.type === 'function_definition');
}

export function findMethod(classBody: SyntaxNode, name: string): SyntaxNode | undefined {
  return methods(classBody).find((m) => functionName(m) === name);
}

/** Identifiers (and field identifiers) with this exact name under node. */
export function references(node: SyntaxNode, name: string): SyntaxNode[] {
  return ofType(node, 'identifier', 'field_identifier').filter((n) => n.text === name);
}

export function enclosing(node: SyntaxNode, type: string): SyntaxNode | null {
  let p = node.parent;
  while (p && p.type !== type) p = p.parent;
  return p;
}
