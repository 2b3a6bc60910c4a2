/**
 * Render a patch series exactly as `git format-patch --full-index
 * --cover-letter --zero-commit` would, plus a quilt `series` file.
 *
 * Pure: no I/O. Every byte of the output is a function of the arguments, whatever git is
 * installed (or none): `git format-patch` would need the fixes committed in a scratch repository
 * (three git processes and a temporary object store per series), and its hunks change with
 * git's version and diff settings. test/series.test.ts compares the output with git's byte for byte.
 *
 * Where git's behaviour is reproduced, the comment names the git function
 * (git v2.39) it mirrors. Known, deliberate differences from git:
 *  - hunks come from jsdiff's line diff (Myers), not from git's xdiff with
 *    the indent heuristic: where a change is ambiguous (e.g. a block inserted
 *    next to identical lines) the hunks may differ from git's, but are
 *    equivalent and apply with `git am` / `patch`;
 *  - a patch message gets the MIME / `Content-Transfer-Encoding: 8bit`
 *    headers when its subject, body OR DIFF contains non-ASCII (git looks at
 *    the commit message only), and the cover letter also when its own
 *    subject/body is non-ASCII. That keeps 8-bit mail honest; `git am` reads
 *    both forms the same way;
 *  - file content must be text (no NUL byte): git would emit a binary diff.
 *
 * Content with CRLF line endings is reproduced byte for byte (the CR stays at
 * the end of the diff line); such patches must be applied with
 * `git am --keep-cr`, because `git mailsplit` strips CRs otherwise.
 */
import { createHash } from 'node:crypto';
import { diffArrays } from 'diff';
import { MemfixError } from './errors.ts';

/** POSIX path relative to the tree root; null = absent (add/delete). */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}
export interface PatchSpec {
  slug: string;
  subject: string;
  body: string;
  changes: FileChange[];
}
export interface Identity {
  name: string;
  email: string;
}
export interface SeriesOptions {
  author: Identity;
  date: { epochSeconds: number; tzOffsetMinutes: number };
  baseCommit?: string;
  cover: { subject: string; body: string };
  /** e.g. "memfix 0.1.0"; empty = no signature, as with git. */
  signature: string;
}
export interface SeriesFile {
  name: string;
  content: string;
}

export const COVER_LETTER_NAME = '0000-cover-letter.patch';
const ZERO_OID = '0'.repeat(40);
const CONTEXT = 3; // git's default -U3
const MAIL_WRAP = 72; // git's MAIL_DEFAULT_WRAP: diffstat and shortlog width
const HEADER_WIDTH = 78; // pp_title_line / pp_user_info, per RFC 2822
const RFC2047_MAX = 76; // add_rfc2047, per RFC 2047
const MODE = '100644';

/** Render the cover letter, the numbered patches and the quilt `series` file, in that order. */
export function renderSeries(patches: PatchSpec[], opts: SeriesOptions): SeriesFile[] {
  validateOptions(opts);
  if (patches.length === 0) throw new MemfixError('cannot render an empty patch series');
  const specs = patches.map(normalizePatch);
  checkConsistency(specs);
  const total = specs.length;
  const ident = renderIdentityHeaders(opts);
  const names = specs.map((p, i) => `${String(i + 1).padStart(4, '0')}-${p.slug}.patch`);

  const files: SeriesFile[] = [{ name: COVER_LETTER_NAME, content: renderCover(specs, opts, ident) }];
  specs.forEach((p, i) => files.push({ name: names[i], content: renderPatch(p, i + 1, total, opts, ident) }));
  files.push({ name: 'series', content: names.map((n) => n + '\n').join('') });
  return files;
}

// ---------------------------------------------------------------- validation

interface NormalizedPatch {
  slug: string;
  subject: string;
  bodyLines: string[];
  /** Effective changes, sorted in git's (byte) path order, each with its rendered diff. */
  diffs: FileDiff[];
}

function validateOptions(opts: SeriesOptions): void {
  const { name, email } = opts.author;
  if (!name.trim() || /[<>\n\r\0]/.test(name)) throw new MemfixError(`invalid author name ${JSON.stringify(name)}`);
  if (!email.trim() || /[<>\s\0]/.test(email)) throw new MemfixError(`invalid author email ${JSON.stringify(email)}`);
  const { epochSeconds, tzOffsetMinutes } = opts.date;
  if (!Number.isSafeInteger(epochSeconds) || epochSeconds < 0) throw new MemfixError(`invalid date ${epochSeconds}`);
  if (!Number.isInteger(tzOffsetMinutes) || Math.abs(tzOffsetMinutes) > 99 * 60 + 59) {
    throw new MemfixError(`invalid time zone offset ${tzOffsetMinutes}`);
  }
  if (opts.baseCommit !== undefined && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(opts.baseCommit)) {
    throw new MemfixError(`invalid base commit ${JSON.stringify(opts.baseCommit)}: expected a full hex object id`);
  }
  checkSubject(opts.cover.subject, 'cover letter');
  if (opts.cover.body.includes('\0') || opts.signature.includes('\0')) throw new MemfixError('NUL byte in cover letter');
}

function checkSubject(subject: string, what: string): string {
  const s = trimEndGit(subject);
  if (!s.trim()) throw new MemfixError(`${what}: empty subject`);
  if (/[\n\0]/.test(s)) throw new MemfixError(`${what}: the subject must be a single line`);
  return s;
}

function normalizePatch(p: PatchSpec, index: number): NormalizedPatch {
  const what = `patch ${index + 1} (${p.slug})`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.slug)) {
    throw new MemfixError(`patch ${index + 1}: invalid slug ${JSON.stringify(p.slug)} (use letters, digits, '.', '_', '-')`);
  }
  const subject = checkSubject(p.subject, what);
  const bodyLines = messageLines(p.body);
  while (bodyLines.length && bodyLines[bodyLines.length - 1] === '') bodyLines.pop(); // strbuf_rtrim
  for (const line of bodyLines) {
    // git mailinfo would cut the commit message at such a line (patchbreak()).
    if (isPatchBreak(line)) throw new MemfixError(`${what}: body line ${JSON.stringify(line)} would be read as the start of the patch`);
  }
  if (bodyLines.length && /^(From|Subject|Date):/i.test(bodyLines[0])) {
    throw new MemfixError(`${what}: a body starting with "${bodyLines[0].split(':')[0]}:" would be read as an in-body header`);
  }
  if (p.body.includes('\0')) throw new MemfixError(`${what}: NUL byte in body`);

  const seen = new Set<string>();
  const changes: FileChange[] = [];
  for (const c of p.changes) {
    checkPath(c.path, what);
    if (seen.has(c.path)) throw new MemfixError(`${what}: ${c.path} is changed twice`);
    seen.add(c.path);
    if (c.before === null && c.after === null) throw new MemfixError(`${what}: ${c.path}: both before and after are absent`);
    for (const side of [c.before, c.after]) {
      if (side !== null && side.includes('\0')) throw new MemfixError(`${what}: ${c.path}: binary content (NUL byte) is not supported`);
    }
    if (c.before !== c.after) changes.push(c);
  }
  if (changes.length === 0) throw new MemfixError(`${what}: the patch changes nothing`);
  changes.sort((a, b) => comparePaths(a.path, b.path));
  return { slug: p.slug, subject, bodyLines, diffs: changes.map(renderFileDiff) };
}

function checkPath(path: string, what: string): void {
  const bad =
    path === '' ||
    path.includes('\0') ||
    path.startsWith('/') ||
    path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..' || seg.toLowerCase() === '.git');
  if (bad) throw new MemfixError(`${what}: invalid path ${JSON.stringify(path)} (must be a relative POSIX path)`);
}

/** Each patch must start from the state the previous patches left. */
function checkConsistency(specs: NormalizedPatch[]): void {
  const state = new Map<string, string | null>();
  specs.forEach((p, i) => {
    for (const d of p.diffs) {
      if (state.has(d.path) && state.get(d.path) !== d.before) {
        throw new MemfixError(
          `patch ${i + 1} (${p.slug}): ${d.path}: 'before' differs from what the earlier patches leave`,
        );
      }
      state.set(d.path, d.after);
    }
  });
}

// ------------------------------------------------------------------ messages

interface IdentityHeaders {
  from: string;
  date: string;
}

function renderIdentityHeaders(opts: SeriesOptions): IdentityHeaders {
  return { from: fromHeader(opts.author), date: `Date: ${rfc2822Date(opts.date.epochSeconds, opts.date.tzOffsetMinutes)}\n` };
}

const MIME_HEADERS = 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n';
const MBOX_FROM = `From ${ZERO_OID} Mon Sep 17 00:00:00 2001\n`;

function renderPatch(p: NormalizedPatch, nr: number, total: number, opts: SeriesOptions, ident: IdentityHeaders): string {
  const diffText = p.diffs.map((d) => d.text).join('');
  const needMime = hasNonAscii(p.subject) || p.bodyLines.some(hasNonAscii) || hasNonAscii(diffText);
  let out = MBOX_FROM + ident.from + ident.date + subjectHeader(p.subject, nr, total) + (needMime ? MIME_HEADERS : '');
  out += '\n';
  if (p.bodyLines.length) out += p.bodyLines.join('\n') + '\n';
  out += '---\n';
  out += renderStat(p.diffs) + '\n';
  out += diffText;
  return out + signatureBlock(opts.signature);
}

function renderCover(specs: NormalizedPatch[], opts: SeriesOptions, ident: IdentityHeaders): string {
  const subject = checkSubject(opts.cover.subject, 'cover letter');
  const bodyLines = messageLines(opts.cover.body);
  // make_cover_letter(): 8-bit if any commit (author or message) is non-ASCII.
  const needMime =
    hasNonAscii(opts.author.name + opts.author.email) ||
    specs.some((p) => hasNonAscii(p.subject) || p.bodyLines.some(hasNonAscii)) ||
    hasNonAscii(subject) ||
    bodyLines.some(hasNonAscii);
  let out = MBOX_FROM + ident.from + ident.date + subjectHeader(subject, 0, specs.length) + (needMime ? MIME_HEADERS : '');
  out += '\n' + bodyLines.map((l) => l + '\n').join('') + '\n';

  // shortlog_output(): "Name (N):", subjects wrapped at 72 columns, indent 2/4.
  out += `${opts.author.name} (${specs.length}):\n`;
  for (const p of specs) out += wrapText(shortlogSubject(p.subject), 2, 4, MAIL_WRAP) + '\n';
  out += '\n';

  // show_diffstat(): the whole series as one diff, then a blank line.
  out += renderStat(combinedDiffs(specs)) + '\n';
  if (opts.baseCommit) out += `\nbase-commit: ${opts.baseCommit}\n`;
  return out + signatureBlock(opts.signature);
}

function signatureBlock(signature: string): string {
  if (!signature) return '';
  return '-- \n' + signature + (signature.endsWith('\n') ? '' : '\n') + '\n';
}

/** Lines of a message body as pp_remainder() prints them: trailing whitespace trimmed, leading blank lines skipped. */
function messageLines(body: string): string[] {
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out = lines.map(trimEndGit);
  while (out.length && out[0] === '') out.shift();
  return out;
}

/** mailinfo's patchbreak(): a line git am takes as the start of the patch. */
export function isPatchBreak(line: string): boolean {
  if (line.startsWith('diff -') || line.startsWith('Index: ')) return true;
  if (!line.startsWith('---')) return false;
  if (line[3] === ' ' && line.length > 4 && !isGitSpace(line.charCodeAt(4))) return true;
  return /^---[ \t\r]*$/.test(line);
}

/** insert_one_record(): drop a leading "[PATCH...]" from the subject. */
function shortlogSubject(subject: string): string {
  let s = subject.replace(/^[ \t\r\n]+/, '');
  if (s.startsWith('[PATCH')) {
    const eob = s.indexOf(']');
    if (eob >= 0) s = s.slice(eob + 1);
  }
  return s.replace(/^[ \t\r]+/, '');
}

function subjectHeader(title: string, nr: number, total: number): string {
  const digits = String(total).length;
  const prefix = `Subject: [PATCH ${String(nr).padStart(digits, '0')}/${total}] `;
  if (needsRfc2047(title)) return prefix + rfc2047(title, byteLength(prefix), false) + '\n';
  return prefix + wrapText(title, -byteLength(prefix), 1, HEADER_WIDTH) + '\n';
}

/** pp_user_info() for the mail formats. */
function fromHeader(id: Identity): string {
  let sb = 'From: ';
  let maxLength = HEADER_WIDTH;
  if (needsRfc2047(id.name)) {
    sb += rfc2047(id.name, byteLength(sb), true);
    maxLength = RFC2047_MAX;
  } else if (/[()<>[\]:;@,."\\]/.test(id.name)) {
    sb += wrapText('"' + id.name.replace(/["\\]/g, '\\$&') + '"', -6, 1, maxLength);
  } else {
    sb += wrapText(id.name, -6, 1, maxLength);
  }
  const lastLine = sb.slice(sb.lastIndexOf('\n') + 1);
  if (maxLength < byteLength(lastLine) + 2 + byteLength(id.email) + 1) sb += '\n';
  return sb + ` <${id.email}>\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** show_date(DATE_RFC2822): "Thu, 1 Jan 2026 00:00:00 +0000", in the author's zone. */
function rfc2822Date(epochSeconds: number, tzOffsetMinutes: number): string {
  const d = new Date((epochSeconds + tzOffsetMinutes * 60) * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const abs = Math.abs(tzOffsetMinutes);
  const tz = (tzOffsetMinutes < 0 ? '-' : '+') + p2(Math.floor(abs / 60)) + p2(abs % 60);
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${tz}`
  );
}

// ------------------------------------------------- RFC 2047 and text wrapping

function hasNonAscii(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

/** needs_rfc2047_encoding(); ESC counts as non-ASCII for git. */
function needsRfc2047(s: string): boolean {
  return /[^\x00-\x7f]|[\x1b\n]|=\?/.test(s);
}

/** add_rfc2047(): Q-encode, folding so no encoded line exceeds 76 columns; whole characters per word. */
function rfc2047(text: string, lineLen: number, address: boolean): string {
  const open = '=?UTF-8?q?';
  let out = open;
  lineLen += open.length;
  for (const ch of text) {
    const bytes = Buffer.from(ch, 'utf8');
    const special = bytes.length > 1 || isRfc2047Special(bytes[0], address);
    const encodedLen = special ? 3 * bytes.length : 1;
    if (lineLen + encodedLen + 2 > RFC2047_MAX) {
      out += '?=\n ' + open;
      lineLen = open.length + 1;
    }
    out += special ? Array.from(bytes, (b) => '=' + b.toString(16).toUpperCase().padStart(2, '0')).join('') : ch;
    lineLen += encodedLen;
  }
  return out + '?=';
}

function isRfc2047Special(b: number, address: boolean): boolean {
  if (b >= 0x80 || b === 0x1b || b < 0x20 || b === 0x7f) return true;
  if (isGitSpace(b) || b === 0x3d || b === 0x3f || b === 0x5f) return true; // space = ? _
  if (!address) return false;
  const c = String.fromCharCode(b);
  return !/[A-Za-z0-9!*+\-/]/.test(c);
}

/** git's isspace(): space, \t, \n, \r only. */
function isGitSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function trimEndGit(s: string): string {
  let end = s.length;
  while (end > 0 && isGitSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * strbuf_add_wrapped_text(): wrap at `width` columns on spaces. A negative
 * indent1 means -indent1 columns of the first line are already used.
 */
function wrapText(text: string, indent1: number, indent2: number, width: number): string {
  const chars = Array.from(text);
  const isSpaceAt = (k: number) => k < chars.length && isGitSpace(chars[k].charCodeAt(0));
  const isAlnumAt = (k: number) => k < chars.length && /^[A-Za-z0-9]$/.test(chars[k]);
  let out = '';
  let pos = 0;
  let bol = 0;
  let indent = indent1;
  let w = indent;
  let space: number | null = null;
  if (indent < 0) {
    w = -indent;
    space = 0;
  }
  for (;;) {
    const c = pos < chars.length ? chars[pos] : null;
    if (c === null || isGitSpace(c.charCodeAt(0))) {
      let newLine = false;
      if (w <= width || space === null) {
        let start = bol;
        if (c === null && pos === start) return out;
        if (space !== null) start = space;
        else out += ' '.repeat(Math.max(indent, 0));
        out += chars.slice(start, pos).join('');
        if (c === null) return out;
        space = pos;
        if (c === '\t') w |= 0x07;
        else if (c === '\n') {
          space++;
          if (space < chars.length && chars[space] === '\n') {
            out += '\n';
            newLine = true;
          } else if (!isAlnumAt(space)) newLine = true;
          else out += ' ';
        }
        if (!newLine) {
          w++;
          pos++;
          continue;
        }
      }
      // new_line:
      out += '\n';
      pos = bol = space! + (isSpaceAt(space!) ? 1 : 0);
      space = null;
      w = indent = indent2;
      continue;
    }
    w += charWidth(c.codePointAt(0)!);
    pos++;
  }
}

/** Display width of a code point, after git_wcwidth() (approximate wide/zero-width tables). */
function charWidth(cp: number): number {
  if (cp >= 0x20 && cp < 0x7f) return 1; // printable ASCII: most of any message (no regex test per character)
  if (cp === 0) return 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return -1;
  if (/[\p{Mn}\p{Me}\p{Cf}]/u.test(String.fromCodePoint(cp)) || (cp >= 0x1160 && cp <= 0x11ff)) return 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

// --------------------------------------------------------------------- diffs

interface FileDiff {
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
function comparePaths(a: string, b: string): number {
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

function renderFileDiff(c: FileChange): FileDiff {
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
interface Change {
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

function computeChanges(oldRecs: string[], newRecs: string[]): Change[] {
  // the records both ends share are no change: git's xdiff drops them before it diffs
  // (xdl_trim_ends), and so does this, which leaves the line diff a fix's few regions of a file
  // rather than the whole of it
  const { head, tail } = trimEnds(oldRecs, newRecs);
  // the records as they are: diffLines would join them and split the text again into the same
  // lines (a record ends at '\n', as a line of diffLines does: "\r\n" stays in it)
  const parts = diffArrays(oldRecs.slice(head, oldRecs.length - tail), newRecs.slice(head, newRecs.length - tail));
  const changes: Change[] = [];
  let i1 = head;
  let i2 = head;
  let cur: Change | null = null;
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

function record(prefix: string, rec: string): string {
  return rec.endsWith('\n') ? prefix + rec : prefix + rec + '\n\\ No newline at end of file\n';
}

/** xdl_format_hunk_hdr(): "-s,c" with the count omitted when 1 and start-1 when the count is 0. */
function hunkHeader(s1: number, c1: number, s2: number, c2: number, func: Buffer | null): string {
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
function functionName(oldRecs: string[], s1: number): Buffer | null {
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

/**
 * The series as one diff (first `before` to last `after` of each path), for the cover letter's
 * diffstat: the counts of each file, without hunks (text is empty).
 */
function combinedDiffs(specs: NormalizedPatch[]): FileDiff[] {
  const first = new Map<string, string | null>();
  const last = new Map<string, string | null>();
  for (const p of specs) {
    for (const d of p.diffs) {
      if (!first.has(d.path)) first.set(d.path, d.before);
      last.set(d.path, d.after);
    }
  }
  const out: FileDiff[] = [];
  for (const [path, before] of first) {
    const after = last.get(path)!;
    if (before !== after) out.push({ path, before, after, ...diffCounts(splitRecords(before ?? ''), splitRecords(after ?? '')), text: '' });
  }
  return out.sort((a, b) => comparePaths(a.path, b.path));
}

/** The records a line diff of `a` and `b` (jsdiff's, as computeChanges makes it) deletes and adds. */
function diffCounts(a: string[], b: string[]): { deleted: number; added: number } {
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
function renderStat(diffs: FileDiff[]): string {
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
