/**
 * The diff part of a patch as git format-patch --full-index writes it (git v2.39): each file's
 * header and hunks (-U3, default function names), and the cover letter's diffstat. Lines come
 * from jsdiff's diffArrays over the files' records (a record ends at '\n'; "\r\n" stays in it).
 */
import { createHash } from 'node:crypto';
import { diffArrays } from 'diff';
import { MemfixError } from './errors.ts';
import { isGitSpace, wrapText } from './mail-text.ts';

export const ZERO_OID = '0'.repeat(40);
export const MAIL_WRAP = 72; // git's MAIL_DEFAULT_WRAP: diffstat and shortlog width
const CONTEXT = 3; // git's default -U3
const MODE = '100644';

/** POSIX path relative to the tree root; null = absent (add/delete). */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

export interface FileDiff {
  path: string;
  before: string | null;
  after: string | null;
  added: number;
  deleted: number;
  /** From "diff --git" to the end of the last hunk. */
  text: string;
}

/** git object id of a blob with this content. */
export function blobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Compare paths in git's tree order (bytewise on UTF-8). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** quote_c_style() with core.quotePath=true: quote when a byte is a control, '"', '\\' or non-ASCII. */
function quoteCPath(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  if (!bytes.some((b) => b < 0x20 || b === 0x22 || b === 0x5c || b >= 0x7f)) return s;
  const named: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 0x22: '"', 0x5c: '\\' };
  let out = '"';
  for (const b of bytes) {
    if (named[b] !== undefined) out += '\\' + named[b];
    else if (b < 0x20 || b >= 0x7f) out += '\\' + b.toString(8).padStart(3, '0');
    else out += String.fromCharCode(b);
  }
  return out + '"';
}

/** Split into git records: every line keeps its "\n"; only the last may lack one. */
export function splitRecords(s: string): string[] {
  const recs: string[] = [];
  let start = 0;
  while (start < s.length) {
    const nl = s.indexOf('\n', start);
    const end = nl < 0 ? s.length : nl + 1;
    recs.push(s.slice(start, end));
    start = end;
  }
  return recs;
}

export function renderFileDiff(c: FileChange): FileDiff {
  const aName = quoteCPath('a/' + c.path);
  const bName = quoteCPath('b/' + c.path);
  let text = `diff --git ${aName} ${bName}\n`;
  if (c.before === null) text += `new file mode ${MODE}\n`;
  if (c.after === null) text += `deleted file mode ${MODE}\n`;
  const oldId = c.before === null ? ZERO_OID : blobId(c.before);
  const newId = c.after === null ? ZERO_OID : blobId(c.after);
  text += `index ${oldId}..${newId}${c.before !== null && c.after !== null ? ' ' + MODE : ''}\n`;

  const hunks = renderHunks(splitRecords(c.before ?? ''), splitRecords(c.after ?? ''));
  if (hunks.text) {
    const minus = c.before === null ? '/dev/null' : aName;
    const plus = c.after === null ? '/dev/null' : bName;
    // emit_diff_symbol(DIFF_SYMBOL_FILEPAIR_*): a tab after a name with a space.
    text += `--- ${minus}${minus.includes(' ') ? '\t' : ''}\n`;
    text += `+++ ${plus}${plus.includes(' ') ? '\t' : ''}\n`;
    text += hunks.text;
  }
  return { path: c.path, before: c.before, after: c.after, added: hunks.added, deleted: hunks.deleted, text };
}

/** A change atom, as xdiff's xdchange_t: chg1 old records at i1 replaced by chg2 new records at i2. */
interface ChangeAtom {
  i1: number;
  chg1: number;
  i2: number;
  chg2: number;
}

/** How many records both lists share at their start (head) and, after those, at their end (tail). */
function trimEnds(a: string[], b: string[]): { head: number; tail: number } {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { head, tail };
}

function computeChanges(oldRecs: string[], newRecs: string[]): ChangeAtom[] {
  // the records both ends share are no change: git's xdiff drops them before it diffs
  // (xdl_trim_ends), and so does this, which leaves the line diff a fix's few regions of a file
  // rather than the whole of it
  const { head, tail } = trimEnds(oldRecs, newRecs);
  // the records as they are: diffLines would join them and split the text again into the same
  // lines (a record ends at '\n', as a line of diffLines does: "\r\n" stays in it)
  const parts = diffArrays(oldRecs.slice(head, oldRecs.length - tail), newRecs.slice(head, newRecs.length - tail));
  const changes: ChangeAtom[] = [];
  let i1 = head;
  let i2 = head;
  let cur: ChangeAtom | null = null;
  for (const part of parts) {
    const n = part.count ?? 0;
    if (!part.added && !part.removed) {
      cur = null;
      i1 += n;
      i2 += n;
      continue;
    }
    // Adjacent removals/additions form one atom: all '-' lines, then all '+' lines, as git prints them.
    if (!cur) {
      cur = { i1, chg1: 0, i2, chg2: 0 };
      changes.push(cur);
    }
    if (part.removed) {
      cur.chg1 += n;
      i1 += n;
    } else {
      cur.chg2 += n;
      i2 += n;
    }
  }
  if (i1 + tail !== oldRecs.length || i2 + tail !== newRecs.length) {
    throw new MemfixError('internal error: line diff does not cover both files'); // tokenizer mismatch
  }
  return changes;
}

/** xdl_emit_diff() with -U3 and default function names: group atoms into hunks and print them. */
function renderHunks(oldRecs: string[], newRecs: string[]): { text: string; added: number; deleted: number } {
  const changes = computeChanges(oldRecs, newRecs);
  let text = '';
  let added = 0;
  let deleted = 0;
  for (let k = 0; k < changes.length; ) {
    // xdl_get_hunk(): merge atoms separated by at most 2*context common lines.
    let last = k;
    while (last + 1 < changes.length && changes[last + 1].i1 - (changes[last].i1 + changes[last].chg1) <= 2 * CONTEXT) last++;
    const first = changes[k];
    const end = changes[last];
    const s1 = Math.max(first.i1 - CONTEXT, 0);
    const s2 = Math.max(first.i2 - CONTEXT, 0);
    const lctx = Math.min(CONTEXT, oldRecs.length - (end.i1 + end.chg1), newRecs.length - (end.i2 + end.chg2));
    const e1 = end.i1 + end.chg1 + lctx;
    const e2 = end.i2 + end.chg2 + lctx;
    text += hunkHeader(s1 + 1, e1 - s1, s2 + 1, e2 - s2, functionName(oldRecs, s1)) + '\n';

    for (let j = s2; j < first.i2; j++) text += record(' ', newRecs[j]);
    for (let m = k; m <= last; m++) {
      const ch = changes[m];
      if (m > k) {
        const prev = changes[m - 1];
        for (let j = prev.i2 + prev.chg2; j < ch.i2; j++) text += record(' ', newRecs[j]);
      }
      for (let j = ch.i1; j < ch.i1 + ch.chg1; j++) text += record('-', oldRecs[j]);
      for (let j = ch.i2; j < ch.i2 + ch.chg2; j++) text += record('+', newRecs[j]);
      deleted += ch.chg1;
      added += ch.chg2;
    }
    for (let j = end.i2 + end.chg2; j < e2; j++) text += record(' ', newRecs[j]);
    k = last + 1;
  }
  return { text, added, deleted };
}

export function record(prefix: string, rec: string): string {
  return rec.endsWith('\n') ? prefix + rec : prefix + rec + '\n\\ No newline at end of file\n';
}

/** xdl_format_hunk_hdr(): "-s,c" with the count omitted when 1 and start-1 when the count is 0. */
export function hunkHeader(s1: number, c1: number, s2: number, c2: number, func: Buffer | null): string {
  const range = (s: number, c: number) => `${c ? s : s - 1}${c !== 1 ? ',' + c : ''}`;
  const head = `@@ -${range(s1, c1)} +${range(s2, c2)} @@`;
  if (!func || func.length === 0) return head;
  const room = 128 - (head.length + 1) - 1; // git formats into a 128-byte buffer
  return head + ' ' + utf8Prefix(func.subarray(0, Math.min(func.length, room)));
}

/**
 * get_func_line() + def_ff(): the nearest line above the hunk (in the old
 * file) starting with a letter, '_' or '$'; its first 80 bytes, trailing
 * whitespace trimmed.
 */
export function functionName(oldRecs: string[], s1: number): Buffer | null {
  for (let l = s1 - 1; l >= 0; l--) {
    const rec = oldRecs[l];
    if (!/^[A-Za-z_$]/.test(rec)) continue;
    let bytes = Buffer.from(rec, 'utf8');
    if (bytes.length > 80) bytes = bytes.subarray(0, 80);
    let len = bytes.length;
    while (len > 0 && isGitSpace(bytes[len - 1])) len--;
    return bytes.subarray(0, len);
  }
  return null;
}

/** sane_truncate_line(): decode, dropping a UTF-8 sequence cut at the end. */
function utf8Prefix(bytes: Buffer): string {
  let end = bytes.length;
  let k = end - 1;
  while (k >= 0 && k > end - 4 && (bytes[k] & 0xc0) === 0x80) k--;
  if (k >= 0 && bytes[k] >= 0xc0) {
    const need = bytes[k] >= 0xf0 ? 4 : bytes[k] >= 0xe0 ? 3 : 2;
    if (end - k < need) end = k;
  }
  return bytes.subarray(0, end).toString('utf8');
}

// ------------------------------------------------------------------ diffstat


/** The records a line diff of `a` and `b` (jsdiff's, as computeChanges makes it) deletes and adds. */
export function diffCounts(a: string[], b: string[]): { deleted: number; added: number } {
  const { head, tail } = trimEnds(a, b);
  let deleted = 0;
  let added = 0;
  for (const p of diffArrays(a.slice(head, a.length - tail), b.slice(head, b.length - tail))) {
    if (p.added) added += p.count ?? 0;
    else if (p.removed) deleted += p.count ?? 0;
  }
  return { deleted, added };
}

/**
 * show_stats() at format-patch's width of 72 columns, then the totals line
 * and the create/delete summary (--stat --summary).
 */
export function renderStat(diffs: FileDiff[]): string {
  if (diffs.length === 0) return '';
  const names = diffs.map((d) => quoteCPath(d.path)); // quoted names are ASCII: width == length
  const maxLen = Math.max(...names.map((n) => n.length));
  const maxChange = Math.max(...diffs.map((d) => d.added + d.deleted));
  const numberWidth = String(maxChange).length;
  let width = MAIL_WRAP;
  if (width < 16 + 6 + numberWidth) width = 16 + 6 + numberWidth;
  let graphWidth = maxChange;
  let nameWidth = maxLen;
  if (nameWidth + numberWidth + 6 + graphWidth > width) {
    const limit = Math.trunc((width * 3) / 8) - numberWidth - 6;
    if (graphWidth > limit) graphWidth = Math.max(limit, 6);
    if (nameWidth > width - numberWidth - 6 - graphWidth) nameWidth = width - numberWidth - 6 - graphWidth;
    else graphWidth = width - numberWidth - 6 - nameWidth;
  }
  const scale = (it: number) => (it === 0 ? 0 : 1 + Math.trunc((it * (graphWidth - 1)) / maxChange));

  let out = '';
  let adds = 0;
  let dels = 0;
  diffs.forEach((d, i) => {
    let name = names[i];
    let prefix = '';
    let len = nameWidth;
    if (nameWidth < name.length) {
      prefix = '...';
      len -= 3;
      name = name.slice(name.length - len);
      const slash = name.indexOf('/');
      if (slash >= 0) name = name.slice(slash);
    }
    const padding = Math.max(len - name.length, 0);
    let add = d.added;
    let del = d.deleted;
    if (graphWidth <= maxChange) {
      let totalCols = scale(add + del);
      if (totalCols < 2 && add && del) totalCols = 2;
      if (add < del) {
        add = scale(add);
        del = totalCols - add;
      } else {
        del = scale(del);
        add = totalCols - del;
      }
    }
    const changed = d.added + d.deleted;
    out += ` ${prefix}${name}${' '.repeat(padding)} | ${String(changed).padStart(numberWidth)}${changed ? ' ' : ''}`;
    out += '+'.repeat(add) + '-'.repeat(del) + '\n';
    adds += d.added;
    dels += d.deleted;
  });

  // print_stat_summary_inserts_deletes()
  const files = diffs.length;
  out += files === 1 ? ` ${files} file changed` : ` ${files} files changed`;
  if (adds || dels === 0) out += adds === 1 ? `, ${adds} insertion(+)` : `, ${adds} insertions(+)`;
  if (dels || adds === 0) out += dels === 1 ? `, ${dels} deletion(-)` : `, ${dels} deletions(-)`;
  out += '\n';

  // show_file_mode_name(): --summary
  for (const d of diffs) {
    if (d.before === null) out += ` create mode ${MODE} ${quoteCPath(d.path)}\n`;
    else if (d.after === null) out += ` delete mode ${MODE} ${quoteCPath(d.path)}\n`;
  }
  return out;
}
