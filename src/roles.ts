/**
 * Which file plays which role. A file is a target because its syntax tree matches, never
 * because of its name: the header holds a class deriving from disk_interface and
 * buffer_allocator_interface; the session file assigns a lambda to `disk_io_constructor`
 * that creates that class; the disk-interface file declares a namespace-scope pointer (raw or
 * smart) to that class, or (once fixed) a function taking such a pointer. Files are grouped by
 * the folder they belong to (a header's folder, an interface file's folder or its parent when it
 * sits in `interfaces/`).
 *
 * A group's SWIG files are recognised by its own header's class and file name (a group without
 * a header: by the usual class name, `memory_disk_io`).
 *
 * Before a file is parsed, a token test (`headerTokens`, `swigTokens`) says whether it can play a
 * role at all: each role's query needs names that must then appear in the text. A file that
 * passes it but cannot be parsed where its target would be is a Problem (the commands exit 2).
 */
import { readFileSync } from 'node:fs';
import { dataPath } from './paths.ts';
import { posix } from 'node:path';
import type { Role } from './codemod.ts';
import { compileQuery, declareQueries, matchAll, textOf, type Captures, type SourceFile, type SyntaxNode } from './source.ts';
import { ofType } from './cst.ts';
import { lineOf } from './text.ts';
import { firstConflictMarker } from './flaws.ts';

const ROLE_QUERIES = ['header', 'session', 'disk-interface'];
let views: Record<string, ReturnType<typeof compileQuery>> | undefined;
/**
 * Declare the role queries (src/roles/<name>.scm) for this run: they are compiled with the
 * codemods' queries declared before the first one runs (see declareQueries).
 */
export function declareRoleQueries(): void {
  views ??= declareQueries(Object.fromEntries(ROLE_QUERIES.map((n) => [n, readFileSync(dataPath('src', 'roles', `${n}.scm`), 'utf8')])), 'src/roles/');
}
const q = (name: string) => {
  declareRoleQueries();
  return views![name]!;
};

/**
 * Something that keeps memfix from doing its job on a file: exit 2. `kind`: a syntax error or a
 * git conflict marker in code the fixes read or write (the group gets no verdict); as a warning
 * (a report's warnings), the same outside that code.
 */
export interface Problem { file: string; line?: number; message: string; kind?: 'parse-error' | 'conflict-marker' }

/**
 * Names a file's text must contain to play a role: `all` of them, or `any` of them. Tested on
 * the raw bytes before a file is decoded or parsed.
 */
export interface TokenTest { all?: string[]; any?: string[] }

/** The header's class derives from both (header.scm and its filter below). */
export const headerTokens: TokenTest = { all: ['disk_interface', 'buffer_allocator_interface'] };

/**
 * A SWIG file plays a role by naming the header's class (session.scm's lambda creates it;
 * disk-interface.scm's pointer and the setter's parameter point to it) or by including the
 * header by its file name.
 */
export const swigTokens = (classNames: string[], headerNames: string[]): TokenTest => ({ any: [...classNames, ...headerNames] });

/** Does `data` (text or raw bytes) pass the test? */
export function passes(data: string | Buffer, test: TokenTest): boolean {
  return (test.all ?? []).every((t) => data.includes(t)) && (!test.any || test.any.some((t) => data.includes(t)));
}

/** The tokens of a test, for messages. */
export const tokenNames = (test: TokenTest) => [...(test.all ?? []), ...(test.any ?? [])];

export interface HeaderClass { file: SourceFile; name: string; classNode: SyntaxNode; body: SyntaxNode }

const headerCache = new WeakMap<SourceFile, HeaderClass[]>();

/** The header class a class or struct node is, if it is one (header.scm on that node, then both bases). */
function headerClassAt(src: SourceFile, node: SyntaxNode): HeaderClass | null {
  for (const m of q('header').matches(node, { maxStartDepth: 0 })) {
    const c: Captures = {};
    for (const cap of m.captures) c[cap.name] ??= cap.node;
    const bases = ofType(c.bases!, 'type_identifier', 'qualified_identifier').map((n) => n.text.replace(/^.*::/, ''));
    if (bases.includes('disk_interface') && bases.includes('buffer_allocator_interface'))
      return { file: src, name: textOf(src, c.name!).replace(/^.*::/, ''), classNode: c.class!, body: c.body! };
  }
  return null;
}

export function findHeaderClasses(src: SourceFile): HeaderClass[] {
  if (src.kind !== 'cpp') return [];
  const cached = headerCache.get(src);
  if (cached) return cached;
  // the query runs on the classes with a base clause naming both (a native walk finds them): on
  // a large header, running it over the whole tree costs more than the parse
  const found = ofType(src.root, 'base_class_clause')
    .filter((b) => b.parent && headerTokens.all!.every((t) => textOf(src, b).includes(t)))
    .flatMap((b) => headerClassAt(src, b.parent!) ?? []);
  headerCache.set(src, found);
  return found;
}

/** Where the header classes found in a file start (for `refindHeaderClasses`), if they were looked for. */
export function headerClassStarts(src: SourceFile): number[] | undefined {
  return headerCache.get(src)?.map((c) => c.classNode.startIndex);
}

/**
 * After edits, find a file's header classes again where they moved to, instead of walking the
 * whole new tree (a large header's walk costs a good part of its parse). `starts` are the
 * classes' start indices in the old text, `edits` its ranges that changed. False (and nothing
 * recorded) when a class cannot be followed: then findHeaderClasses searches as usual.
 */
export function refindHeaderClasses(next: SourceFile, starts: number[], edits: readonly { start: number; end: number; text: string }[]): boolean {
  const found: HeaderClass[] = [];
  for (const start of starts) {
    let at = start;
    for (const e of edits) {
      if (e.end <= start) at += e.text.length - (e.end - e.start); // before it, or inserted just before it
      else if (e.start < start) return false; // the class's start was rewritten
    }
    let node: SyntaxNode | null = next.root.descendantForIndex(at);
    while (node && node.startIndex === at && node.type !== 'class_specifier' && node.type !== 'struct_specifier') node = node.parent;
    const cls = node && node.startIndex === at ? headerClassAt(next, node) : null;
    if (!cls) return false;
    found.push(cls);
  }
  headerCache.set(next, found);
  return true;
}

/** The disk_io_constructor lambdas of a SWIG file that create one of `classNames`. */
export function findConstructorLambdas(src: SourceFile, classNames: string[]): SyntaxNode[] {
  if (src.kind !== 'swig') return [];
  return matchAll(q('session'), src.root)
    .map((c) => c.lambda!)
    .filter((l) => ofType(l, 'type_identifier').some((t) => classNames.includes(t.text)));
}

/** Namespace-scope declarations of a (smart) pointer to one of `classNames`. */
export function findGlobalPointers(src: SourceFile, classNames: string[]): SyntaxNode[] {
  if (src.kind !== 'swig') return [];
  return matchAll(q('disk-interface'), src.root)
    .filter((c) => {
      const scope = c.decl!.parent?.type;
      if (scope !== 'translation_unit' && scope !== 'declaration_list') return false;
      const types = ofType(c.type!, 'type_identifier').map((t) => t.text);
      const named = classNames.some((n) => types.includes(n));
      if (!named) return false;
      const pointer = ofType(c.declarator!, 'pointer_declarator').length > 0 || c.declarator!.type === 'pointer_declarator';
      const smart = /\b(shared_ptr|unique_ptr|weak_ptr)\s*</.test(textOf(src, c.type!));
      return pointer || smart;
    })
    .map((c) => c.decl!);
}

/** Namespace-scope functions taking a (smart) pointer to one of `classNames` (the setter of the global). */
export function findPointerSetters(src: SourceFile, classNames: string[]): SyntaxNode[] {
  if (src.kind !== 'swig') return [];
  return ofType(src.root, 'function_definition').filter((fn) => {
    const scope = fn.parent?.type;
    if (scope !== 'translation_unit' && scope !== 'declaration_list') return false;
    const params = fn.childForFieldName('declarator')?.childForFieldName('parameters');
    return !!params && params.namedChildren.some((p) => {
      const t = textOf(src, p);
      return classNames.some((n) => new RegExp(`\\b${n}\\s*\\*|_ptr\\s*<\\s*(\\w+::)*${n}\\s*>`).test(t));
    });
  });
}

/** A SWIG file that includes the header and defines namespace-scope functions that call through it (the wrappers, once the global moved out). */
function usesHeader(src: SourceFile, headerNames: Set<string>): boolean {
  const includes = ofType(src.root, 'preproc_include').some((i) => headerNames.has(posix.basename(textOf(src, i.childForFieldName('path') ?? i).replace(/["<>]/g, '').trim())));
  if (!includes) return false;
  return ofType(src.root, 'function_definition').some((fn) => (fn.parent?.type === 'declaration_list' || fn.parent?.type === 'translation_unit') && ofType(fn, 'field_expression', 'call_expression').length > 0);
}

export interface TargetGroup {
  /** folder the group belongs to ('' for the tree root) */
  root: string;
  className?: string;
  files: Partial<Record<Role, SourceFile>>;
  /**
   * The group's other files that passed a token test (a C++ file naming the header's tokens, a
   * SWIG file naming its class or file), parsed: a fix may follow a name into them
   * (Context.filesNaming). Role files are in `files`, not here.
   */
  members?: SourceFile[];
}

/** The group a file belongs to: its folder, or the parent of an `interfaces/` folder ('' for the tree root). */
export function groupRoot(path: string): string {
  const dir = posix.dirname(path);
  const base = posix.basename(dir);
  const d = base === 'interfaces' ? posix.dirname(dir) : dir;
  return d === '.' ? '' : d;
}

/** The first syntax error (ERROR or MISSING node) under node, or null. */
function firstError(node: SyntaxNode): SyntaxNode | null {
  if (!node.hasError) return null;
  const cursor = node.walk();
  for (;;) {
    const n = cursor.currentNode;
    if (n.type === 'ERROR' || n.isMissing) return n;
    // descend into the first child that holds the error
    if (!cursor.gotoFirstChild()) return n;
    while (!cursor.currentNode.hasError) if (!cursor.gotoNextSibling()) return n;
  }
}

/**
 * The ERROR node a target sits in, if any: the target matched only inside tree-sitter's error
 * recovery. (Errors inside a target are not enough: tree-sitter-cpp misreads some valid C++,
 * e.g. `delete[] *it;`, and the codemods judge the shapes they find.)
 */
function errorAround(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'ERROR') return p;
  return null;
}

/**
 * A problem at the first syntax error under node; one that runs to the end of the file is a file
 * cut short. A file holding a git conflict marker: the marker, which is what broke the parse.
 */
function syntaxProblem(src: SourceFile, node: SyntaxNode, what: string, it = 'it'): FileProblem {
  const conflict = firstConflictMarker(src.text);
  if (conflict) return { line: lineOf(src.text, conflict.at), kind: 'conflict-marker', message: `${what}, but a merge left a git conflict marker (${conflict.marker}) here: resolve the conflict first` };
  const err = firstError(node) ?? node;
  const end = src.text.trimEnd().length;
  if (err.endIndex >= end) return { line: lineOf(src.text, end), kind: 'parse-error', message: `${what}, but it ends inside unfinished code (a truncated file, or a brace or #if left open?)` };
  return { line: lineOf(src.text, err.startIndex), kind: 'parse-error', message: `${what}, but tree-sitter cannot parse ${it} here (${err.isMissing ? `missing ${err.type}` : 'syntax error'})${src.kind === 'swig' ? ' (SWIG directives are masked first)' : ''}` };
}

/** A problem of a file whose path is added later (an analysis is shared by files with the same text). */
export type FileProblem = Omit<Problem, 'file'>;

/** What a file that passes the header token test holds: the class, or a problem, or neither. */
export interface HeaderInfo { className?: string; problem?: FileProblem }

/**
 * A class or struct whose base clause names both interfaces, as text (a comment or a macro can
 * fool it, which is why it only decides whether a file that tree-sitter cannot parse is reported).
 * libtorrent's own headers name both (disk_buffer_holder.hpp, fwd.hpp) but derive from neither.
 */
const DERIVES_FROM_BOTH = /\b(?:class|struct)\b[^;{}]{0,1000}?:([^;{}]{0,2000})\{/g;
export function looksLikeHeader(text: string): boolean {
  for (const m of text.matchAll(DERIVES_FROM_BOTH)) if (/\bdisk_interface\b/.test(m[1]!) && /\bbuffer_allocator_interface\b/.test(m[1]!)) return true;
  return false;
}

/** A SWIG file's text that shows a role: the constructor lambda's variable, a pointer to the class, or the header's include. */
function looksLikeSwigRole(text: string, names: SwigNames): boolean {
  if (text.includes('disk_io_constructor')) return true;
  const words = names.classNames.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  if (new RegExp(`\\b(?:${words})\\s*\\*|_ptr\\s*<\\s*(?:\\w+::)*(?:${words})\\s*>`).test(text)) return true;
  return [...names.headerNames].some((h) => new RegExp(`#\\s*include\\s*["<][^">]*\\b${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[">]`).test(text));
}

export function analyseHeader(src: SourceFile): HeaderInfo {
  const cls = findHeaderClasses(src)[0];
  // a file that only names the interfaces (libtorrent's own headers) is no target, parsed or not
  if (!cls) return src.root.hasError && looksLikeHeader(src.text) ? { problem: syntaxProblem(src, src.root, `looks like the disk I/O header (a class deriving from ${tokenNames(headerTokens).join(' and ')})`) } : {};
  const around = errorAround(cls.classNode);
  if (around) return { problem: syntaxProblem(src, around, `class ${cls.name} looks like the disk I/O class`, 'the code around it') };
  return { className: cls.name };
}

/** How a group's SWIG files are recognised: by its header's class and file name, or (no header) by the usual class name. */
export interface SwigNames { classNames: string[]; headerNames: Set<string>; test: TokenTest }

export function swigNames(header?: { path: string; className: string }): SwigNames {
  const classNames = header ? [header.className] : ['memory_disk_io'];
  const headerNames = header ? [posix.basename(header.path)] : [];
  return { classNames, headerNames: new Set(headerNames), test: swigTokens(classNames, headerNames) };
}

/** The role a SWIG file that passes the token test plays, or a problem, or neither. */
export function analyseSwig(src: SourceFile, names: SwigNames): { role?: Role; problem?: FileProblem; nodes?: SyntaxNode[] } {
  const found = swigRole(src, names.classNames, names.headerNames);
  if (!found) {
    return src.root.hasError && looksLikeSwigRole(src.text, names) ? { problem: syntaxProblem(src, src.root, `looks like a SWIG file of the disk I/O (it names ${tokenNames(names.test).filter((t) => src.text.includes(t)).join(', ')})`) } : {};
  }
  const around = found.nodes.map(errorAround).find((n) => n);
  if (around) return { problem: syntaxProblem(src, around, `looks like the ${found.role} SWIG file`, 'the code around its target') };
  return { role: found.role, nodes: found.nodes };
}

/**
 * Opens a file of a group for the role test: its parsed source when its text passes the token
 * test, else null (a file that passes but cannot be read as text is reported by the opener and
 * gives null too).
 */
export type Opener = (path: string, test: TokenTest) => SourceFile | null;

export const isSwig = (path: string) => /\.(i|swg|swig)$/i.test(path);

/**
 * Only a header file can play the header: a class deriving from both interfaces in a source file
 * is a disk I/O of its own (libtorrent's mmap_disk_io.cpp, its examples and simulations), no target.
 */
export const isHeaderPath = (path: string) => /\.(h|hh|hpp|hxx|h\+\+|ipp)$/i.test(path);

/**
 * The targets among one group's files (`paths`, sorted; all of them have `root` as groupRoot).
 * The header comes first: the SWIG files are recognised by its class name and file name (or,
 * in a group without a header, by the usual class name). The first file found for a role keeps
 * it. A file that passes the token test of a role but whose syntax tree is broken where the
 * target would be is a problem, and no target. `anchors` gets, for each SWIG file that plays a
 * role, the spans that make it one (the lambda, the pointer, the setters). Every command
 * discovers its targets here (the engine, verify).
 */
export function discoverGroup(root: string, paths: string[], open: Opener, problems: Problem[], anchors?: Map<string, [number, number][]>): TargetGroup | null {
  const group: TargetGroup = { root, files: {} };
  const members: SourceFile[] = [];
  for (const path of paths) {
    if (isSwig(path)) continue;
    const src = open(path, headerTokens);
    if (!src) continue;
    if (!isHeaderPath(path)) { members.push(src); continue; }
    const info = analyseHeader(src);
    if (info.problem) problems.push({ file: path, ...info.problem });
    else if (info.className && !group.files.header) { group.files.header = src; group.className = info.className; }
    else members.push(src);
  }
  const names = swigNames(group.files.header && { path: group.files.header.path, className: group.className! });
  for (const path of paths) {
    if (!isSwig(path)) continue;
    const src = open(path, names.test);
    if (!src) continue;
    const info = analyseSwig(src, names);
    if (info.problem) problems.push({ file: path, ...info.problem });
    else if (info.role && !group.files[info.role]) { group.files[info.role] = src; anchors?.set(path, (info.nodes ?? []).map((n) => [n.startIndex, n.endIndex])); }
    else members.push(src);
  }
  group.members = members;
  return Object.keys(group.files).length ? group : null;
}

/** The role a SWIG file plays and the nodes that make it so. */
export function swigRole(src: SourceFile, classNames: string[], headerNames: Set<string>): { role: Role; nodes: SyntaxNode[] } | null {
  const lambdas = findConstructorLambdas(src, classNames);
  if (lambdas.length) return { role: 'session', nodes: lambdas };
  const nodes = [...findGlobalPointers(src, classNames), ...findPointerSetters(src, classNames)];
  if (nodes.length || usesHeader(src, headerNames)) return { role: 'disk-interface', nodes };
  return null;
}

/** Does a changed file still play its role (a fix may have changed what made it a target)? */
export function stillPlays(src: SourceFile, role: Role, group: TargetGroup): boolean {
  if (role === 'header') return findHeaderClasses(src).some((c) => c.name === group.className);
  const names = swigNames(group.files.header && { path: group.files.header.path, className: group.className! });
  return swigRole(src, names.classNames, names.headerNames)?.role === role;
}

/** Find the target groups of a set of parsed files (grouped by folder, in folder order). */
export function discoverTargets(sources: SourceFile[]): TargetGroup[] {
  const byRoot = new Map<string, SourceFile[]>();
  for (const s of sources) byRoot.set(groupRoot(s.path), [...(byRoot.get(groupRoot(s.path)) ?? []), s]);
  const groups: TargetGroup[] = [];
  for (const root of [...byRoot.keys()].sort(compareRoots)) {
    const files = new Map(byRoot.get(root)!.map((s) => [s.path, s]));
    const g = discoverGroup(root, [...files.keys()].sort(), (p, test) => (passes(files.get(p)!.text, test) ? files.get(p)! : null), []);
    if (g) groups.push(g);
  }
  return groups;
}

/** The order groups are planned and reported in. */
export const compareRoots = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
