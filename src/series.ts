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
import { MemfixError } from './errors.ts';
import { comparePaths, diffCounts, MAIL_WRAP, renderFileDiff, renderStat, splitRecords, ZERO_OID, type FileChange, type FileDiff } from './git-diff.ts';
import { byteLength, hasNonAscii, isGitSpace, needsRfc2047, rfc2047, RFC2047_MAX, trimEndGit, wrapText } from './mail-text.ts';

export type { FileChange };
export { blobId, splitRecords } from './git-diff.ts';

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
  /** the cover letter's subject and body; without it, no cover letter (the patches are all `check` compares) */
  cover?: { subject: string; body: string };
  /** e.g. "memfix 0.1.0"; empty = no signature, as with git. */
  signature: string;
}
export interface SeriesFile {
  name: string;
  content: string;
}

export const COVER_LETTER_NAME = '0000-cover-letter.patch';
const HEADER_WIDTH = 78; // pp_title_line / pp_user_info, per RFC 2822

/** Render the cover letter (with `opts.cover`), the numbered patches and the quilt `series` file, in that order. */
export function renderSeries(patches: PatchSpec[], opts: SeriesOptions): SeriesFile[] {
  validateOptions(opts);
  if (patches.length === 0) throw new MemfixError('cannot render an empty patch series');
  const specs = patches.map(normalizePatch);
  checkConsistency(specs);
  const total = specs.length;
  const ident = renderIdentityHeaders(opts);
  const names = specs.map((p, i) => `${String(i + 1).padStart(4, '0')}-${p.slug}.patch`);

  const files: SeriesFile[] = opts.cover ? [{ name: COVER_LETTER_NAME, content: renderCover(specs, opts, opts.cover, ident) }] : [];
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
  if (opts.cover) checkSubject(opts.cover.subject, 'cover letter');
  if (opts.cover?.body.includes('\0') || opts.signature.includes('\0')) throw new MemfixError('NUL byte in cover letter');
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

function renderCover(specs: NormalizedPatch[], opts: SeriesOptions, cover: { subject: string; body: string }, ident: IdentityHeaders): string {
  const subject = checkSubject(cover.subject, 'cover letter');
  const bodyLines = messageLines(cover.body);
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
