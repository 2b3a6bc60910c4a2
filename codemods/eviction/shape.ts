/**
 * What eviction looks at, found by structure (shared by transform.ts and mutants.ts): the
 * storage methods the disk I/O's jobs call (async_read's read method, async_write's write
 * method, async_hash's hash method, each through the slot's pointer), the storage's LRU map (the
 * member its trim loop walks: a range-for inside a while loop), the statements that record a
 * piece's use in it, and the read method's error for a piece it does not hold.
 */
import { headerClass, matchAll, methodDefinitions, ofType, parameters, statements, textOf, type Context, type HeaderClass, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

export class Drift {
  constructor(public node: SyntaxNode, public expected: string) {}
}

export interface Method { node: SyntaxNode; name: string; body: SyntaxNode }

export function classMethods(body: SyntaxNode): Method[] {
  return methodDefinitions(body).map((m) => ({ node: m.method, name: m.name.text, body: m.body }));
}

/** A statement `<lru>[<key>] = <value>;`. */
export interface LruEntry { stmt: SyntaxNode; key: SyntaxNode; value: SyntaxNode }

/** `<err>.ec = <qualified>::<name>` in the read method's branch for a piece it does not hold. */
export interface ReadError { assign: SyntaxNode; stmt: SyntaxNode; name: SyntaxNode }

export interface Shape {
  io: HeaderClass;
  storage: string;
  read: Method;
  write: Method;
  hash: Method;
  lru: string;
  /** the write method's statements recording the piece in the LRU (the unsafe shape) */
  writeEntries: LruEntry[];
  /** the hash method's (the safe shape) */
  hashEntries: LruEntry[];
  /** the hash method's piece parameter */
  piece: string;
  /** the hash method's `const` qualifier, if it has one */
  constQualifier: SyntaxNode | null;
  readErrors: ReadError[];
}

/** The storage method a disk I/O job calls through the slot's pointer (`<slot>-><name>(...)`: member-call.scm, through `->`). */
function calledStorageMethod(ctx: Context, job: Method, storageMethods: Set<string>): string | undefined {
  return matchAll(ctx.query('member-call'), job.body)
    .filter((m) => m.call!.childForFieldName('function')!.childForFieldName('operator')?.type === '->')
    .map((m) => m.fn!.text).find((n) => storageMethods.has(n));
}

function lruEntries(ctx: Context, body: SyntaxNode, lru: string): LruEntry[] {
  return matchAll(ctx.query('lru-entry'), body).filter((m) => m.map!.text === lru).map((m) => ({ stmt: m.stmt!, key: m.key!, value: m.value! }));
}

/** The classes and structs defined in the file, other than the disk I/O class. */
function otherClasses(src: SourceFile, io: HeaderClass) {
  return ofType(src.root, 'struct_specifier', 'class_specifier').flatMap((c) => {
    const name = c.childForFieldName('name');
    const body = c.childForFieldName('body');
    return name && body && c.id !== io.classNode.id ? [{ name: textOf(src, name).replace(/^.*::/, ''), node: c, body }] : [];
  });
}

/** The member a trim loop walks: `while (...) { ... for (... : <lru>) ... }` in a method of the storage. */
function trimLru(methods: Method[]): string | undefined {
  for (const m of methods)
    for (const w of ofType(m.body, 'while_statement'))
      for (const f of ofType(w, 'for_range_loop')) {
        const right = f.childForFieldName('right');
        if (right?.type === 'identifier') return right.text;
      }
  return undefined;
}

/**
 * The read method's error assignments for a piece it does not hold: `<x>.ec = <ns>::<name>` in the
 * consequence of an if whose condition compares with `<map>.end()`.
 */
function readErrors(read: Method): ReadError[] {
  const out: ReadError[] = [];
  for (const ifs of ofType(read.body, 'if_statement')) {
    const cond = ifs.childForFieldName('condition');
    const then = ifs.childForFieldName('consequence');
    if (!cond || !then) continue;
    const comparesEnd = ofType(cond, 'binary_expression').some((b) => b.childForFieldName('operator')?.text === '=='
      && [b.childForFieldName('left'), b.childForFieldName('right')].some((s) => s?.type === 'call_expression' && s.childForFieldName('function')?.type === 'field_expression' && s.childForFieldName('function')!.childForFieldName('field')?.text === 'end'));
    if (!comparesEnd) continue;
    for (const a of ofType(then, 'assignment_expression')) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (left?.type !== 'field_expression' || left.childForFieldName('field')?.text !== 'ec' || right?.type !== 'qualified_identifier') continue;
      let name: SyntaxNode | null = right;
      while (name?.type === 'qualified_identifier') name = name.childForFieldName('name');
      if (name?.type === 'identifier' && a.parent?.type === 'expression_statement') out.push({ assign: a, stmt: a.parent, name });
    }
  }
  return out;
}

export function findShape(ctx: Context, src: SourceFile): Shape | Drift | null {
  const io = headerClass(src, ctx.className);
  if (!io) return null;
  const jobs = classMethods(io.body);
  const job = (name: string) => jobs.find((m) => m.name === name);
  const readJob = job('async_read');
  const writeJob = job('async_write');
  const hashJob = job('async_hash');
  if (!readJob || !writeJob || !hashJob) return new Drift(io.classNode, `${io.name} defining async_read, async_write and async_hash in its class body`);
  for (const c of otherClasses(src, io)) {
    const methods = classMethods(c.body);
    const names = new Set(methods.map((m) => m.name));
    const readName = calledStorageMethod(ctx, readJob, names);
    const writeName = calledStorageMethod(ctx, writeJob, names);
    const hashName = calledStorageMethod(ctx, hashJob, names);
    if (!readName || !writeName || !hashName) continue;
    const by = (n: string) => methods.find((m) => m.name === n)!;
    const read = by(readName);
    const write = by(writeName);
    const hash = by(hashName);
    const lru = trimLru(methods);
    if (!lru) return new Drift(c.node, `an LRU trim loop in ${c.name}: while (...) { for (... : <lru map>) ... }`);
    const pieceParam = parameters(hash.node, (n) => textOf(src, n)).find((p) => /\bpiece_index_t\b/.test(p.type) && p.name);
    if (!pieceParam) return new Drift(hash.node, `${c.name}::${hash.name}() taking the piece as a piece_index_t parameter`);
    // a method's declarator is its function_declarator (the qualifier `const` is a child of it)
    const declarator = hash.node.childForFieldName('declarator');
    const fd = declarator?.type === 'function_declarator' ? declarator : null;
    const constQualifier = fd?.namedChildren.find((n) => n.type === 'type_qualifier' && n.text === 'const') ?? null;
    return {
      io, storage: c.name, read, write, hash, lru,
      writeEntries: lruEntries(ctx, write.body, lru),
      hashEntries: lruEntries(ctx, hash.body, lru),
      piece: pieceParam.name!,
      constQualifier,
      readErrors: readErrors(read),
    };
  }
  return new Drift(readJob.node, `${io.name}'s async_read, async_write and async_hash calling one storage class's methods through the slot's pointer (<slot>-><method>(...))`);
}

/** The last statement of a method's body, if it is a return. */
export function finalReturn(m: Method): SyntaxNode | null {
  const last = statements(m.body).at(-1);
  return last?.type === 'return_statement' ? last : null;
}
