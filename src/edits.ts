/** Edits are (start, end, text) triples in JavaScript string indices; magic-string applies them. */
import MagicString from 'magic-string';
import { MemfixError } from './errors.ts';
import { lineOf } from './text.ts';

export interface Edit {
  /** POSIX path relative to the tree root */
  file: string;
  start: number;
  end: number;
  text: string;
}

/** Throws unless every edit is in bounds and no two edits overlap (inserts may share a point). */
export function checkEdits(text: string, edits: Edit[]): void {
  for (const e of edits) {
    if (!(Number.isInteger(e.start) && Number.isInteger(e.end) && 0 <= e.start && e.start <= e.end && e.end <= text.length))
      throw new MemfixError(`edit out of bounds [${e.start}, ${e.end}) in a ${text.length}-character file`, e.file);
  }
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const overlap = b.start < a.end || (a.start === b.start && a.start < a.end && b.start < b.end);
    if (overlap) throw new MemfixError(`overlapping edits [${a.start}, ${a.end}) and [${b.start}, ${b.end})`, a.file, lineOf(text, b.start));
  }
}

/** Apply one file's edits. Inserts at the same point keep the order they were given in. */
export function applyEdits(text: string, edits: Edit[]): string {
  if (edits.length === 0) return text;
  checkEdits(text, edits);
  const s = new MagicString(text);
  for (const e of edits) {
    if (e.start === e.end) s.appendLeft(e.start, e.text);
    else if (e.text === '') s.remove(e.start, e.end);
    else s.update(e.start, e.end, e.text); // update, not overwrite: keeps an insert attached at the range's end
  }
  return s.toString();
}

/** Group edits by file, keeping their order. */
export function byFile(edits: Edit[]): Map<string, Edit[]> {
  const m = new Map<string, Edit[]>();
  for (const e of edits) m.set(e.file, [...(m.get(e.file) ?? []), e]);
  return m;
}
