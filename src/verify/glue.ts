/**
 * The C++ that SWIG would compile, taken out of the interface files with the same SWIG-aware
 * parsing the codemods use, and glued into one translation unit for the harness.
 *
 * SWIG reads the module file (the one with `%module`, libtorrent.i) and its `%include`s in order.
 * When two `%extend libtorrent::session_params` blocks define the same method, SWIG keeps the first
 * and drops the other: in upstream, interfaces/session_params.i (included first) and
 * interfaces/session.i both define set_memory_disk_io. The glue does the same: the kept
 * definition becomes the free function `set_memory_disk_io(session_params* self, ...)`. Every
 * other definition (dropped by SWIG, so never in a real build) is compiled too, under a name of its
 * own, so the harness can run each way the tree builds the disk I/O, and so can direct
 * construction of the class. The harness reaches them through three functions:
 *
 *   int memfix_disk_io_path_count();
 *   char const* memfix_disk_io_path_name(int i);
 *   void memfix_install_disk_io_path(int i, libtorrent::session_params* params, std::int64_t memory_size);
 *
 * Path 0 is always the definition SWIG keeps. `#line` directives (paths relative to the tree)
 * point compiler errors back into the .i files.
 */
import { posix } from 'node:path';
import { MemfixError } from '../errors.ts';
import { functionDeclarator, functionName, ofType } from '../cst.ts';
import type { TargetGroup } from '../roles.ts';
import { lineOfNode, textOf, type SourceFile, type SyntaxNode } from '../source.ts';
import { lineOf } from '../text.ts';

/** One definition of the %extend session_params method that installs disk_io_constructor. */
export interface SetterDef {
  file: SourceFile;
  fn: SyntaxNode;
  /** the extended class as written (e.g. `libtorrent::session_params`) */
  ext: string;
  name: string;
  line: number;
  /** the one SWIG keeps */
  kept: boolean;
  /** why it is dropped, for a dropped one */
  dropped?: string;
}

export interface Glue {
  /** folder of the header, relative to the tree root (for -I) */
  headerDir: string;
  source: string;
  /** name of the free function made of the kept setter */
  setter: string;
  setters: SetterDef[];
  /** one line: which definition the glue uses as the setter, and why */
  resolution: string;
  /** what the harness can install, in path order */
  paths: string[];
  /** the lines (in their .i files) of each dropped setter built into the glue: an error there is in code SWIG never compiles */
  droppedLines: { file: string; from: number; to: number }[];
}

const lineDirective = (src: SourceFile, index: number) => `#line ${lineOf(src.text, index)} "${src.path}"`;

/** The folder a file's group belongs to (as roles.ts groups them): its folder, or the parent of `interfaces/`. */
function groupRootOf(path: string): string {
  const dir = posix.dirname(path);
  const d = posix.basename(dir) === 'interfaces' ? posix.dirname(dir) : dir;
  return d === '.' ? '' : d;
}

/** `%include "file"` directives of a SWIG file (not `<system>` ones), with their offsets. */
function quotedIncludes(src: SourceFile): { path: string; at: number }[] {
  const out: { path: string; at: number }[] = [];
  for (const m of src.text.matchAll(/^[ \t]*%include[ \t]+"([^"\r\n]+)"/gm)) out.push({ path: m[1]!, at: m.index! });
  return out;
}

const isModule = (src: SourceFile) => /^[ \t]*%module\b/m.test(src.text);

/**
 * The group's SWIG files in the order SWIG reads them: from the module file through its
 * %includes (depth first, at the place of each %include), as positions in one stream.
 * Returns, per file, its rank (order of first appearance) and whether SWIG reaches it.
 */
export function swigOrder(group: TargetGroup, all: SourceFile[]): { files: SourceFile[]; module?: SourceFile; reached: Set<string>; fallback: string } {
  const swig = all.filter((s) => s.kind === 'swig' && groupRootOf(s.path) === group.root);
  const byPath = new Map(swig.map((s) => [s.path, s]));
  const module = swig.filter(isModule).sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path))[0];
  const order: SourceFile[] = [];
  const reached = new Set<string>();
  if (module) {
    const visit = (src: SourceFile) => {
      if (reached.has(src.path)) return;
      reached.add(src.path);
      order.push(src);
      for (const inc of quotedIncludes(src)) {
        // SWIG looks next to the including file, then in the module's folder (its -I .)
        const candidates = [posix.normalize(posix.join(posix.dirname(src.path), inc.path)), posix.normalize(posix.join(posix.dirname(module.path), inc.path))];
        const target = candidates.map((c) => byPath.get(c)).find(Boolean);
        if (target) visit(target);
      }
    };
    visit(module);
    for (const s of swig) if (!reached.has(s.path)) order.push(s);
    return { files: order, module, reached, fallback: '' };
  }
  // no module file: the order upstream's libtorrent.i uses, by role: the disk-interface file,
  // the other files (session_params.i among them) by path, the session file last
  const di = group.files['disk-interface'];
  const ses = group.files.session;
  const rest = swig.filter((s) => s.path !== di?.path && s.path !== ses?.path).sort((a, b) => a.path.localeCompare(b.path));
  const files = [...(di ? [di] : []), ...rest, ...(ses ? [ses] : [])];
  return { files, reached: new Set(files.map((f) => f.path)), fallback: 'no %module file: disk-interface file first, session file last, as upstream\'s libtorrent.i orders them' };
}

/** Methods of `%extend ...session_params` blocks that assign `disk_io_constructor`. */
function setterDefs(src: SourceFile): { fn: SyntaxNode; ext: string; name: string }[] {
  const exts = (src.swig?.extends ?? []).filter((e) => /(^|::)\s*session_params\s*$/.test(e.name));
  return exts.flatMap((e) =>
    ofType(src.root, 'function_definition')
      .filter((fn) => e.start <= fn.startIndex && fn.endIndex <= e.end && fn.parent?.type === 'declaration_list')
      .filter((fn) => ofType(fn.childForFieldName('body') ?? fn, 'assignment_expression').some((a) => {
        const left = a.childForFieldName('left');
        return left?.type === 'field_expression' && left.childForFieldName('field')?.text === 'disk_io_constructor';
      }))
      .map((fn) => ({ fn, ext: e.name, name: functionName(fn) ?? '' })),
  );
}

/** The namespace a class is declared in (`libtorrent`), from its enclosing namespace definitions. */
function namespaceOf(node: SyntaxNode, src: SourceFile): string {
  const out: string[] = [];
  for (let p = node.parent; p; p = p.parent) {
    if (p.type !== 'namespace_definition') continue;
    const n = p.childForFieldName('name');
    if (n) out.unshift(textOf(src, n).replace(/\s+/g, ''));
  }
  return out.join('::');
}

export function extractGlue(group: TargetGroup, all: SourceFile[], opts: { dropped?: boolean } = {}): Glue {
  const { header } = group.files;
  const di = group.files['disk-interface'];
  const missing = [!header && 'memory_disk_io header', !di && 'disk_interface SWIG file'].filter(Boolean);
  if (missing.length) throw new MemfixError(`cannot build: no ${missing.join(', ')} found${group.root ? ` under ${group.root}` : ''}`);
  const { files, module, reached, fallback } = swigOrder(group, all);
  const rel = (p: string) => (group.root && p.startsWith(group.root + '/') ? p.slice(group.root.length + 1) : p);

  // the setter definitions, in SWIG's order; the first of each name is kept
  const defs: SetterDef[] = [];
  const seen = new Map<string, SetterDef>();
  for (const f of files) {
    for (const d of setterDefs(f)) {
      const first = seen.get(d.name);
      const def: SetterDef = { file: f, fn: d.fn, ext: d.ext, name: d.name, line: lineOfNode(f, d.fn), kept: !first && reached.has(f.path) };
      // a file SWIG never reads is dropped for that reason, whatever came before it
      if (!reached.has(f.path)) def.dropped = `${rel(module!.path)} does not %include it`;
      else if (first) def.dropped = `a second definition: SWIG keeps the first`;
      else seen.set(d.name, def);
      defs.push(def);
    }
  }
  const kept = defs.find((d) => d.kept);
  if (!kept) {
    const where = group.files.session ?? di!;
    throw new MemfixError('cannot build: no %extend session_params method that sets disk_io_constructor' + (defs.length ? ` in a file ${module?.path ?? 'the module'} includes` : ''), where.path);
  }
  const cls = group.className ?? 'memory_disk_io';
  const ns = namespaceOf(ofType(header!.root, 'class_specifier', 'struct_specifier').find((c) => c.childForFieldName('name')?.text === cls) ?? header!.root, header!);
  const qualified = ns ? `${ns}::${cls}` : cls;

  // the %{ %} code of the files SWIG compiles that matter here: the disk-interface file and every
  // file with a setter definition, in SWIG's order
  const wanted = new Set([di!.path, ...defs.map((d) => d.file.path)]);
  const lines: string[] = [`// generated by memfix verify from the SWIG files of ${group.root || 'the tree'}`, `#include "${posix.basename(header!.path)}"`];
  const push = (...l: string[]) => { for (const x of l) lines.push(...x.split('\n')); };
  for (const f of files) {
    if (!wanted.has(f.path)) continue;
    for (const b of f.swig!.blocks) push(lineDirective(f, b.start), f.text.slice(b.start, b.end).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
  }

  const droppedLines: Glue['droppedLines'] = [];
  const emit = (d: SetterDef, name: string, storage: string) => {
    const decl = functionDeclarator(d.fn)!;
    const params = textOf(d.file, decl.childForFieldName('parameters')!).replace(/^\(\s*/, '').replace(/\s*\)$/, '');
    const ret = textOf(d.file, d.fn.childForFieldName('type')!);
    const body = textOf(d.file, d.fn.childForFieldName('body')!).replace(/\$self\b/g, 'self').replace(/\r\n?/g, '\n');
    push(`// %extend ${d.ext} { ${d.name}(...) } of ${d.file.path}:${d.line} as a free function`);
    const bodyNode = d.fn.childForFieldName('body')!;
    push(lineDirective(d.file, d.fn.startIndex), `${storage}${ret} ${name}(${d.ext}* self${params.trim() ? ', ' + params : ''})`, lineDirective(d.file, bodyNode.startIndex), body);
    if (!d.kept) droppedLines.push({ file: d.file.path, from: d.line, to: lineOfNode(d.file, d.fn.endIndex) });
  };
  emit(kept, kept.name, '');
  const paths: { name: string; fn: string }[] = [{ name: `${kept.name} of ${rel(kept.file.path)}:${kept.line} (kept by SWIG)`, fn: kept.name }];
  if (opts.dropped !== false) {
    defs.filter((d) => !d.kept && d.name === kept.name).forEach((d, i) => {
      const fn = `memfix_dropped_${d.name}_${i + 1}`;
      emit(d, fn, 'static ');
      paths.push({ name: `${d.name} of ${rel(d.file.path)}:${d.line} (dropped by SWIG)`, fn });
    });
  }
  push(
    '#line 1 "memfix-glue"',
    `// direct construction of ${qualified}, the memory size set as the kept setter sets it`,
    `static void memfix_direct_construction(${kept.ext}* self, std::int64_t memory_size)`,
    '{',
    `    ${kept.name}(self, memory_size);`,
    '    self->disk_io_constructor = [](libtorrent::io_context& ioc, libtorrent::settings_interface const&, libtorrent::counters&)',
    '        -> std::unique_ptr<libtorrent::disk_interface>',
    `        { return std::unique_ptr<libtorrent::disk_interface>(new ${qualified}(ioc)); };`,
    '}',
  );
  paths.push({ name: `new ${qualified}(ioc)`, fn: 'memfix_direct_construction' });
  const str = (s: string) => JSON.stringify(s);
  push(
    '// the ways to build the disk I/O, for the harness (path 0: the setter SWIG keeps)',
    'int memfix_disk_io_path_count() { return ' + paths.length + '; }',
    'char const* memfix_disk_io_path_name(int i)',
    '{',
    `    static char const* const names[] = { ${paths.map((p) => str(p.name)).join(', ')} };`,
    '    return i >= 0 && i < memfix_disk_io_path_count() ? names[i] : "";',
    '}',
    `void memfix_install_disk_io_path(int i, ${kept.ext}* params, std::int64_t memory_size)`,
    '{',
    '    switch (i)',
    '    {',
    ...paths.map((p, i) => `    case ${i}: ${p.fn}(params, memory_size); break;`),
    '    default: break;',
    '    }',
    '}',
    '',
  );

  const others = defs.filter((d) => !d.kept);
  const how = module
    ? `first in ${rel(module.path)}'s %include order`
    : others.length ? fallback : 'the only definition';
  const resolution = `${kept.name} of ${rel(kept.file.path)}:${kept.line}, the one SWIG keeps (${how})` +
    others.map((d) => `; ${rel(d.file.path)}:${d.line} is dropped (${d.dropped})${opts.dropped === false ? '' : ', built for the harness only'}`).join('');
  return { headerDir: posix.dirname(header!.path), source: lines.join('\n'), setter: kept.name, setters: defs, resolution, paths: paths.map((p) => p.name), droppedLines };
}
