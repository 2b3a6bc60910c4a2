/**
 * guarded-global: one mutex guards the pointer the SWIG wrappers use to reach the live disk I/O
 * object; the object registers itself when constructed and unregisters (only itself) when
 * destroyed, so every way of making it (memory_disk_constructor through session_params.i's
 * setter, session.i's disk_io_constructor lambda, direct construction) reaches the wrappers;
 * ownership stays a std::unique_ptr<disk_interface>. C++14: no inline variables.
 *
 * Unsafe shapes (disk_interface.i / session.i):
 *   - early: `C* g = nullptr;` with no mutex, unguarded wrappers, the lambda assigns
 *     `ns::g = dio.get()` on a make_unique;
 *   - analysed: a `std::mutex` next to `C* g`, a setter, guarded wrappers, the lambda calls
 *     `setter(dio.get())`, `clear_...()` clears whatever g holds; nothing clears g when the
 *     object dies, and nothing sets it when memory_disk_constructor makes the object;
 *   - HEAD: `std::shared_ptr<C> g`, a setter taking a shared_ptr, the lambda make_shared's and
 *     returns the shared_ptr (which libtorrent does not accept).
 * Safe shape: the header defines, before the class, a class template (the registry) with a
 * static std::mutex and a static C*, both defined in the header; every constructor of C stores
 * `this` under the mutex, the destructor clears it under the mutex only when it points to this;
 * the .i's g and its mutex are references to those members (or the .i names the members
 * directly), every function of the .i that uses the pointer holds the mutex, a function that
 * only clears the pointer does nothing; the lambda makes a unique_ptr and publishes (if it still
 * does) its raw pointer under the mutex.
 *
 * This file decides the names the fix works with and gathers the edits of its parts: shape.ts
 * reads the shapes, header.ts, interface.ts and session.ts edit the three files, layout.ts says
 * where new lines go. A shape the fix does not know is a drift, returned as a value.
 */
import { posix } from 'node:path';
import { findGlobalPointers, functionName, headerClass, loc, matchAll, ofType, textOf, type Context, type Edit, type HeaderClass, type Loc, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { headerEdits } from './header.ts';
import { interfaceEdits } from './interface.ts';
import { sessionEdits } from './session.ts';
import { classify, driftAt, findRegistry, isDrift, lastName, mutexNextTo, namespaceDeclarations, namespacePath, registryRefs, type Names } from './shape.ts';

export function transform(ctx: Context): Result {
  const header = ctx.files.header!;
  const diskInterface = ctx.files['disk-interface']!;
  const session = ctx.files.session!;
  const cls = headerClass(header, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const className = cls.name;
  const classNamespace = namespacePath(header, cls.classNode);
  const edits: Edit[] = [];
  const notes: string[] = [];
  const at: Loc[] = [loc(header, cls.classNode.startIndex)];

  // a pointer defined at namespace scope in the header: C++17 inline variables (or an ODR violation)
  const headerPointer = namespaceDeclarations(ctx, header, className).find((d) => d.kind === 'raw' || d.kind === 'shared');
  if (headerPointer) return driftAt(header, headerPointer.node.startIndex, `C++14: ${headerPointer.name} as a static member of a class template defined in ${header.path} (a variable defined in a header needs C++17's inline)`);
  const registry = findRegistry(header, className);
  if (isDrift(registry)) return registry;
  if (registry && registry.node.startIndex > cls.classNode.startIndex) return driftAt(header, registry.node.startIndex, `${registry.name} declared before ${className}`);

  // ---- the .i's names ----
  const interfaceDeclarations = namespaceDeclarations(ctx, diskInterface, className);
  const interfacePointers = findGlobalPointers(diskInterface, [className]);
  if (interfacePointers.length > 1) return driftAt(diskInterface, interfacePointers[1]!.startIndex, `one namespace-scope pointer to ${className}`);
  const firstPointer = interfacePointers[0];
  const pointerDecl = firstPointer ? interfaceDeclarations.find((d) => d.node.id === firstPointer.id) ?? classify(diskInterface, firstPointer, className) : undefined;
  if (pointerDecl) {
    at.push(loc(diskInterface, pointerDecl.node.startIndex));
    const form = `\`${className}* <name> = nullptr;\` or \`std::shared_ptr<${className}> <name>;\` (one declarator, no storage class), or a ${className}*& naming the registry's pointer`;
    const declaredAt = pointerDecl.node.startIndex;
    if (!['raw', 'shared', 'raw-alias'].includes(pointerDecl.kind)) return driftAt(diskInterface, declaredAt, form);
    if (pointerDecl.declaratorCount !== 1 || pointerDecl.storage.length) return driftAt(diskInterface, declaredAt, form);
    if (pointerDecl.kind !== 'raw-alias' && pointerDecl.init && !['null', 'number_literal', 'initializer_list'].includes(pointerDecl.init.type) && textOf(diskInterface, pointerDecl.init) !== 'NULL')
      return driftAt(diskInterface, declaredAt, form);
    if (pointerDecl.kind === 'raw-alias' && !(registry && registryRefs(diskInterface, pointerDecl.init!, registry.name, registry.live).length))
      return driftAt(diskInterface, declaredAt, `${pointerDecl.name} naming ${registry ? `${registry.name}<>::${registry.live}` : `the registry of ${className} in ${header.path}`}`);
    if (namespacePath(diskInterface, pointerDecl.node).join('::') !== classNamespace.join('::'))
      return driftAt(diskInterface, declaredAt, `${pointerDecl.name} declared in the namespace of ${className} (${classNamespace.join('::') || 'the global namespace'})`);
  } else if (!registry) {
    return driftAt(diskInterface, 0, `a namespace-scope pointer to ${className} (in ${diskInterface.path}) or, fixed, a registry of ${className} in ${header.path}`);
  }
  const mutexDecl = pointerDecl ? mutexNextTo(pointerDecl, interfaceDeclarations) : undefined;
  if (mutexDecl?.kind === 'mutex-alias' && !(registry && registryRefs(diskInterface, mutexDecl.init!, registry.name, registry.mutex).length))
    return driftAt(diskInterface, mutexDecl.node.startIndex, `${mutexDecl.name} naming the registry's mutex`);
  const pointer = pointerDecl?.name ?? registry!.live;
  const registryName = registry?.name ?? `${className}_registry`;
  // the .i's mutex: its own name, a name for the one this fix adds next to the pointer, or the registry's member
  const mutex = mutexDecl?.name ?? (pointerDecl && pointerDecl.kind !== 'raw-alias' ? `${pointer}_mutex` : `${registryName}<>::${registry!.mutex}`);
  const names: Names = { className, pointer, mutex, registry: registryName, registryMutex: registry?.mutex ?? 'mutex', registryPointer: registry?.live ?? 'live' };
  const fileUsing = (name: string) => [header, diskInterface, session].find((f) => f.text.includes(name) && ofType(f.root, 'identifier', 'type_identifier', 'field_identifier', 'namespace_identifier').some((x) => x.text === name));
  const firstUse = (file: SourceFile, name: string) => ofType(file.root, 'identifier', 'type_identifier', 'field_identifier').find((x) => x.text === name);
  if (!registry) {
    const taken = fileUsing(registryName);
    if (taken) return driftAt(taken, firstUse(taken, registryName)?.startIndex ?? 0, `no existing name ${registryName} (the registry this fix adds)`);
  }
  if (pointerDecl && pointerDecl.kind !== 'raw-alias' && !mutexDecl) {
    const taken = fileUsing(mutex);
    if (taken) return driftAt(taken, firstUse(taken, mutex)!.startIndex, `no existing name ${mutex} (the mutex this fix adds)`);
  }

  const headerDrift = headerEdits(ctx, header, cls, names, !registry, edits, notes);
  if (headerDrift) return headerDrift;
  const inInterface = interfaceEdits(ctx, diskInterface, names, { pointer: pointerDecl, mutex: mutexDecl, header: posix.basename(header.path) }, edits, notes);
  if (isDrift(inInterface)) return inInterface;
  const inSession = sessionEdits(ctx, session, names, inInterface.setter, edits, notes);
  if (isDrift(inSession)) return inSession;
  if (inSession.lambdaAt !== undefined) at.push(loc(session, inSession.lambdaAt));
  if (edits.length === 0) return { status: 'applied', at };
  notes.push(constructionSites(ctx, [header, session, diskInterface], cls));
  return { status: 'apply', edits, at, notes };
}

/** Where the class is made (new C, make_unique<C>, make_shared<C>) outside its own class: each reaches the wrappers now. */
function constructionSites(ctx: Context, files: SourceFile[], cls: HeaderClass): string {
  const className = cls.name;
  const sites: string[] = [];
  for (const file of files) {
    if (!file.text.includes(className)) continue; // no construction of the class where its name is not written
    const made = [
      ...ofType(file.root, 'new_expression').filter((x) => lastName(textOf(file, x.childForFieldName('type') ?? x)) === className),
      ...matchAll(ctx.query('factory'), file.root).filter((m) => lastName(textOf(file, m.targs!).slice(1, -1)) === className).map((m) => m.call!),
    ].filter((x) => !(file === cls.file && x.startIndex >= cls.classNode.startIndex && x.endIndex <= cls.classNode.endIndex));
    for (const creation of made.sort((a, b) => a.startIndex - b.startIndex)) {
      let where = 'at file scope';
      for (let parent = creation.parent; parent; parent = parent.parent) {
        if (parent.type === 'lambda_expression') {
          const enclosing = enclosingFunction(parent);
          where = `in a lambda of ${enclosing ? functionName(enclosing) : 'file scope'}`;
          break;
        }
        if (parent.type === 'function_definition') { where = `in ${functionName(parent)}`; break; }
      }
      sites.push(`${file.path}:${loc(file, creation.startIndex).line} (${where})`);
    }
  }
  return `${className} registers itself in its constructor, so every construction reaches the wrappers${sites.length ? `: ${sites.join(', ')}` : ''}`;
}

function enclosingFunction(node: SyntaxNode): SyntaxNode | null {
  for (let parent = node.parent; parent; parent = parent.parent) if (parent.type === 'function_definition') return parent;
  return null;
}
