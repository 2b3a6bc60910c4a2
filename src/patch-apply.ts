/**
 * Apply parsed patches (patch-parse.ts) to an in-memory tree, forwards or backwards, for
 * `memfix check`; and read a `series` file's order. Pure: no I/O.
 *
 * Application is strict, like `git apply` with its defaults: every context and removed line must
 * match byte for byte (line endings included, no whitespace or CRLF conversion, no fuzz). Like git
 * and GNU patch, a hunk may still be found at an offset from the line its header names; a hunk
 * that starts at line 1 must match at the start of the file, and a hunk without trailing context
 * must match at its end.
 */
import { COVER_LETTER_NAME, splitRecords } from './series.ts';
import { MemfixError } from './errors.ts';
import type { Hunk, HunkLine, ParsedFile, ParsedPatch, PatchResult, Tree } from './patch-parse.ts';

// --------------------------------------------------------------------- apply

type Failure = { ok: false; file: string; hunk: number; hunkHeader: string; reason: string; line?: number };

/**
 * Apply one patch. On 'applies' the returned tree is a new, patched tree; on
 * 'already-applied' (the reverse patch applies cleanly) and 'fails' it is the
 * input tree. The input tree is never mutated.
 */
export function applyPatchToTree(tree: Tree, p: ParsedPatch): { result: PatchResult; tree: Tree } {
  const forward = applyFiles(tree, p.files, false);
  if (forward.ok) return { result: { patch: p.fileName, status: 'applies' }, tree: forward.tree };
  if (applyFiles(tree, p.files, true).ok) return { result: { patch: p.fileName, status: 'already-applied' }, tree };
  const { file, hunk, hunkHeader, reason, line } = forward;
  return { result: { patch: p.fileName, status: 'fails', file, hunk, hunkHeader, reason, ...(line ? { line } : {}) }, tree };
}

/** Undo a patch: the tree without it, or null when the patch does not reverse-apply cleanly. */
export function revertPatchInTree(tree: Tree, p: ParsedPatch): Tree | null {
  const r = applyFiles(tree, p.files, true);
  return r.ok ? r.tree : null;
}

function applyFiles(tree: Tree, files: ParsedFile[], reverse: boolean): { ok: true; tree: Tree } | Failure {
  const out = new Map(tree);
  for (const f of files) {
    const from = reverse ? f.newPath : f.oldPath;
    const to = reverse ? f.oldPath : f.newPath;
    const failFile = (reason: string): Failure => ({ ok: false, file: f.path, hunk: 0, hunkHeader: '', reason });
    let source = '';
    if (from === null || (to !== null && to !== from)) {
      if (out.has(to!)) return failFile(from === null ? 'the patch creates the file, but it already exists' : 'the rename target already exists');
    }
    if (from !== null) {
      const current = out.get(from);
      if (current === undefined) return failFile('no such file');
      source = current;
    }
    const r = applyHunks(source, reverse ? f.hunks.map(reverseHunk) : f.hunks);
    if (!r.ok) {
      const h = f.hunks[r.index];
      return { ok: false, file: f.path, hunk: r.index + 1, hunkHeader: h.header, reason: r.reason, ...(r.line ? { line: r.line } : {}) };
    }
    if (to === null) {
      if (r.text !== '') return failFile('the patch deletes the file, but its content differs from the patch');
      out.delete(from!);
    } else {
      if (from !== null && from !== to) out.delete(from);
      out.set(to, r.text);
    }
  }
  return { ok: true, tree: out };
}

function reverseHunk(h: Hunk): Hunk {
  return {
    ...h,
    oldStart: h.newStart,
    oldLines: h.newLines,
    newStart: h.oldStart,
    newLines: h.oldLines,
    lines: h.lines.map((l) => ({ ...l, op: l.op === '-' ? '+' : l.op === '+' ? '-' : ' ' })),
  };
}

/**
 * Where a hunk that does not apply is about: the start in `recs` at which most of its old side
 * matches (the nearest to `expected` among equals), as the 1-based line of its first removed line
 * there (its first line when it removes none); null when not one line of it matches.
 */
function nearestCode(recs: string[], oldSide: string[], oldOps: string[], expected: number): number | null {
  if (!oldSide.length) return null;
  let best = 0;
  let bestAt = -1;
  for (let at = -oldSide.length + 1; at < recs.length; at++) {
    let n = 0;
    for (let j = 0; j < oldSide.length; j++) if (at + j >= 0 && at + j < recs.length && recs[at + j] === oldSide[j]) n++;
    if (n > best || (n === best && n > 0 && Math.abs(at - expected) < Math.abs(bestAt - expected))) { best = n; bestAt = at; }
  }
  if (best === 0) return null;
  const first = Math.max(0, oldOps.indexOf('-'));
  return Math.min(recs.length, Math.max(1, bestAt + first + 1));
}

/** The line (1-based) of `text` where hunk `h`'s code is (see nearestCode), near line `near`; null when none of it is there. */
export function hunkCodeLine(text: string, h: Hunk, near: number): number | null {
  const old = h.lines.filter((l) => l.op !== '+');
  return nearestCode(splitRecords(text), old.map((l) => l.text + (l.eol ? '\n' : '')), old.map((l) => l.op), near - 1);
}

function applyHunks(source: string, hunks: Hunk[]): { ok: true; text: string } | { ok: false; index: number; reason: string; line?: number } {
  const recs = splitRecords(source);
  const out: string[] = [];
  let pos = 0; // first record not yet consumed: hunks apply in order and never overlap
  let offset = 0; // where the previous hunk landed relative to its header
  for (let k = 0; k < hunks.length; k++) {
    const h = hunks[k];
    const rec = (l: HunkLine) => l.text + (l.eol ? '\n' : '');
    const oldSide = h.lines.filter((l) => l.op !== '+').map(rec);
    const newSide = h.lines.filter((l) => l.op !== '-').map(rec);
    let trailing = 0;
    while (trailing < h.lines.length && h.lines[h.lines.length - 1 - trailing].op === ' ') trailing++;
    const matchBeginning = h.oldStart <= 1; // git apply: such a hunk must match at the start
    const matchEnd = trailing === 0; // ... and one without trailing context at the end
    const base = h.oldLines === 0 ? h.oldStart : h.oldStart - 1;
    const expected = base + offset;
    const maxStart = recs.length - oldSide.length;

    const fits = (at: number) =>
      at >= pos &&
      at <= maxStart &&
      (!matchBeginning || at === 0) &&
      (!matchEnd || at === maxStart) &&
      oldSide.every((line, j) => recs[at + j] === line);
    let found = -1;
    for (let d = 0; expected - d >= pos || expected + d <= maxStart; d++) {
      if (fits(expected + d)) found = expected + d;
      else if (d > 0 && fits(expected - d)) found = expected - d;
      if (found >= 0) break;
    }
    if (found < 0) {
      // name the line where the hunk's code is now (what a reader looks for), not where the header says it was
      const line = nearestCode(recs, oldSide, h.lines.filter((l) => l.op !== '+').map((l) => l.op), expected);
      const where = matchBeginning ? 'at the start of the file' : matchEnd ? 'at the end of the file' : line ? `with the code at line ${line}` : `at or near line ${expected + 1}`;
      return { ok: false, index: k, reason: `context or removed lines do not match ${where} (no fuzz, exact line endings)`, ...(line ? { line } : {}) };
    }
    for (let j = pos; j < found; j++) out.push(recs[j]);
    out.push(...newSide);
    pos = found + oldSide.length;
    offset = found - base;
  }
  for (let j = pos; j < recs.length; j++) out.push(recs[j]);
  return { ok: true, text: out.join('') };
}

// -------------------------------------------------------------------- series

/**
 * The patches of a series in application order: the quilt `series` file's
 * order when there is one (every entry must name one of patchFileNames),
 * else the `NNNN-*.patch` files by number. The cover letter is never part of it.
 */
export function readSeriesOrder(seriesFileText: string | null, patchFileNames: string[]): string[] {
  const available = new Set(patchFileNames);
  if (seriesFileText !== null) {
    const order: string[] = [];
    seriesFileText.split('\n').forEach((raw, idx) => {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (!line) return;
      const name = line.split(/\s+/)[0];
      if (name === COVER_LETTER_NAME) return;
      if (!available.has(name)) throw new MemfixError(`the series lists ${name}, but there is no such patch file`, 'series', idx + 1);
      if (order.includes(name)) throw new MemfixError(`${name} is listed twice`, 'series', idx + 1);
      order.push(name);
    });
    return order;
  }
  return patchFileNames
    .map((name) => ({ name, m: /^(\d{4,})-.+\.patch$/.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null && e.name !== COVER_LETTER_NAME)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => e.name);
}
