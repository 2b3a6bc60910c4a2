/**
 * Which file plays which role. A file is a target because its syntax tree matches, never
 * because of its name: the header holds a class deriving from disk_interface and
 * buffer_allocator_interface; the session file assigns a lambda to `disk_io_constructor`
 * that creates that class; the disk-interface file declares a namespace-scope pointer (raw or
 * smart) to that class, or (once fixed) a function taking such a pointer. Files are grouped by the folder they belong to (a header's folder, an
 * interface file's folder or its parent when it sits in `interfaces/`).
 */
import { readFileSync } from 'node:fs';
import { dataPath } from './paths.ts';
import { posix } from 'node:path';
import type { Role } from './codemod.ts';
import { compileQuery, matchAll, textOf, type SourceFile, type SyntaxNode } from './source.ts';
import { ofType } from './cst.ts';

const q = (name: string) => compileQuery(readFileSync(dataPath('src', 'roles', `${name}.scm`), 'utf8'), `roles/${name}.scm`);

export interface HeaderClass { file: SourceFile; name: string; classNode: SyntaxNode; body: SyntaxNode }

const headerCache = new WeakMap<SourceFile, HeaderClass[]>();

export function findHeaderClasses(src: SourceFile): HeaderClass[] {
  if (src.kind !== 'cpp') return [];
  const cached = headerCache.get(src);
  if (cached) return cached;
  const found = matchAll(q('header'), src.root)
    .filter((c) => {
      const bases = ofType(c.bases!, 'type_identifier', 'qualified_identifier').map((n) => n.text.replace(/^.*::/, ''));
      return bases.includes('disk_interface') && bases.includes('buffer_allocator_interface');
    })
    .map((c) => ({ file: src, name: textOf(src, c.name!).replace(/^.*::/, ''), classNode: c.class!, body: c.body! }));
  headerCache.set(src, found);
  return found;
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
  /** every candidate file of the group's folder (and its interfaces/), role files included */
  members?: SourceFile[];
}

function groupRoot(path: string): string {
  const dir = posix.dirname(path);
  const base = posix.basename(dir);
  const d = base === 'interfaces' ? posix.dirname(dir) : dir;
  return d === '.' ? '' : d;
}

/** Find the target groups of a set of parsed files. */
export function discoverTargets(sources: SourceFile[]): TargetGroup[] {
  const groups = new Map<string, TargetGroup>();
  const group = (root: string) => {
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { root, files: {} }));
    return g;
  };
  const classNames: string[] = [];
  const headerNames = new Set<string>();
  for (const s of sources) {
    const cls = findHeaderClasses(s)[0];
    if (cls) {
      const g = group(groupRoot(s.path));
      if (!g.files.header) { g.files.header = s; g.className = cls.name; }
      classNames.push(cls.name);
      headerNames.add(posix.basename(s.path));
    }
  }
  if (classNames.length === 0) classNames.push('memory_disk_io'); // no header: recognise the SWIG files by the usual name
  for (const s of sources) {
    if (s.kind !== 'swig') continue;
    const role: Role | null = findConstructorLambdas(s, classNames).length
      ? 'session'
      : findGlobalPointers(s, classNames).length || findPointerSetters(s, classNames).length || usesHeader(s, headerNames)
        ? 'disk-interface'
        : null;
    if (!role) continue;
    const g = group(groupRoot(s.path));
    g.files[role] ??= s;
  }
  for (const s of sources) {
    const g = groups.get(groupRoot(s.path));
    if (g) (g.members ??= []).push(s);
  }
  return [...groups.values()].sort((a, b) => a.root.localeCompare(b.root));
}
