/**
 * release-accounting: dropping piece data keeps the storage's accounting right, and the LRU trim
 * cannot spin on a piece that is gone.
 *
 * The storage (a class of the header that the disk I/O class holds) counts the pieces it holds
 * and keeps their last use in an LRU map; a trim loop evicts while the count is at the limit,
 * picking the oldest LRU entry and calling the storage's remove method, which erases the piece,
 * its LRU entry and decrements the count.
 *
 * Unsafe shape: a disk I/O method (async_release_files, async_delete_files, any other) drops
 * every piece with `<storage>-><data>.clear()`, leaving the count and the LRU as they were; the
 * next new piece trims, the remove method finds nothing to remove, and the loop spins with the
 * mutex held. Safe shape (ours or hand-written): no `<data>.clear()` outside the storage; the
 * storage's methods that clear the data also clear the LRU and reset the count; and the trim
 * loop drops a stale LRU entry itself (`<lru>.erase(...)` in the loop), or the remove method
 * erases the LRU entry before it can return without removing anything.
 */
import { drift, loc, type Context, type Loc, type Result } from '../../src/codemod.ts';
import { dataMembers, insertLinesAfter, insertLinesBefore, renderAt } from '../../src/cppedit.ts';
import { declaredName, ofType } from '../../src/cst.ts';
import type { Edit } from '../../src/edits.ts';
import { findHeaderClasses } from '../../src/roles.ts';
import { matchAll, textOf, type SourceFile, type SyntaxNode } from '../../src/source.ts';

const ID = 'release-accounting';
/** the storage method the fix adds (when no safe one exists) */
const DROP_ALL = 'drop_all_pieces';
const T = (name: string) => `${ID}/${name}`;

class Drift {
  constructor(public node: SyntaxNode, public expected: string) {}
}

interface Method { node: SyntaxNode; name: string; body: SyntaxNode }

function classMethods(ctx: Context, body: SyntaxNode): Method[] {
  return matchAll(ctx.query('method'), body)
    .filter((m) => m.method!.parent!.id === body.id)
    .map((m) => ({ node: m.method!, name: m.name!.text, body: m.body! }));
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

/** `<map>.erase(...)` / `<map>.clear()` calls on identifiers under node. */
function mapCalls(ctx: Context, node: SyntaxNode, op: 'erase' | 'clear') {
  return matchAll(ctx.query('member-use'), node).filter((m) => m.op!.text === op).map((m) => ({ call: m.call!, map: m.map!.text }));
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
function zeroed(node: SyntaxNode): string[] {
  return ofType(node, 'assignment_expression').flatMap((a) => {
    const left = a.childForFieldName('left');
    return left?.type === 'identifier' && a.childForFieldName('operator')?.text === '=' && a.childForFieldName('right')?.text === '0' ? [left.text] : [];
  });
}

/** The parts of the storage the fix needs, found by structure. */
interface Storage {
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

function analyseStorage(ctx: Context, src: SourceFile, cls: { name: string; node: SyntaxNode; body: SyntaxNode }): Storage | Drift {
  const methods = classMethods(ctx, cls.body);
  const members = memberNames(src, cls.body);
  for (const trim of methods) {
    for (const m of matchAll(ctx.query('trim-loop'), trim.body)) {
      const lru = m.lru!.text;
      const remove = methods.find((x) => x.name === m.remove!.text);
      if (!members.has(lru) || !remove) continue;
      const counters = ofType(m.condition!, 'identifier').map((i) => i.text).filter((n) => members.has(n));
      const counter = decremented(remove.body).find((c) => counters.includes(c));
      if (!counter) return new Drift(remove.node, `${remove.name}() decrementing the count that ${trim.name}()'s loop tests (${counters.join(', ') || 'a member'})`);
      const erased = mapCalls(ctx, remove.body, 'erase').map((e) => e.map).filter((n) => members.has(n));
      if (!erased.includes(lru)) return new Drift(remove.node, `${remove.name}() erasing the piece's entry from ${lru}`);
      const data = erased.find((n) => n !== lru);
      if (!data) return new Drift(remove.node, `${remove.name}() erasing the piece from the storage's piece map`);
      const stmt = m.call!;
      if (stmt.parent?.id !== m.loop!.childForFieldName('body')?.id) continue;
      return { name: cls.name, body: cls.body, methods, trim, loop: m.loop!, removeStmt: stmt, remove, victim: m.victim!.text, data, lru, counter };
    }
  }
  return new Drift(cls.node, `an LRU trim loop in ${cls.name}: while (<count> ...) { for (... : <lru map>) {...} <remove>(<victim>); }`);
}

/** A storage method that drops every piece with its accounting: clears the data and the LRU, zeroes the count. */
const dropsWithAccounting = (ctx: Context, s: Storage, m: Method) => {
  const cleared = mapCalls(ctx, m.body, 'clear').map((c) => c.map);
  return cleared.includes(s.data) && cleared.includes(s.lru) && zeroed(m.body).includes(s.counter);
};

/** The trim loop cannot spin: it erases a stale LRU entry itself, or remove erases the entry before it can return. */
function trimIsSafe(ctx: Context, s: Storage): boolean {
  const inLoop = mapCalls(ctx, s.loop, 'erase').some((e) => e.map === s.lru);
  if (inLoop) return true;
  const stmts = s.remove.body.namedChildren.filter((c) => c.type !== 'comment');
  for (const st of stmts) {
    if (st.type === 'expression_statement' && mapCalls(ctx, st, 'erase').some((e) => e.map === s.lru)) return true;
    if (st.type === 'return_statement' || ofType(st, 'return_statement').length || st.type === 'if_statement') return false;
  }
  return false;
}

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const io = findHeaderClasses(src).find((c) => c.name === ctx.className) ?? findHeaderClasses(src)[0];
  if (!io) return { status: 'missing', reason: 'no class implementing disk_interface' };

  // the storage: a class of the header named in the disk I/O class's data members, with a trim loop
  const held = new Set(dataMembers(io.body).flatMap((d) => ofType(d.childForFieldName('type') ?? d, 'type_identifier').map((t) => t.text)));
  const candidates = classesOf(src).filter((c) => c.node.id !== io.classNode.id && held.has(c.name));
  if (candidates.length === 0) return drift(src, io.classNode.startIndex, `${io.name} holding its torrents' storage, a class defined in this header`);
  let storage: Storage | Drift = new Drift(candidates[0]!.node, 'a storage class with an LRU trim loop');
  for (const c of candidates) { storage = analyseStorage(ctx, src, c); if (!(storage instanceof Drift)) break; }
  if (storage instanceof Drift) return drift(src, storage.node.startIndex, storage.expected);
  const s = storage;

  // storage methods that clear the piece map: each must take the accounting with it
  const safeDrop = s.methods.find((m) => dropsWithAccounting(ctx, s, m));
  for (const m of s.methods) {
    if (m.name === s.remove.name || m === safeDrop) continue;
    const clears = mapCalls(ctx, m.body, 'clear').find((c) => c.map === s.data);
    if (clears && !dropsWithAccounting(ctx, s, m)) return drift(src, clears.call.startIndex, `${s.name}::${m.name}() clearing ${s.data} together with ${s.lru} and ${s.counter}`);
  }

  // the disk I/O's paths that drop every piece past the storage
  const edits: Edit[] = [];
  const at: Loc[] = [];
  const dropName = safeDrop?.name ?? DROP_ALL;
  for (const m of classMethods(ctx, io.body)) {
    const drops = matchAll(ctx.query('drop-all'), m.body).filter((d) => d.data!.text === s.data && d.args!.namedChildCount === 0);
    for (const d of drops) {
      // `<holder>-><data>.clear()` becomes `<holder>-><drop>()`
      edits.push({ file: src.path, start: d.data!.startIndex, end: d.clear!.endIndex, text: dropName });
      at.push(loc(src, m.node.startIndex));
    }
    // any other use of the piece map from outside the storage is a shape we do not know
    const other = ofType(m.body, 'field_identifier').find((f) => f.text === s.data && !drops.some((d) => d.data!.id === f.id));
    if (other) return drift(src, other.startIndex, `${io.name}::${m.name}() leaving ${s.name}'s ${s.data} to ${s.name}'s own methods, or dropping it all with ${s.data}.clear()`);
  }
  if (edits.length && !safeDrop) {
    if (s.methods.some((m) => m.name === DROP_ALL)) return drift(src, s.methods.find((m) => m.name === DROP_ALL)!.node.startIndex, `no method named ${DROP_ALL} in ${s.name} other than one that clears ${s.data}, ${s.lru} and ${s.counter}`);
    const vars = { drop: DROP_ALL, data: s.data, lru: s.lru, counter: s.counter, trim: s.trim.name };
    edits.push(insertLinesAfter(src, s.remove.node.endIndex, renderAt(src, s.remove.node.startIndex, T('drop_all.cpp'), vars)));
  }

  if (!trimIsSafe(ctx, s)) {
    const vars = { data: s.data, lru: s.lru, victim: s.victim };
    edits.push(insertLinesBefore(src, s.removeStmt.startIndex, renderAt(src, s.removeStmt.startIndex, T('trim_guard.cpp'), vars)));
    at.push(loc(src, s.trim.node.startIndex));
  }

  if (edits.length === 0) return { status: 'applied', at: dedupe([loc(src, s.trim.node.startIndex), ...(safeDrop ? [loc(src, safeDrop.node.startIndex)] : [])]) };
  return { status: 'apply', edits, at: dedupe(at), notes: [] };
}

const dedupe = (at: Loc[]) => at.filter((l, i) => at.findIndex((x) => x.file === l.file && x.line === l.line) === i).sort((a, b) => a.line - b.line);
