/**
 * storage-generation: per-slot generations, so a completion queued before its torrent was
 * removed (and the slot maybe reused) reports operation_aborted and delivers nothing.
 *
 * Unsafe shape: async_read, async_write, async_hash and async_hash2 each post one completion
 * lambda that captures the function's storage_error local (and any data locals) and calls the
 * handler unconditionally; remove_torrent frees the slot under the mutex new_torrent locks.
 * Safe shape (ours or hand-written): every one of those operations records, from its storage
 * parameter, a local that its completion captures; the completion's body has an `if` on that
 * local whose branch sets `<error>.ec = ...operation_aborted` and touches every other captured
 * data local; and remove_torrent modifies the member(s) that record was read from.
 */
import { dataMembers, declaredName, descendants, drift, ensureIncludes, headerClass, indentAt, insertLinesAfter, insertLinesBefore, loadTemplate, loc, locals, matchAll, methodDefinitions, ofType, parameters, render, renderAt, statements, textOf, type Context, type Edit, type Result, type SourceFile, type SyntaxNode } from '../../src/sdk.ts';

/** The operations whose completions deliver data or status for a slot. */
export const OPERATIONS = ['async_read', 'async_write', 'async_hash', 'async_hash2'];
const NAMES = { generations: 'm_storage_generations', current: 'storage_generation', is: 'is_storage_generation', grow: 'grow_storage_generations', bump: 'bump_storage_generation' };
const LOCK_TYPE = /\b(lock_guard|unique_lock|scoped_lock)\b/;
const T = (name: string) => `storage-generation/${name}`;

type Method = { method: SyntaxNode; name: string; body: SyntaxNode };

/** A shape the fix does not know: returned up to transform, which makes it the drift result. */
class Drift {
  constructor(public node: SyntaxNode | number, public expected: string) {}
}

/** A capture of the completion lambda, seen from inside the lambda. */
interface Capture {
  node: SyntaxNode;
  /** the name the lambda body uses */
  name: string;
  /** the function local it copies or moves, if any */
  local?: string;
  byRef: boolean;
}

interface Op {
  fn: Method;
  storage: string;
  lambda: SyntaxNode;
  captures: Capture[];
  vars: ReturnType<typeof locals>;
  /** the lambda-side name of the captured storage_error local */
  error: string;
  errorLocal: string;
}

const isConst = (decl: SyntaxNode) => decl.children.some((q) => q.type === 'type_qualifier' && q.text === 'const');
const identifiers = (n: SyntaxNode) => ofType(n, 'identifier', 'field_identifier').map((i) => i.text);

/** post(ioc, <lambda>) and the like under node (posted-lambda.scm), the lambda right after the executor. */
export const postedCompletions = (ctx: Context, node: SyntaxNode) =>
  matchAll(ctx.query('posted-lambda'), node).filter((m) => m.call!.childForFieldName('arguments')!.namedChildCount === 2);

function classMethods(body: SyntaxNode): Method[] {
  return methodDefinitions(body).map((m) => ({ method: m.method, name: m.name.text, body: m.body }));
}

/** Data members: name → field_declaration. */
function members(src: SourceFile, classBody: SyntaxNode): Map<string, SyntaxNode> {
  const m = new Map<string, SyntaxNode>();
  for (const d of dataMembers(classBody))
    for (const decl of d.childrenForFieldName('declarator')) {
      const n = declaredName(decl);
      if (n) m.set(textOf(src, n), d);
    }
  return m;
}

/** The member mutex locked by a lock_guard/unique_lock/scoped_lock declaration in `body`. */
function lockedMutexes(src: SourceFile, body: SyntaxNode, memberNames: Map<string, SyntaxNode>): { decl: SyntaxNode; mutex: string }[] {
  return ofType(body, 'declaration').flatMap((d) => {
    if (!LOCK_TYPE.test(textOf(src, d.childForFieldName('type') ?? d))) return [];
    const declarator = d.childForFieldName('declarator');
    if (!declarator) return [];
    const declared = declaredName(declarator);
    const mutex = ofType(declarator, 'identifier', 'field_identifier', 'type_identifier')
      .filter((n) => n.id !== declared?.id)
      .map((n) => n.text)
      .find((n) => memberNames.has(n));
    return mutex ? [{ decl: d, mutex }] : [];
  });
}

function lambdaCaptures(src: SourceFile, lambda: SyntaxNode, vars: Map<string, unknown>): Capture[] | Drift {
  const spec = lambda.childForFieldName('captures');
  if (!spec) return new Drift(lambda, 'a completion lambda with a capture list');
  const out: Capture[] = [];
  for (const c of spec.namedChildren) {
    if (c.type === 'comment') continue;
    if (c.type === 'lambda_default_capture') return new Drift(c, 'a completion lambda with explicit captures only (no [=] or [&] default)');
    if (c.type === 'this') { out.push({ node: c, name: 'this', byRef: false }); continue; }
    if (c.type === 'identifier') {
      const byRef = c.previousSibling?.type === '&';
      out.push({ node: c, name: c.text, local: vars.has(c.text) ? c.text : undefined, byRef });
      continue;
    }
    if (c.type === 'lambda_capture_initializer') {
      const name = textOf(src, c.childForFieldName('left') ?? c);
      const right = c.childForFieldName('right');
      const used = right ? identifiers(right).filter((n) => vars.has(n)) : [];
      if (used.length === 0) { out.push({ node: c, name, byRef: false }); continue; }
      // `x = local` or `x = std::move(local)`: the capture is that local
      const moved = right?.type === 'call_expression' && /^(std::)?move$/.test(textOf(src, right.childForFieldName('function') ?? right))
        ? right.childForFieldName('arguments')?.namedChildren[0] : right;
      if (moved?.type !== 'identifier' || !vars.has(moved.text))
        return new Drift(c, `a capture of a local by copy or by std::move (not ${textOf(src, c)})`);
      out.push({ node: c, name, local: moved.text, byRef: false });
      continue;
    }
    return new Drift(c, `a capture of a name, an init-capture or this (not ${textOf(src, c)})`);
  }
  return out;
}

/** Find the parts of one operation; Drift when its shape is not one we know. */
function analyse(ctx: Context, src: SourceFile, fn: Method): Op | Drift {
  const params = parameters(fn.method, (n) => textOf(src, n));
  const storageParam = params.find((p) => /\bstorage_index_t\b/.test(p.type));
  if (!storageParam?.name) return new Drift(fn.method, `${fn.name} with a named storage_index_t parameter`);
  const posts = postedCompletions(ctx, fn.body);
  if (posts.length > 1) return new Drift(posts[1]!.call!, `${fn.name} posting exactly one completion lambda (post(ioc, [..]{..}))`);
  if (posts.length === 0) {
    const other = ofType(fn.body, 'call_expression').find((c) => /^(\w+::)*(post|dispatch|defer)$/.test(textOf(src, c.childForFieldName('function') ?? c)));
    return new Drift(other ?? fn.body, `${fn.name} posting its completion as a lambda (post(ioc, [..]{..}))${other ? `, not ${textOf(src, other).replace(/\s+/g, ' ')}` : ''}`);
  }
  const lambda = posts[0]!.lambda!;
  const vars = locals(src, fn.body);
  for (const d of ofType(lambda, 'declaration')) for (const [k, v] of [...vars]) if (v.decl.id === d.id) vars.delete(k);
  const captures = lambdaCaptures(src, lambda, vars);
  if (captures instanceof Drift) return captures;
  const errorCap = captures.find((c) => c.local && /\bstorage_error\b/.test(vars.get(c.local)!.type));
  if (!errorCap) return new Drift(lambda, `${fn.name}'s completion capturing the function's storage_error local`);
  if (errorCap.byRef) return new Drift(errorCap.node, `${fn.name}'s completion capturing its storage_error local by value`);
  if (errorCap.node.type === 'identifier' && isConst(vars.get(errorCap.local!)!.decl))
    return new Drift(vars.get(errorCap.local!)!.decl, `${fn.name}: a non-const storage_error local, so its captured copy can be set`);
  if (captures.some((c) => c.name === storageParam.name && c.local)) return new Drift(lambda, `no capture named ${storageParam.name} other than the storage parameter`);
  return { fn, storage: storageParam.name, lambda, captures, vars, error: errorCap.name, errorLocal: errorCap.local! };
}

/** The if statements of the completion body that abort: `<error>.ec = ...operation_aborted`. */
function abortChecks(op: Op): SyntaxNode[] {
  const body = op.lambda.childForFieldName('body');
  if (!body) return [];
  return ofType(body, 'if_statement').filter((s) =>
    ofType(s.childForFieldName('consequence') ?? s, 'assignment_expression').some((a) => {
      const left = a.childForFieldName('left');
      return left?.type === 'field_expression'
        && left.childForFieldName('argument')?.text === op.error
        && left.childForFieldName('field')?.text === 'ec'
        && /\boperation_aborted\b/.test(a.childForFieldName('right')?.text ?? '');
    }));
}

/** Locals initialised from the storage parameter (a recorded generation), captured by the completion. */
function recorded(op: Op): { capture: Capture; init: SyntaxNode }[] {
  return op.captures.flatMap((c) => {
    if (!c.local || c.local === op.errorLocal) return [];
    const decl = op.vars.get(c.local)!.decl;
    const fromStorage = (v: SyntaxNode | null | undefined): v is SyntaxNode => !!v && identifiers(v).includes(op.storage);
    // initialised from the storage parameter, or (read under the job's lock) assigned from it later
    const init = decl.childrenForFieldName('declarator').map((d) => d.childForFieldName('value')).find(fromStorage)
      ?? ofType(op.fn.body, 'assignment_expression')
        .filter((a) => a.childForFieldName('left')?.text === c.local && !(a.startIndex >= op.lambda.startIndex && a.endIndex <= op.lambda.endIndex))
        .map((a) => a.childForFieldName('right')).find(fromStorage);
    return init ? [{ capture: c, init }] : [];
  });
}

type OpState = { state: 'checked'; generation: { capture: Capture; init: SyntaxNode } } | { state: 'unchecked' } | Drift;

function stateOf(op: Op): OpState {
  const checks = abortChecks(op);
  if (checks.length === 0) return { state: 'unchecked' };
  const gens = recorded(op);
  const check = checks.find((s) => gens.some((g) => identifiers(s.childForFieldName('condition') ?? s).includes(g.capture.name)));
  const gen = check && gens.find((g) => identifiers(check.childForFieldName('condition') ?? check).includes(g.capture.name));
  if (!check || !gen) return new Drift(checks[0]!, `${op.fn.name}'s abort check comparing a generation recorded from ${op.storage} when the job was submitted`);
  const touched = new Set(identifiers(check.childForFieldName('consequence') ?? check));
  const kept = op.captures.find((c) => c.local && c.local !== op.errorLocal && c.local !== gen.capture.local && !touched.has(c.name));
  if (kept) return new Drift(check, `${op.fn.name}'s abort check also discarding the captured ${kept.name}`);
  return { state: 'checked', generation: gen };
}

/** Whether `node` modifies one of `targets` (directly, or through a method of the class, two calls deep). */
function modifies(node: SyntaxNode, targets: Set<string>, methodsByName: Map<string, Method>, depth = 0): boolean {
  for (const n of descendants(node)) {
    const target = n.type === 'update_expression' ? n.childForFieldName('argument') : n.type === 'assignment_expression' ? n.childForFieldName('left') : null;
    if (target && identifiers(target).some((i) => targets.has(i))) return true;
    if (n.type === 'call_expression' && depth < 2) {
      const f = n.childForFieldName('function');
      const name = f?.type === 'identifier' ? f.text : f?.type === 'field_expression' && f.childForFieldName('argument')?.type === 'this' ? f.childForFieldName('field')?.text : undefined;
      const m = name ? methodsByName.get(name) : undefined;
      if (m && modifies(m.body, targets, methodsByName, depth + 1)) return true;
    }
  }
  return false;
}

/** Members an expression reads, directly or through methods of the class (two calls deep). */
function membersRead(node: SyntaxNode, memberNames: Map<string, SyntaxNode>, methodsByName: Map<string, Method>, depth = 0): Set<string> {
  const out = new Set(identifiers(node).filter((n) => memberNames.has(n)));
  if (depth < 2)
    for (const call of ofType(node, 'call_expression')) {
      const f = call.childForFieldName('function');
      const name = f?.type === 'identifier' ? f.text : f?.type === 'field_expression' ? f.childForFieldName('field')?.text : undefined;
      const m = name ? methodsByName.get(name) : undefined;
      if (m) for (const x of membersRead(m.body, memberNames, methodsByName, depth + 1)) out.add(x);
    }
  return out;
}

/** The access of a member: the last access specifier before it, or the class key's default. */
function accessAt(classNode: SyntaxNode, classBody: SyntaxNode, member: SyntaxNode): string {
  let access = classNode.type === 'class_specifier' ? 'private' : 'public';
  for (const c of classBody.namedChildren) {
    if (c.startIndex >= member.startIndex) break;
    if (c.type === 'access_specifier') access = c.text.replace(/:$/, '').trim();
  }
  return access;
}

/** Whether most multi-line function and lambda bodies of the file open with a { on a line of its own. */
const braceStyle = new WeakMap<SourceFile, boolean>();
function bracesOnOwnLine(src: SourceFile): boolean {
  let known = braceStyle.get(src);
  if (known === undefined) braceStyle.set(src, (known = countBraces(src)));
  return known;
}
function countBraces(src: SourceFile): boolean {
  let own = 0;
  let shared = 0;
  for (const b of ofType(src.root, 'compound_statement')) {
    if (b.parent?.type !== 'function_definition' && b.parent?.type !== 'lambda_expression') continue;
    if (!src.text.slice(b.startIndex, b.endIndex).includes('\n')) continue;
    if (src.text.slice(src.text.lastIndexOf('\n', b.startIndex - 1) + 1, b.startIndex).trim() === '') own++;
    else shared++;
  }
  return own > shared;
}

/**
 * Put a template's lines first in a block. A block on one line (`{ handler(err); }`, `{}`) is
 * opened up: `{`, the new lines, then its statements one a line, `}`. A block on several lines
 * gets the lines after its `{`, at its first statement's indentation. `what` names the block
 * for a drift message.
 */
function prepend(src: SourceFile, block: SyntaxNode, template: string, vars: Record<string, string>, what: string): Edit | Drift {
  const first = block.namedChildren[0];
  const brace = block.startIndex;
  const eol = src.style.eol;
  if (!src.text.slice(block.startIndex, block.endIndex).includes('\n')) {
    const comment = block.namedChildren.find((c) => c.type === 'comment');
    if (comment) return new Drift(comment, `${what} without a comment when it is on one line`);
    const base = indentAt(src.text, brace);
    const inner = base + src.style.indentUnit;
    const lines = render(template, vars, { style: src.style, base: inner });
    const stmts = statements(block).map((s) => inner + textOf(src, s));
    const text = ['{', lines, ...stmts, base + '}'].join(eol);
    // the file puts the { of a body on its own line: so does the opened-up block
    const lineStartsAt = src.text.lastIndexOf('\n', brace - 1) + 1;
    if (bracesOnOwnLine(src) && src.text.slice(lineStartsAt, brace).trim() !== '') {
      const start = brace - (/[ \t]*$/.exec(src.text.slice(lineStartsAt, brace))![0].length);
      return { file: src.path, start, end: block.endIndex, text: eol + base + text };
    }
    return { file: src.path, start: block.startIndex, end: block.endIndex, text };
  }
  if (first && !src.text.slice(brace + 1, first.startIndex).includes('\n'))
    return new Drift(first, `${what} on one line, or with its statements on the lines after its {`);
  const base = first ? indentAt(src.text, first.startIndex) : indentAt(src.text, brace) + src.style.indentUnit;
  return insertLinesAfter(src, brace, render(template, vars, { style: src.style, base }));
}

export function transform(ctx: Context): Result {
  const src = ctx.files.header!;
  const cls = headerClass(src, ctx.className);
  if (!cls) return { status: 'missing', reason: 'no class implementing disk_interface' };
  const r = run(ctx, src, cls.name, cls.classNode, cls.body);
  return r instanceof Drift ? drift(src, typeof r.node === 'number' ? r.node : r.node.startIndex, r.expected) : r;
}

function run(ctx: Context, src: SourceFile, className: string, classNode: SyntaxNode, classBody: SyntaxNode): Result | Drift {
  const all = classMethods(classBody);
  const byName = new Map(all.map((m) => [m.name, m]));
  const memberNames = members(src, classBody);
  const need = (name: string) => byName.get(name) ?? new Drift(classNode, `${name}(...) defined in ${className}`);
  const ops: Op[] = [];
  for (const name of OPERATIONS) {
    const fn = need(name);
    const op = fn instanceof Drift ? fn : analyse(ctx, src, fn);
    if (op instanceof Drift) return op;
    ops.push(op);
  }
  const states: Exclude<OpState, Drift>[] = [];
  for (const op of ops) {
    const s = stateOf(op);
    if (s instanceof Drift) return s;
    states.push(s);
  }
  const remove = need('remove_torrent');
  if (remove instanceof Drift) return remove;

  // already safe: every operation checks a recorded generation, and remove_torrent changes what it is read from
  const checked = states.filter((s): s is Extract<OpState, { state: 'checked' }> => s.state === 'checked');
  if (checked.length === ops.length) {
    const sources = new Set<string>();
    for (const s of checked) for (const m of membersRead(s.generation.init, memberNames, byName)) sources.add(m);
    if (!modifies(remove.body, sources, byName))
      return new Drift(remove.method, `remove_torrent bumping the slot generation the operations record (${[...sources].join(', ') || 'no member found'})`);
    return { status: 'applied', at: ops.map((op) => loc(src, op.fn.method.startIndex)) };
  }
  if (checked.length > 0) {
    const i = states.findIndex((s) => s.state === 'unchecked');
    return new Drift(ops[i]!.lambda, `${ops[i]!.fn.name}'s completion checking the slot generation, as ${ops[states.indexOf(checked[0]!)]!.fn.name}'s does`);
  }

  // the mutex: the member new_torrent locks; remove_torrent must lock it too
  const newTorrent = need('new_torrent');
  if (newTorrent instanceof Drift) return newTorrent;
  const mutex = lockedMutexes(src, newTorrent.body, memberNames)[0]?.mutex;
  if (!mutex) return new Drift(newTorrent.method, `new_torrent locking a mutex member of ${className} (lock_guard, unique_lock or scoped_lock)`);
  const removeLock = lockedMutexes(src, remove.body, memberNames).find((l) => l.mutex === mutex);
  // a remove_torrent that touches no member and calls no method removes nothing: it gets the lock too
  const removesNothing = !identifiers(remove.body).some((n) => memberNames.has(n) || byName.has(n));
  if (!removeLock && !removesNothing) return new Drift(remove.method, `remove_torrent locking ${mutex}, as new_torrent does`);
  const removeParam = parameters(remove.method, (n) => textOf(src, n)).find((p) => /\bstorage_index_t\b/.test(p.type));
  if (!removeParam) return new Drift(remove.method, 'remove_torrent taking a storage_index_t');
  if (!removeParam.name && !removesNothing) return new Drift(remove.method, 'remove_torrent with a named storage_index_t parameter');
  const slot = removeParam.name ?? 'storage';
  const mutexDecl = memberNames.get(mutex)!;
  const mutable = mutexDecl.children.some((c) => c.text === 'mutable');
  const declared = new Set([...memberNames.keys(), ...all.map((m) => m.name), ...ofType(classBody, 'field_identifier').map((n) => n.text)]);
  const taken = Object.values(NAMES).find((n) => declared.has(n));
  if (taken) return new Drift(classNode, `no existing member named ${taken}`);

  const vars = {
    ...NAMES,
    mutex,
    mutexType: textOf(src, mutexDecl.childForFieldName('type')!),
    index: removeParam.type,
    const: mutable ? ' const' : '',
  };
  const edits: Edit[] = [...ensureIncludes(src, ['cstdint', 'mutex', 'vector'])];
  // the table, and its helpers kept private: next to the mutex when that is private, else in a
  // private section of their own at the end of the class
  const memberLines = renderAt(src, mutexDecl.startIndex, T('members.cpp'), vars);
  const helpers = renderAt(src, mutexDecl.startIndex, T('helpers.cpp'), vars);
  if (accessAt(classNode, classBody, mutexDecl) === 'private') {
    edits.push(insertLinesAfter(src, mutexDecl.endIndex, memberLines + src.style.eol + helpers + src.style.eol));
  } else {
    edits.push(insertLinesAfter(src, mutexDecl.endIndex, memberLines));
    const close = classBody.endIndex - 1;
    const label = classBody.namedChildren.find((c) => c.type === 'access_specifier');
    const labelIndent = label ? indentAt(src.text, label.startIndex) : indentAt(src.text, classNode.startIndex);
    if (src.text.slice(src.text.lastIndexOf('\n', close - 1) + 1, close).trim() !== '') return new Drift(close, `${className}'s closing }; on a line of its own`);
    edits.push(insertLinesBefore(src, close, src.style.eol + render(loadTemplate(T('private.cpp')), {}, { style: src.style, base: labelIndent }) + helpers.replace(/^(\r?\n)+/, src.style.eol)));
  }

  // new_torrent makes room for the generation of the slot it hands out, while it holds the mutex
  const holders = ofType(newTorrent.body, 'return_statement').flatMap((r) => {
    const v = r.namedChildren[0];
    const callee = v?.type === 'call_expression' ? v.childForFieldName('function') : v?.type === 'compound_literal_expression' ? v.childForFieldName('type') : null;
    if (!callee || !/(^|::)storage_holder$/.test(textOf(src, callee).replace(/\s+/g, ''))) return [];
    const slotArg = (v!.childForFieldName('arguments') ?? v!.childForFieldName('value'))?.namedChildren[0];
    return slotArg?.type === 'identifier' ? [{ ret: r, slot: slotArg.text }] : [];
  });
  const newLocks = lockedMutexes(src, newTorrent.body, memberNames).filter((l) => l.mutex === mutex).map((l) => l.decl);
  const held = (node: SyntaxNode) => {
    for (let child = node, p = node.parent; p && p.id !== newTorrent.body.parent?.id; child = p, p = p.parent)
      if (p.type === 'compound_statement' && newLocks.some((l) => l.parent?.id === p.id && l.endIndex <= child.startIndex)) return true;
    return false;
  };
  if (!holders.length || holders.some((h) => !held(h.ret))) return new Drift(holders.find((h) => !held(h.ret))?.ret ?? newTorrent.method, `new_torrent returning storage_holder(<slot>, *this) while it holds ${mutex}`);
  // ... before it fills the slot, so that an allocation failure while growing leaves no filled
  // slot behind: before each statement that stores into the slot or appends to the slots'
  // container; when new_torrent fills nothing itself, before it returns the slot
  const slots = new Set(holders.map((h) => h.slot));
  const fills = slots.size === 1 ? fillStatements(src, newTorrent.body, holders[0]!.slot) : [];
  for (const f of fills) {
    const block = f.parent!;
    const later = block.namedChildren.filter((c) => c.startIndex > f.startIndex);
    const chosenAfter = later.some((c) => ofType(c, 'assignment_expression').some((a) => a.childForFieldName('left')?.text === holders[0]!.slot));
    if (chosenAfter || !held(f)) return new Drift(f, `new_torrent choosing ${holders[0]!.slot} before it fills that slot, while it holds ${mutex}`);
    edits.push(insertLinesBefore(src, f.startIndex, renderAt(src, f.startIndex, T('grow.cpp'), { ...vars, slot: holders[0]!.slot })));
  }
  if (!fills.length) for (const h of holders) edits.push(insertLinesBefore(src, h.ret.startIndex, renderAt(src, h.ret.startIndex, T('grow.cpp'), { ...vars, slot: h.slot })));
  if (removeLock) {
    edits.push(insertLinesAfter(src, removeLock.decl.endIndex, renderAt(src, removeLock.decl.startIndex, T('remove.cpp'), { ...vars, slot })));
  } else {
    if (!removeParam.name) edits.push({ file: src.path, start: removeParam.node.endIndex, end: removeParam.node.endIndex, text: ` ${slot}` });
    const used = new Set(identifiers(remove.method));
    let lock = 'lock';
    for (let i = 2; used.has(lock); i++) lock = `lock${i}`;
    const opened = prepend(src, remove.body, loadTemplate(T('remove_locked.cpp')), { ...vars, slot, lock }, 'remove_torrent\'s body');
    if (opened instanceof Drift) return opened;
    edits.push(opened);
  }
  for (const op of ops) {
    const patched = patchOperation(src, op, vars, memberNames);
    if (patched instanceof Drift) return patched;
    edits.push(...patched);
  }
  return { status: 'apply', edits, at: ops.map((op) => loc(src, op.fn.method.startIndex)), notes: [] };
}

/**
 * The statements of new_torrent that fill a slot: `X[slot] = ...`, and `X.emplace_back(...)` /
 * `X.push_back(...)` on such an X (on any container when nothing is stored at the slot).
 */
function fillStatements(src: SourceFile, body: SyntaxNode, slot: string): SyntaxNode[] {
  const statementsOf = ofType(body, 'expression_statement').filter((st) => !enclosingLambda(st, body));
  const containers = new Set<string>();
  const stores = statementsOf.filter((st) => {
    const e = st.namedChildren[0];
    const left = e?.type === 'assignment_expression' ? e.childForFieldName('left') : null;
    if (left?.type !== 'subscript_expression') return false;
    const index = (left.childForFieldName('indices') ?? left.childForFieldName('index'))?.text.replace(/^\[|\]$/g, '').trim();
    if (index !== slot) return false;
    containers.add(textOf(src, left.childForFieldName('argument')!).replace(/\s+/g, ''));
    return true;
  });
  const appends = statementsOf.filter((st) => {
    const e = st.namedChildren[0];
    const f = e?.type === 'call_expression' ? e.childForFieldName('function') : null;
    if (f?.type !== 'field_expression' || !['emplace_back', 'push_back'].includes(f.childForFieldName('field')?.text ?? '')) return false;
    return !containers.size || containers.has(textOf(src, f.childForFieldName('argument')!).replace(/\s+/g, ''));
  });
  return [...stores, ...appends].filter((st) => st.parent?.type === 'compound_statement').sort((a, b) => a.startIndex - b.startIndex);
}

function enclosingLambda(node: SyntaxNode, stop: SyntaxNode): boolean {
  for (let p = node.parent; p && p.id !== stop.id; p = p.parent) if (p.type === 'lambda_expression') return true;
  return false;
}

/** Record the generation on submission; capture it in the completion and check it first. */
function patchOperation(src: SourceFile, op: Op, names: typeof NAMES & { mutex: string }, memberNames: Map<string, SyntaxNode>): Edit[] | Drift {
  const edits: Edit[] = [];
  // the critical section that does the job: the one lock of the mutex outside the completion
  const locks = lockedMutexes(src, op.fn.body, memberNames).filter((l) => l.mutex === names.mutex && !(l.decl.startIndex >= op.lambda.startIndex && l.decl.endIndex <= op.lambda.endIndex));
  if (locks.length !== 1) return new Drift(locks[1]?.decl ?? op.fn.method, `${op.fn.name} locking ${names.mutex} once, to do the job, before it posts its completion`);
  const inUse = new Set([...identifiers(op.fn.method), ...op.captures.map((c) => c.name)]);
  let generation = 'generation';
  for (let i = 2; inUse.has(generation); i++) generation = `generation${i}`;

  // the data the completion would deliver: every other captured local, reset to a value-initialised one
  const resets: string[] = [];
  for (const c of op.captures) {
    if (!c.local || c.local === op.errorLocal) continue;
    const v = op.vars.get(c.local)!;
    if (c.byRef) return new Drift(c.node, `${op.fn.name}'s completion capturing ${c.local} by value`);
    if (/\*|&|\bauto\b/.test(v.type) || ofType(v.decl, 'reference_declarator').length)
      return new Drift(v.decl, `${op.fn.name}: a captured data local of a value type it can reset (not ${v.type})`);
    if (c.node.type === 'identifier' && isConst(v.decl))
      return new Drift(v.decl, `${op.fn.name}: a non-const data local ${c.local}, so its captured copy can be reset`);
    resets.push(`    ${c.name} = ${v.type}();`);
  }

  const record = prepend(src, op.fn.body, loadTemplate(T('record.cpp')), { ...names, generation, storage: op.storage }, `${op.fn.name}'s body`);
  if (record instanceof Drift) return record;
  edits.push(record);
  const lock = locks[0]!.decl;
  edits.push(insertLinesAfter(src, lock.endIndex - 1, renderAt(src, lock.startIndex, T('read.cpp'), { ...names, generation, storage: op.storage })));

  // captures: this, the storage parameter and the recorded generation
  const spec = op.lambda.childForFieldName('captures')!;
  const add = [
    ...(op.captures.some((c) => c.name === 'this') ? [] : ['this']),
    ...(op.captures.some((c) => c.name === op.storage) ? [] : [op.storage]),
    generation,
  ];
  const closing = spec.endIndex - 1;
  edits.push({ file: src.path, start: closing, end: closing, text: (op.captures.length ? ', ' : '') + add.join(', ') });

  // mutable, so the captured copies can be reset
  const declarator = op.lambda.childForFieldName('declarator');
  if (!declarator) edits.push({ file: src.path, start: spec.endIndex, end: spec.endIndex, text: '() mutable' });
  else if (!declarator.children.some((c) => c.text === 'mutable')) {
    const params = declarator.childForFieldName('parameters');
    if (!params) return new Drift(declarator, `${op.fn.name}'s completion with a parameter list`);
    edits.push({ file: src.path, start: params.endIndex, end: params.endIndex, text: ' mutable' });
  }

  // the check, first in the completion's body
  const template = loadTemplate(T('check.cpp')).replace(/^ *\{\{resets\}\}\n/m, resets.map((r) => r + '\n').join(''));
  const vars = { ...names, generation, storage: op.storage, error: op.error };
  const check = prepend(src, op.lambda.childForFieldName('body')!, template, vars, `${op.fn.name}'s completion`);
  if (check instanceof Drift) return check;
  edits.push(check);
  return edits;
}
