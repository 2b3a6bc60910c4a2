/**
 * guarded-global, undone in one place (on the fixed tree): the object no longer registers itself;
 * it no longer unregisters; it unregisters whatever is registered (a newer instance too); it
 * unregisters without the lock; a lookbehind wrapper uses the pointer without the lock; the
 * clear function exported to Go clears the pointer again.
 */
import { declaredName, findGlobalPointers, functionName, headerClass, methods, ofType, parameters, statements, textOf, type Context, type Mutant, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';
import { lastName, scopedLocks } from './shape.ts';

const gone = (what: string) => `/* memfix mutant: ${what} */`;

export function mutants(ctx: Context): Mutant[] {
  const hdr = ctx.files.header!;
  const di = ctx.files['disk-interface']!;
  const cls = headerClass(hdr, ctx.className);
  if (!cls) return [];
  const className = cls.name;
  const out: Mutant[] = [];
  const isLock = (declaration: SyntaxNode) => declaration.type === 'declaration' && scopedLocks(ctx, declaration).some((c) => c.decl!.id === declaration.id);
  const edit = (src: SourceFile, node: SyntaxNode, text: string) => ({ file: src.path, start: node.startIndex, end: node.endIndex, text });

  // the constructor's registration: `<pointer> = this;`
  for (const ctor of methods(cls.body).filter((m) => functionName(m) === className)) {
    const reg = ofType(ctor.childForFieldName('body') ?? ctor, 'assignment_expression').find((a) => a.childForFieldName('right')?.type === 'this');
    const stmt = reg?.parent;
    if (!stmt || stmt.type !== 'expression_statement') continue;
    out.push({ id: 'no-registration', description: `${className}'s constructor does not register it: the wrappers reach only what a setter publishes`, edits: [edit(hdr, stmt, gone('not registered'))] });
    break;
  }

  // the destructor's unregistration: a lock, then `if (<pointer> == this) <pointer> = nullptr;`
  const dtor = cls.body.namedChildren.find((n) => n.type === 'function_definition' && declaredName(n.childForFieldName('declarator'))?.type === 'destructor_name');
  const dbody = dtor?.childForFieldName('body');
  if (dbody) {
    const unreg = ofType(dbody, 'if_statement').find((s) => ofType(s.childForFieldName('condition') ?? s, 'this').length > 0);
    const assign = unreg && ofType(unreg.childForFieldName('consequence') ?? unreg, 'expression_statement')[0];
    if (unreg && assign) {
      out.push({ id: 'no-unregistration', description: `${className}'s destructor leaves the pointer to the dead object registered`, edits: [edit(hdr, unreg, gone('not unregistered'))] });
      out.push({ id: 'unregisters-any-instance', description: `${className}'s destructor clears the pointer even when a newer instance registered since`, edits: [edit(hdr, unreg, textOf(hdr, assign))] });
      const lock = ofType(dbody, 'declaration').find((d) => isLock(d) && d.endIndex <= unreg.startIndex);
      if (lock) out.push({ id: 'unregisters-unlocked', description: `${className}'s destructor clears the pointer without the mutex`, edits: [edit(hdr, lock, gone('no lock'))] });
    }
  }

  // the .i: the first lookbehind wrapper that calls through the pointer loses its lock; the clear
  // function clears again
  const pointer = findGlobalPointers(di, [className]).map((d) => declaredName(d.childrenForFieldName('declarator')[0] ?? null)?.text).find(Boolean);
  const fns = ofType(di.root, 'function_definition').filter((f) => f.parent?.type === 'declaration_list' || f.parent?.type === 'translation_unit');
  if (pointer) {
    const wrapper = fns.find((f) => {
      const body = f.childForFieldName('body');
      return body && parameters(f, (n) => textOf(di, n)).every((p) => !p.type.includes(className))
        && ofType(body, 'field_expression').some((e) => e.child(1)?.text === '->' && lastName(textOf(di, e.childForFieldName('argument')!)) === pointer);
    });
    const lock = wrapper && statements(wrapper.childForFieldName('body')!).find((s) => isLock(s));
    if (wrapper && lock) out.push({ id: 'wrapper-unlocked', description: `${functionName(wrapper)}() uses the pointer without the mutex`, edits: [edit(di, lock, gone('no lock'))] });
    const clear = fns.find((f) => {
      const body = f.childForFieldName('body');
      return body && !parameters(f, (n) => textOf(di, n)).length && textOf(di, f.childForFieldName('type') ?? f) === 'void' && statements(body).length === 0;
    });
    const mutex = wrapper && lock ? /\(([^()]*)\)|\{([^{}]*)\}/.exec(textOf(di, lock.childForFieldName('declarator') ?? lock)) : null;
    if (clear && mutex) {
      out.push({
        id: 'clear-clears',
        description: `${functionName(clear)}() clears the pointer, live instance or not`,
        edits: [edit(di, clear.childForFieldName('body')!, `{ std::lock_guard<std::mutex> memfix_lock(${(mutex[1] ?? mutex[2])!.trim()}); ${pointer} = nullptr; }`)],
      });
    }
  }
  return out;
}
