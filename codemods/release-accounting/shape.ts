/**
 * What release-accounting looks at, found by structure (shared by transform.ts and mutants.ts):
 * the storage class the disk I/O class holds, its LRU trim loop, the remove method that loop
 * calls, and the members they work on (the piece map, the LRU map, the count of held pieces).
 */
import { dataMembers, declaredName, findHeaderClasses, matchAll, methodDefinitions, ofType, textOf, type Context, type HeaderClass, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

export class Drift {
  constructor(public node: SyntaxNode, public expected: string) {}
}

export interface Method { node: SyntaxNode; name: string; body: SyntaxNode }

export function classMethods(body: SyntaxNode): Method[] {
  return methodDefinitions(body).map((m) => ({ node: m.method, name: m.name.text, body: m.body }));
}

function memberNames(src: SourceFile, body: SyntaxNode): Set<string> {
  const names = new Set<string>();
  for (const d of dataMembers(body)) for (const decl of d.childrenForFieldName('declarator')) {
    const n = declaredName(decl);
    if (n) names.add(textOf(src, n));
  }
  return names;
}

/** The classes and structs defined in the file (class_specifier / struct_specifier with a body). */
function classesOf(src: SourceFile): { name: string; node: SyntaxNode; body: SyntaxNode }[] {
  return ofType(src.root, 'struct_specifier', 'class_specifier').flatMap((c) => {
    const name = c.childForFieldName('name');
    const body = c.childForFieldName('body');
    return name && body ? [{ name: textOf(src, name).replace(/^.*::/, ''), node: c, body }] : [];
  });
}

/** `<map>.erase(...)` / `<map>.clear()` calls on identifiers under node (member-call.scm). */
export function mapCalls(ctx: Context, node: SyntaxNode, op: 'erase' | 'clear') {
  return matchAll(ctx.query('member-call'), node).filter((m) => m.fn!.text === op && m.object!.type === 'identifier').map((m) => ({ call: m.call!, map: m.object!.text }));
}

/**
 * `<holder>-><data>.clear()` under node (member-call.scm): every piece dropped at once, past
 * the storage's accounting. `data` is the member's name node, `clear` the method's.
 */
export function dropAllCalls(ctx: Context, node: SyntaxNode) {
  return matchAll(ctx.query('member-call'), node).flatMap((m) => {
    const data = m.object!.type === 'field_expression' ? m.object!.childForFieldName('field') : null;
    return m.fn!.text === 'clear' && data?.type === 'field_identifier' ? [{ call: m.call!, holder: m.object!, data, clear: m.fn!, args: m.args! }] : [];
  });
}

/** libtorrent's disk_interface method that releases a torrent's files (it must keep the data). */
export const RELEASE = 'async_release_files';

/**
 * The calls in a disk I/O method that drop every piece of a storage: `<holder>-><data>.clear()`,
 * or `<holder>-><method>()` for a storage method that clears the piece map (`clearing`).
 */
export function releaseDrops(ctx: Context, s: Storage, m: Method, clearing: string[]): SyntaxNode[] {
  return matchAll(ctx.query('member-call'), m.body).flatMap((c) => {
    if (c.fn!.text === 'clear' && c.object!.type === 'field_expression' && c.object!.childForFieldName('field')?.text === s.data && c.args!.namedChildCount === 0) return [c.call!];
    if (clearing.includes(c.fn!.text) && c.args!.namedChildCount === 0) return [c.call!];
    return [];
  });
}

/** Decrements of an identifier: --x, x--, x -= 1. */
function decremented(node: SyntaxNode): string[] {
  const out: string[] = [];
  for (const u of ofType(node, 'update_expression')) {
    const arg = u.childForFieldName('argument');
    if (arg?.type === 'identifier' && u.children.some((c) => c.type === '--')) out.push(arg.text);
  }
  for (const a of ofType(node, 'assignment_expression')) {
    const left = a.childForFieldName('left');
    if (left?.type === 'identifier' && a.childForFieldName('operator')?.text === '-=' && a.childForFieldName('right')?.text === '1') out.push(left.text);
  }
  return out;
}

/** `x = 0` assignments under node. */
export function zeroed(node: SyntaxNode): string[] {
  return ofType(node, 'assignment_expression').flatMap((a) => {
    const left = a.childForFieldName('left');
    return left?.type === 'identifier' && a.childForFieldName('operator')?.text === '=' && a.childForFieldName('right')?.text === '0' ? [left.text] : [];
  });
}

/** The parts of the storage the fix needs, found by structure. */
export interface Storage {
  name: string;
  body: SyntaxNode;
  methods: Method[];
  trim: Method;
  loop: SyntaxNode;
  /** the statement `<remove>(<victim>);` in the trim loop */
  removeStmt: SyntaxNode;
  remove: Method;
  victim: string;
  data: string;
  lru: string;
  counter: string;
}

/**
 * LRU eviction loops under node (trim-loop.scm), one per statement `<remove>(<victim>);` that
 * follows the loop's for statement in its body.
 */
function trimLoops(ctx: Context, node: SyntaxNode) {
  return matchAll(ctx.query('trim-loop'), node).flatMap((m) => {
    const after = m.body!.namedChildren.filter((c) => c.startIndex >= m.for!.endIndex);
    return after.flatMap((stmt) => {
      const call = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : undefined;
      const remove = call?.type === 'call_expression' ? call.childForFieldName('function') : null;
      const args = call?.childForFieldName('arguments');
      const victim = args?.type === 'argument_list' && args.namedChildCount === 1 ? args.namedChildren[0]! : null;
      return remove?.type === 'identifier' && victim?.type === 'identifier' ? [{ loop: m.loop!, condition: m.condition!, lru: m.lru!, remove, victim, call: stmt }] : [];
    });
  });
}

export function analyseStorage(ctx: Context, src: SourceFile, cls: { name: string; node: SyntaxNode; body: SyntaxNode }): Storage | Drift {
  const methods = classMethods(cls.body);
  const members = memberNames(src, cls.body);
  for (const trim of methods) {
    for (const m of trimLoops(ctx, trim.body)) {
      const lru = m.lru.text;
      const remove = methods.find((x) => x.name === m.remove.text);
      if (!members.has(lru) || !remove) continue;
      const counters = ofType(m.condition, 'identifier').map((i) => i.text).filter((n) => members.has(n));
      const counter = decremented(remove.body).find((c) => counters.includes(c));
      if (!counter) return new Drift(remove.node, `${remove.name}() decrementing the count that ${trim.name}()'s loop tests (${counters.join(', ') || 'a member'})`);
      const erased = mapCalls(ctx, remove.body, 'erase').map((e) => e.map).filter((n) => members.has(n));
      if (!erased.includes(lru)) return new Drift(remove.node, `${remove.name}() erasing the piece's entry from ${lru}`);
      const data = erased.find((n) => n !== lru);
      if (!data) return new Drift(remove.node, `${remove.name}() erasing the piece from the storage's piece map`);
      return { name: cls.name, body: cls.body, methods, trim, loop: m.loop, removeStmt: m.call, remove, victim: m.victim.text, data, lru, counter };
    }
  }
  return new Drift(cls.node, `an LRU trim loop in ${cls.name}: while (<count> ...) { for (... : <lru map>) {...} <remove>(<victim>); }`);
}

/** A storage method that drops every piece with its accounting: clears the data and the LRU, zeroes the count. */
export const dropsWithAccounting = (ctx: Context, s: Storage, m: Method) => {
  const cleared = mapCalls(ctx, m.body, 'clear').map((c) => c.map);
  return cleared.includes(s.data) && cleared.includes(s.lru) && zeroed(m.body).includes(s.counter);
};

/** The trim loop cannot spin: it erases a stale LRU entry itself, or remove erases the entry before it can return. */
export function trimIsSafe(ctx: Context, s: Storage): boolean {
  const inLoop = mapCalls(ctx, s.loop, 'erase').some((e) => e.map === s.lru);
  if (inLoop) return true;
  const stmts = s.remove.body.namedChildren.filter((c) => c.type !== 'comment');
  for (const st of stmts) {
    if (st.type === 'expression_statement' && mapCalls(ctx, st, 'erase').some((e) => e.map === s.lru)) return true;
    if (st.type === 'return_statement' || ofType(st, 'return_statement').length || st.type === 'if_statement') return false;
  }
  return false;
}

/** The disk I/O class and its storage, or a Drift saying what was not found. */
export function findStorage(ctx: Context, src: SourceFile): { io: HeaderClass; storage: Storage } | Drift | null {
  const io = findHeaderClasses(src).find((c) => c.name === ctx.className) ?? findHeaderClasses(src)[0];
  if (!io) return null;
  // the storage: a class of the header named in the disk I/O class's data members, with a trim loop
  const held = new Set(dataMembers(io.body).flatMap((d) => ofType(d.childForFieldName('type') ?? d, 'type_identifier').map((t) => t.text)));
  const candidates = classesOf(src).filter((c) => c.node.id !== io.classNode.id && held.has(c.name));
  if (candidates.length === 0) return new Drift(io.classNode, `${io.name} holding its torrents' storage, a class defined in this header`);
  let storage: Storage | Drift = new Drift(candidates[0]!.node, 'a storage class with an LRU trim loop');
  for (const c of candidates) { storage = analyseStorage(ctx, src, c); if (!(storage instanceof Drift)) break; }
  return storage instanceof Drift ? storage : { io, storage };
}
