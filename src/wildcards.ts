/**
 * Wildcard parents: the run's combined query, written so that tree-sitter compiles it in half the
 * time, with the same matches.
 *
 * Compiling a query, tree-sitter analyses every pattern step that has children and names a node
 * type: it walks the grammar's parse states where that type can occur (with tree-sitter-cpp,
 * 3–10 ms for each such step of memfix's patterns). A parent step that is a wildcard `(_ ...)` is
 * not analysed. So each parent step `(type ...)` below a pattern's root becomes `(_ ...) @<capture>`
 * and the capture's node must have that type: filterTyped drops the matches where it has not,
 * and the captures themselves. A pattern's root keeps its type: tree-sitter starts a wildcard
 * root at every node of the tree, which costs a pass over the upstream header 1–2.5 ms more per
 * pattern, paid on every pass (measured: more than its compilation saves).
 *
 * A wildcard finds more than the type did, and every match costs its capture nodes' marshalling
 * to JavaScript: a parent is made a wildcard only where the pattern stays selective (each such
 * parent has a child under a field, a typed child, or a child that is itself selective); else the
 * pattern is left as written. A text with quantifiers, negated fields or a captured group is left
 * as written: tree-sitter prunes a match whose captures another match's contain, which a wildcard
 * could change there. A step with three captures (tree-sitter's most, its own and those of the
 * alternations it is in) keeps its type.
 *
 * What this gives up: tree-sitter reports an impossible pattern (a child a type never has) only
 * when it analyses that type; the query files are each compiled as written by the tests
 * (test/loading.test.ts), which is where that error is useful. A type name tree-sitter does not
 * know is left as written (tree-sitter reports it as before).
 */

/** The types each synthetic capture's node must have, by capture name. */
export type CaptureTypes = Map<string, string>;

const PREFIX = '_memfix.type.';

type Item =
  | { kind: 'node'; type: string; typeAt: number; close: number; kids: Item[]; field: boolean; captures: number }
  | { kind: 'alt'; kids: Item[]; field: boolean }
  | { kind: 'group'; kids: Item[]; field: boolean }
  | { kind: 'leaf'; text: string; field: boolean }
  | { kind: 'other' };

interface Token { text: string; at: number }

/** Tokens of a query text as patternsOf gives it (no comments); a field is one token, `name:`. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    let j = i + 1;
    let t: string | undefined;
    if (c === '"') {
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      j++;
    } else if (!'()[].?*+'.includes(c)) {
      // an identifier, a capture or a predicate's name (these may hold '.', '?', '!', '-')
      while (j < text.length && !/[\s()[\]"]/.test(text[j]!)) j++;
      let k = j;
      while (text[k] === ' ') k++;
      if (text[k] === ':' && !text.slice(i, j).endsWith(':')) { t = `${text.slice(i, j)}:`; j = k + 1; }
    }
    out.push({ text: t ?? text.slice(i, j), at: i });
    i = j;
  }
  return out;
}

/** A text's patterns as items; `plain` when none has a quantifier, a negated field or a captured group. */
function parse(tokens: Token[]): { items: Item[]; plain: boolean } {
  let i = 0;
  let plain = true; // no quantifier, no negated field
  const item = (): Item => {
    const t = tokens[i]!;
    let field = false;
    if (/:$/.test(t.text)) {
      field = true;
      i++;
    }
    const u = tokens[i];
    if (!u) return { kind: 'other' };
    let out: Item;
    if (u.text === '(') {
      i++;
      const head = tokens[i];
      if (head && /^[A-Za-z_][\w-]*$/.test(head.text)) {
        i++;
        const kids: Item[] = [];
        while (i < tokens.length && tokens[i]!.text !== ')') kids.push(item());
        out = { kind: 'node', type: head.text, typeAt: head.at, close: tokens[i]?.at ?? -1, kids, field, captures: 0 };
      } else if (head && head.text.startsWith('#')) {
        while (i < tokens.length && tokens[i]!.text !== ')') i++;
        out = { kind: 'other' };
      } else {
        const kids: Item[] = [];
        while (i < tokens.length && tokens[i]!.text !== ')') kids.push(item());
        out = { kind: 'group', kids, field };
      }
      i++;
    } else if (u.text === '[') {
      i++;
      const kids: Item[] = [];
      while (i < tokens.length && tokens[i]!.text !== ']') kids.push(item());
      i++;
      out = { kind: 'alt', kids, field };
    } else {
      i++;
      // a negated field, or a quantifier tree-sitter reads as part of a name (`_?`)
      if (u.text.startsWith('!') || (!/^[@#"]/.test(u.text) && /[?*+]/.test(u.text))) plain = false;
      out = u.text === '_' || u.text.startsWith('"') ? { kind: 'leaf', text: u.text, field } : { kind: 'other' };
    }
    // quantifiers and captures after an item
    let captures = 0;
    while (i < tokens.length) {
      const n = tokens[i]!.text;
      if (n === '?' || n === '*' || n === '+') { plain = false; i++; }
      else if (n.startsWith('@')) { captures++; i++; }
      else break;
    }
    // an alternation's captures are its alternatives' too (tree-sitter keeps three per step, and
    // drops a fourth without a word); a group's go to a step this module does not follow
    if (captures) addCaptures(out, captures);
    if (captures && out.kind === 'group') plain = false;
    return out;
  };
  const items: Item[] = [];
  while (i < tokens.length) items.push(item());
  return { items, plain };
}

function addCaptures(n: Item, k: number): void {
  if (n.kind === 'node') n.captures += k;
  else if (n.kind === 'alt') for (const a of n.kids) addCaptures(a, k);
}

const steps = (kids: Item[]) => kids.filter((k) => k.kind === 'node' || k.kind === 'alt' || k.kind === 'group' || k.kind === 'leaf');

/**
 * The query text with its parent steps made wildcards where that is safe (see above), and the
 * type each added capture stands for. `counter` numbers the captures across the texts of one
 * combined query.
 */
export function relaxQuery(text: string, isType: (name: string) => boolean, counter: { n: number }): { text: string; types: CaptureTypes } {
  const types: CaptureTypes = new Map();
  const tokens = tokenize(text);
  if (tokens.some((t) => t.text.startsWith(`@${PREFIX}`))) return { text, types };
  const { items, plain } = parse(tokens);
  if (!plain) return { text, types };
  const edits: { at: number; end: number; text: string }[] = [];
  for (const root of items) {
    if (root.kind === 'group' || root.kind === 'leaf') continue; // sibling patterns, an anonymous node
    const relaxed = new Set<Item>();
    const eligible = (n: Item): boolean => n.kind === 'node' && n.type !== '_' && n.captures < 3 && isType(n.type);
    const collect = (n: Item): void => {
      if (n.kind === 'node' && steps(n.kids).length > 0 && eligible(n)) relaxed.add(n);
      if ('kids' in n) n.kids.forEach(collect);
    };
    collect(root);
    // a root keeps its type: a wildcard root is tried at every node of the tree (see above)
    for (const r of root.kind === 'alt' ? steps(root.kids) : [root]) relaxed.delete(r);
    // every wildcard parent stays selective
    const selective = (n: Item): boolean => {
      if (n.kind === 'leaf') return n.field || n.text !== '_';
      if (n.kind === 'alt') return n.field || steps(n.kids).every(selective);
      if (n.kind === 'group') return n.field || steps(n.kids).some(selective);
      if (n.kind !== 'node') return false;
      if (n.field) return true;
      if (n.type !== '_' && !relaxed.has(n)) return true;
      return steps(n.kids).some(selective);
    };
    if (![...relaxed].every((n) => n.kind === 'node' && steps(n.kids).some(selective))) continue;
    for (const n of relaxed) {
      if (n.kind !== 'node' || n.close < 0) continue; // (a node; closed, in a text tree-sitter accepts)
      const name = `${PREFIX}${counter.n++}`;
      types.set(name, n.type);
      edits.push({ at: n.typeAt, end: n.typeAt + n.type.length, text: '_' }, { at: n.close + 1, end: n.close + 1, text: ` @${name}` });
    }
  }
  edits.sort((a, b) => b.at - a.at);
  let out = text;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return { text: out, types };
}

/**
 * The matches whose wildcard captures have the types they stand for, without those captures (the
 * matches are changed in place).
 */
export function filterTyped<M extends { captures: { name: string; node: { type: string } }[] }>(matches: M[], types: CaptureTypes): M[] {
  if (types.size === 0) return matches;
  const out: M[] = [];
  next: for (const m of matches) {
    let synthetic = 0;
    for (const c of m.captures) {
      const type = types.get(c.name);
      if (type === undefined) continue;
      if (c.node.type !== type) continue next;
      synthetic++;
    }
    if (synthetic) m.captures = m.captures.filter((c) => !types.has(c.name));
    out.push(m);
  }
  return out;
}
