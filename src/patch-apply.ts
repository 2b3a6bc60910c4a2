/**
 * Apply parsed patches (patch-parse.ts) to an in-memory tree, forwards or backwards, for
 * `memfix check`; and read a `series` file's order. Pure: no I/O.
 *
 * Each hunk goes through jsdiff's applyPatch (no fuzz, no line-ending conversion), one hunk at a
 * time so that a failure names its hunk, held to `git apply`'s defaults by its compareLine: every
 * context and removed line must match byte for byte, line ending included (a line "\ No newline
 * at end of file" follows matches only the file's unterminated last line); like git and GNU
 * patch, a hunk may still be found at an offset from the line its header names (jsdiff searches
 * outwards from there, as they do); a hunk that starts at line 1 must match at the start of the
 * file, one without trailing context at its end, and hunks apply in order without overlapping.
 */
import { applyPatch, reversePatch, type StructuredPatch, type StructuredPatchHunk } from 'diff';
import { COVER_LETTER_NAME, splitRecords } from './series.ts';
import { MemfixError } from './errors.ts';
import type { ParsedFile, ParsedPatch, PatchResult, Tree } from './patch-parse.ts';

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
    const r = applyHunks(source, reverse ? reversePatch(patchOf(f.hunks)).hunks : f.hunks);
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

/** jsdiff's patch of a file, for its hunks. */
const patchOf = (hunks: StructuredPatchHunk[]): StructuredPatch => ({ oldFileName: undefined, newFileName: undefined, oldHeader: undefined, newHeader: undefined, hunks });

/** The records of a hunk's old (ops " -") or new (ops " +") side: "text\n", or "text" when "\ No newline" follows. */
function side(h: StructuredPatchHunk, ops: string): string[] {
  return h.lines.flatMap((l, k) => (ops.includes(l[0]) ? [l.slice(1) + (h.lines[k + 1]?.[0] === '\\' ? '' : '\n')] : []));
}

/** A hunk's old side, and the index of its first removed line (0 when none). */
function oldSide(h: StructuredPatchHunk): { recs: string[]; firstRemoved: number } {
  return { recs: side(h, ' -'), firstRemoved: Math.max(0, h.lines.filter((l) => l[0] === ' ' || l[0] === '-').findIndex((l) => l[0] === '-')) };
}

/**
 * Where a hunk that does not apply is about: the start in `recs` at which most of its old side
 * matches (the nearest to `expected` among equals), as the 1-based line of its first removed line
 * there (its first line when it removes none); null when not one line of it matches.
 */
function nearestCode(recs: string[], old: { recs: string[]; firstRemoved: number }, expected: number): number | null {
  if (!old.recs.length) return null;
  let best = 0;
  let bestAt = -1;
  for (let at = -old.recs.length + 1; at < recs.length; at++) {
    let n = 0;
    for (let j = 0; j < old.recs.length; j++) if (at + j >= 0 && at + j < recs.length && recs[at + j] === old.recs[j]) n++;
    if (n > best || (n === best && n > 0 && Math.abs(at - expected) < Math.abs(bestAt - expected))) { best = n; bestAt = at; }
  }
  if (best === 0) return null;
  return Math.min(recs.length, Math.max(1, bestAt + old.firstRemoved + 1));
}

/** The line (1-based) of `text` where hunk `h`'s code is (see nearestCode), near line `near`; null when none of it is there. */
export function hunkCodeLine(text: string, h: StructuredPatchHunk, near: number): number | null {
  return nearestCode(splitRecords(text), oldSide(h), near - 1);
}

function applyHunks(source: string, hunks: StructuredPatchHunk[]): { ok: true; text: string } | { ok: false; index: number; reason: string; line?: number } {
  const sourceLines = splitRecords(source).length;
  let text = source;
  let pos = 0; // first line of the source not yet used: hunks apply in order and never overlap
  let offset = 0; // where the previous hunk landed relative to its header
  let shift = 0; // lines the hunks applied so far added (or removed): a line of `text` is that much below the source's
  for (let k = 0; k < hunks.length; k++) {
    const h = hunks[k];
    const old = oldSide(h);
    const recs = splitRecords(text);
    const matchBeginning = h.oldStart <= 1; // git apply: such a hunk must match at the start
    const matchEnd = h.lines.filter((l) => l[0] !== '\\').at(-1)?.[0] !== ' '; // ... and one without trailing context at the end
    const base = h.oldLines === 0 ? h.oldStart : h.oldStart - 1;
    const expected = base + offset;
    const last = sourceLines - old.recs.length;
    // where the hunk may start, as a line of the source
    const allowed = (at: number) => at >= pos && at <= last && (!matchBeginning || at === 0) && (!matchEnd || at === last);
    // jsdiff compares the old side's lines one after the other where it tries the hunk, and stops
    // at the first that differs: j is the line being compared, `found` where all of them matched
    let j = 0;
    let found = -1;
    const compareLine = (lineNumber: number) => {
      const at = lineNumber - 1 - j - shift;
      const same = allowed(at) && recs[lineNumber - 1] === old.recs[j];
      j = same ? j + 1 : 0;
      if (j === old.recs.length) [found, j] = [at, 0];
      return same;
    };
    // a hunk with no old side has nothing for jsdiff to find: git puts it at the end (after a last line without "\n" too)
    if (!old.recs.length && allowed(last)) found = last;
    const patched = !old.recs.length
      ? found >= 0 && text + side(h, '+').join('')
      : applyPatch(text, patchOf([{ ...h, oldStart: expected + shift + 1 }]), { compareLine, autoConvertLineEndings: false });
    if (patched === false || found < 0) {
      // name the line where the hunk's code is now (what a reader looks for), not where the header says it was
      const line = nearestCode(splitRecords(source), old, expected);
      const where = matchBeginning ? 'at the start of the file' : matchEnd ? 'at the end of the file' : line ? `with the code at line ${line}` : `at or near line ${expected + 1}`;
      return { ok: false, index: k, reason: `context or removed lines do not match ${where} (no fuzz, exact line endings)`, ...(line ? { line } : {}) };
    }
    text = patched;
    offset = found - base;
    pos = found + old.recs.length;
    shift += side(h, ' +').length - old.recs.length;
  }
  return { ok: true, text };
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
