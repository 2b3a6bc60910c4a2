/** applyEdits / checkEdits (src/edits.ts): bounds, overlaps, insert order, non-ASCII text, and a property test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, checkEdits, byFile, type Edit } from '../src/edits.ts';
import { MemfixError } from '../src/errors.ts';

const E = (start: number, end: number, text: string, file = 'f.hpp'): Edit => ({ file, start, end, text });

test('replacements, deletions and inserts inside the text', () => {
  const t = '0123456789';
  assert.equal(applyEdits(t, []), t);
  assert.equal(applyEdits(t, [E(2, 4, 'ab')]), '01ab456789');
  assert.equal(applyEdits(t, [E(2, 4, '')]), '01456789');
  assert.equal(applyEdits(t, [E(3, 3, 'X')]), '012X3456789');
  assert.equal(applyEdits(t, [E(0, 0, 'S')]), 'S0123456789');
  assert.equal(applyEdits(t, [E(10, 10, 'E')]), '0123456789E');
  assert.equal(applyEdits(t, [E(0, 10, 'all')]), 'all');
  assert.equal(applyEdits(t, [E(8, 10, 'xy'), E(0, 1, 'a'), E(5, 5, '-')]), 'a1234-567xy');
  // an edit that replaces with something longer or shorter does not disturb later positions
  assert.equal(applyEdits(t, [E(1, 2, 'LONGER'), E(3, 4, '')]), '0LONGER2456789');
  assert.equal(applyEdits('', [E(0, 0, 'x')]), 'x');
});

test('overlapping edits throw MemfixError', () => {
  const t = '0123456789';
  const bad: Edit[][] = [
    [E(2, 5, 'a'), E(4, 6, 'b')],
    [E(4, 6, 'b'), E(2, 5, 'a')],
    [E(2, 5, 'a'), E(2, 5, 'b')],
    [E(2, 5, 'a'), E(2, 3, 'b')],
    [E(2, 8, 'a'), E(3, 4, 'b')],
    [E(2, 8, 'a'), E(4, 4, 'inside')], // an insert strictly inside a replaced range
    [E(0, 10, ''), E(9, 10, 'z')],
  ];
  for (const edits of bad) {
    assert.throws(() => applyEdits(t, edits), MemfixError, JSON.stringify(edits));
    assert.throws(() => checkEdits(t, edits), MemfixError, JSON.stringify(edits));
  }
  // touching ranges are not overlapping
  assert.equal(applyEdits(t, [E(2, 5, 'a'), E(5, 7, 'b')]), '01ab789');
  assert.doesNotThrow(() => checkEdits(t, [E(5, 7, 'b'), E(2, 5, 'a'), E(5, 5, 'i'), E(5, 5, 'j')]));
});

test('out-of-bounds or malformed edits throw MemfixError', () => {
  const t = 'abc';
  const bad = [E(-1, 1, 'x'), E(0, 4, 'x'), E(4, 4, 'x'), E(2, 1, 'x'), E(0.5, 1, 'x'), E(0, Number.NaN, 'x'), E(0, Infinity, '')];
  for (const e of bad) {
    assert.throws(() => applyEdits(t, [e]), MemfixError, JSON.stringify(e));
    // even next to valid ones
    assert.throws(() => applyEdits(t, [E(0, 1, 'ok'), e]), MemfixError, JSON.stringify(e));
  }
  try {
    applyEdits(t, [E(0, 9, 'x', 'dir/file.i')]);
    assert.fail('no throw');
  } catch (e) {
    assert.ok(e instanceof MemfixError);
    assert.equal(e.file, 'dir/file.i', 'the error names the file');
  }
});

test('inserts at the same point keep the order they were given in', () => {
  const t = 'ab';
  assert.equal(applyEdits(t, [E(1, 1, '1'), E(1, 1, '2'), E(1, 1, '3')]), 'a123b');
  assert.equal(applyEdits(t, [E(1, 1, '3'), E(1, 1, '2'), E(1, 1, '1')]), 'a321b');
  assert.equal(applyEdits(t, [E(2, 2, 'x'), E(0, 0, 'p'), E(2, 2, 'y'), E(0, 0, 'q')]), 'pqabxy');
  // inserts at both ends of a replaced range: before it and after it
  assert.equal(applyEdits('0123456789', [E(2, 5, 'R'), E(2, 2, '<'), E(5, 5, '>')]), '01<R>56789');
});

test('an insert at the end of a replaced range survives, whatever the order of the edits', () => {
  // the insert is given before the replacement that ends where it is inserted
  assert.equal(applyEdits('0123456789', [E(5, 5, 'X'), E(2, 5, 'Y')]), '01YX56789');
  assert.equal(applyEdits('0123456789', [E(2, 5, 'Y'), E(5, 5, 'X')]), '01YX56789');
  assert.equal(applyEdits('0123456789', [E(5, 5, 'X'), E(2, 5, '')]), '01X56789');
  assert.equal(applyEdits('0123456789', [E(2, 2, 'X'), E(2, 5, 'Y')]), '01XY56789');
  assert.equal(applyEdits('0123456789', [E(5, 5, 'X'), E(5, 8, 'Z'), E(2, 5, 'Y')]), '01YXZ89');
});

test('non-ASCII text around edits is kept byte for byte', () => {
  const t = '\uFEFF// café — 漢字 🚀\r\nint x = 1; // é😀\r\n/* ✓ */\r\n';
  const at = t.indexOf('1;');
  const out = applyEdits(t, [E(at, at + 1, '2'), E(t.indexOf('/* ✓'), t.indexOf('/* ✓'), '// 新 🎉\r\n')]);
  const want = '\uFEFF// café — 漢字 🚀\r\nint x = 2; // é😀\r\n// 新 🎉\r\n/* ✓ */\r\n';
  assert.equal(out, want);
  assert.ok(Buffer.from(out, 'utf8').equals(Buffer.from(want, 'utf8')));
  // edits right next to a surrogate pair (the rocket is two UTF-16 units)
  const r = t.indexOf('🚀');
  assert.equal(applyEdits(t, [E(r, r, '['), E(r + 2, r + 2, ']')]).slice(r, r + 4), '[🚀]');
  assert.equal(applyEdits(t, [E(r, r + 2, '🎉')]), t.replace('🚀', '🎉'));
});

test('byFile groups edits by file and keeps their order', () => {
  const g = byFile([E(1, 1, 'a', 'x'), E(0, 0, 'b', 'y'), E(0, 0, 'c', 'x')]);
  assert.deepEqual([...g.keys()], ['x', 'y']);
  assert.deepEqual(g.get('x')!.map((e) => e.text), ['a', 'c']);
});

// --- property test ----------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'b', ' ', '\n', '\r\n', '\t', 'é', '—', '漢', '字', '😀', '🚀', '𝄞', '\uFEFF', '{', '}', ';'];

function randomText(r: () => number, maxLen: number): string {
  const n = Math.floor(r() * maxLen);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)]!;
  return s;
}

/**
 * Random non-overlapping edits: ranges that do not overlap (they may touch), and inserts at points
 * that are not strictly inside a range, several per point. Indices are UTF-16 indices and may
 * split a surrogate pair (edits are string operations).
 */
function randomEdits(r: () => number, len: number): Edit[] {
  const edits: Edit[] = [];
  let pos = 0;
  while (pos <= len && edits.length < 12) {
    pos += Math.floor(r() * 6);
    if (pos > len) break;
    const kind = r();
    if (kind < 0.45) {
      const k = 1 + Math.floor(r() * 3);
      for (let i = 0; i < k; i++) edits.push(E(pos, pos, randomText(r, 4) + `#${edits.length}`));
    } else {
      const end = Math.min(len, pos + Math.floor(r() * 6));
      edits.push(E(pos, end, r() < 0.3 ? '' : randomText(r, 5)));
      pos = end;
      if (r() < 0.5) continue; // maybe an insert at the end of this range next
    }
    pos += 1;
  }
  return edits;
}

/** Shuffle the edits, but keep the relative order of inserts at the same point. */
function shuffleKeepingInsertOrder(r: () => number, edits: Edit[]): Edit[] {
  const a = [...edits];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  // restore per-point insert order
  const inserts = new Map<number, Edit[]>();
  for (const e of edits) if (e.start === e.end) inserts.set(e.start, [...(inserts.get(e.start) ?? []), e]);
  const used = new Map<number, number>();
  return a.map((e) => {
    if (e.start !== e.end) return e;
    const k = used.get(e.start) ?? 0;
    used.set(e.start, k + 1);
    return inserts.get(e.start)![k]!;
  });
}

/** The reference: sort by position (inserts before a range starting at the same point, given order among inserts) and slice. */
function naive(text: string, edits: Edit[]): string {
  const order = edits.map((e, i) => ({ e, i }));
  order.sort((x, y) => x.e.start - y.e.start || (x.e.end - x.e.start) - (y.e.end - y.e.start) || x.i - y.i);
  let out = '';
  let pos = 0;
  for (const { e } of order) {
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

test('property: random non-overlapping edits agree with a slice-based implementation', () => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    const text = randomText(r, 40);
    const edits = shuffleKeepingInsertOrder(r, randomEdits(r, text.length));
    assert.doesNotThrow(() => checkEdits(text, edits), `seed ${seed}: checkEdits rejected valid edits`);
    const got = applyEdits(text, edits);
    const want = naive(text, edits);
    if (got !== want && failures.length < 5)
      failures.push(`seed ${seed}: text=${JSON.stringify(text)} edits=${JSON.stringify(edits.map((e) => [e.start, e.end, e.text]))}\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('property: edits given in position order agree with a slice-based implementation', () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const r = rng(seed * 7919);
    const text = randomText(r, 40);
    const edits = randomEdits(r, text.length);
    assert.equal(applyEdits(text, edits), naive(text, edits), `seed ${seed}`);
  }
});

test('property: random overlapping pairs are rejected', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const r = rng(seed + 100000);
    const text = randomText(r, 30) + 'xxxxxxxx';
    const a = Math.floor(r() * (text.length - 2));
    const b = a + 2 + Math.floor(r() * (text.length - a - 2));
    // a second range that shares at least one character with [a, b)
    const s = a + Math.floor(r() * (b - a));
    const e = Math.min(text.length, s + 1 + Math.floor(r() * 4));
    const edits = r() < 0.5 ? [E(a, b, 'p'), E(s, e, 'q')] : [E(s, e, 'q'), E(a, b, 'p')];
    assert.throws(() => applyEdits(text, edits), MemfixError, `seed ${seed}: ${JSON.stringify(edits)}`);
  }
});
