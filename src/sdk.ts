/**
 * What a codemod may use of memfix: the one module codemods/<id>/*.ts import from src/
 * (test/conventions.test.ts holds them to it). The engine behind it can change without a codemod
 * noticing; a codemod that needs more asks for it here.
 */
export type { Context, Loc, Mutant, Result, Role } from './codemod.ts';
export { drift, loc } from './codemod.ts';
export type { Edit } from './edits.ts';
export type { SourceFile, SyntaxNode } from './source.ts';
export { matchAll, textOf } from './source.ts';
export { declaredName, descendants, functionName, methodDefinitions, methods, ofType, parameters, type MethodDefinition } from './cst.ts';
export {
  dataMembers, endOfLine, ensureIncludes, headerClass, insertLinesAfter, insertLinesBefore, locals, memberCalls, renderAt,
  renderBlock, statements,
} from './cppedit.ts';
export { indentAt, lineStart } from './text.ts';
export { fill, loadTemplate, render } from './template.ts';
export type { HeaderClass } from './roles.ts';
export { findConstructorLambdas, findGlobalPointers, findHeaderClasses } from './roles.ts';
