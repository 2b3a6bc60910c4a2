/**
 * Parse `git format-patch` mbox files for `memfix check`, and say which of their paths would lead
 * out of the tree (patch-apply.ts applies them). Pure: no I/O.
 *
 * Hunks are jsdiff's (`StructuredPatchHunk`: lines " x", "-x", "+x" and "\ No newline at end of
 * file"), which patch-apply.ts hands to jsdiff's applyPatch; plain diffs are read with jsdiff's
 * parsePatch (plain-diff.ts). The mbox around the diff is read here, and so is the diff itself:
 * jsdiff's parsePatch knows nothing of the mail headers, the `---` separator or the signature,
 * skips lines it does not understand (between hunks, after the diff), takes a malformed hunk
 * header or a misplaced "\ No newline" without a word, and names only the line of a hunk's
 * header when it does complain; memfix's patches are untrusted input, and bad input gets an error
 * naming the line of the mbox file that is wrong.
 */
import type { StructuredPatchHunk } from 'diff';
import { MemfixError } from './errors.ts';
import { isPatchBreak } from './series.ts';

import type { Tree } from './workspace.ts';

export type { Tree };

/**
 * A hunk as jsdiff has it: `lines` are " x", "-x", "+x" without their "\n" (a CR stays part of
 * the text), a "\\ No newline at end of file" line after the line it is about. The numbers are
 * the header's (plain-diff.ts passes on parsePatch's, which add 1 to a start whose count is 0).
 */
export interface Hunk extends StructuredPatchHunk {
  /** "@@ -a,b +c,d @@", without any function-name text. */
  header: string;
  /** 1-based line of the hunk header in the mbox file. */
  line: number;
}
export interface ParsedFile {
  /** The path the patch touches: newPath, or oldPath for a deletion. */
  path: string;
  /** null for a file the patch creates. */
  oldPath: string | null;
  /** null for a file the patch deletes. */
  newPath: string | null;
  hunks: Hunk[];
  /** 1-based line of its "diff --git" in the mbox file. */
  line: number;
}
export interface ParsedPatch {
  fileName: string;
  /** Decoded, with the "[PATCH n/N]" prefix removed, as `git am` would take it. */
  subject: string;
  files: ParsedFile[];
}

export type PatchResult =
  | { patch: string; status: 'applies' }
  | { patch: string; status: 'already-applied' }
  | {
      patch: string;
      status: 'fails';
      file: string;
      /** 1-based hunk number within the file; 0 when the file itself is the problem (missing, already exists...). */
      hunk: number;
      /** "@@ -a,b +c,d @@" of the failing hunk; "" when hunk is 0. */
      hunkHeader: string;
      reason: string;
      /** the line (1-based, in the file as it is) where the failing hunk's code is now, when memfix finds it */
      line?: number;
    };

// --------------------------------------------------------------------- parse

/** Parse one mbox message as written by `git format-patch`. Throws MemfixError(file, line) on malformed input. */
export function parseMbox(name: string, text: string): ParsedPatch {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let i = 0;
  const fail = (message: string, at: number = i) => new MemfixError(message, name, at + 1);

  if (lines.length === 0 || !lines[0].startsWith('From ')) throw fail('not an mbox message: the first line must start with "From "', 0);
  if (lines[0].endsWith('\r')) {
    throw fail('the message has CRLF line endings (mangled by a mail client?); memfix patches use LF outside file content', 0);
  }

  // Headers, unfolded: a continuation line is appended without its line break.
  const headers: { key: string; value: string; line: number }[] = [];
  for (i = 1; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i];
    if (l[0] === ' ' || l[0] === '\t') {
      if (!headers.length) throw fail('header continuation line before any header');
      headers[headers.length - 1].value += l;
      continue;
    }
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(l);
    if (!m) throw fail(`malformed header line ${JSON.stringify(l)}`);
    headers.push({ key: m[1].toLowerCase(), value: m[2], line: i });
  }
  if (i >= lines.length) throw fail('unexpected end of file in the mail headers');
  const subjectHeader = headers.find((h) => h.key === 'subject');
  if (!subjectHeader) throw fail('missing Subject header', i);
  const subject = cleanSubject(decodeRfc2047(subjectHeader.value, (msg) => fail(msg, subjectHeader.line)));

  // The commit message runs to the "---" line (or the first diff); diffstat follows.
  for (i++; i < lines.length && !isPatchBreak(lines[i]); i++);
  while (i < lines.length && !lines[i].startsWith('diff --git ')) {
    if (lines[i] === '-- ') break;
    i++;
  }
  if (i >= lines.length || !lines[i].startsWith('diff --git ')) throw fail('no "diff --git" section found', Math.min(i, lines.length - 1));

  const files: ParsedFile[] = [];
  while (i < lines.length && lines[i].startsWith('diff --git ')) {
    const r = parseFile(lines, i, fail);
    files.push(r.file);
    i = r.next;
  }
  // Only the signature ("-- " and what follows) or blank lines may follow the last diff.
  for (; i < lines.length; i++) {
    if (lines[i] === '-- ') break;
    if (lines[i] !== '') throw fail(`unexpected line after the diff: ${JSON.stringify(lines[i])}`);
  }
  for (; i < lines.length; i++) {
    if (/^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$/.test(lines[i])) {
      throw fail('a second message starts here: one patch per file, please (split with git mailsplit)');
    }
  }
  return { fileName: name, subject, files };
}

type Fail = (message: string, at?: number) => MemfixError;

function parseFile(lines: string[], start: number, fail: Fail): { file: ParsedFile; next: number } {
  const names = parseGitHeader(lines[start].slice('diff --git '.length));
  if (!names) throw fail('malformed "diff --git" line', start);
  let i = start + 1;
  let isNew = false;
  let isDeleted = false;
  let renameFrom: string | null = null;
  let renameTo: string | null = null;
  const pathArg = (arg: string) => {
    const q = arg.startsWith('"') ? unquoteC(arg) : { value: arg, end: arg.length };
    if (!q || q.end !== arg.length || !q.value) throw fail('malformed path in extended header', i);
    return q.value;
  };
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('new file mode ')) isNew = true;
    else if (l.startsWith('deleted file mode ')) isDeleted = true;
    else if (l.startsWith('rename from ')) renameFrom = pathArg(l.slice('rename from '.length));
    else if (l.startsWith('rename to ')) renameTo = pathArg(l.slice('rename to '.length));
    else if (/^(index |old mode |new mode |similarity index |dissimilarity index )/.test(l)) continue;
    else if (/^(copy |Binary files |GIT binary patch)/.test(l)) {
      throw fail(`unsupported in memfix patches: ${JSON.stringify(l)}`, i);
    } else break;
  }
  if ((renameFrom === null) !== (renameTo === null)) throw fail('"rename from" without "rename to" (or the reverse)', i);
  let oldPath: string | null = isNew ? null : renameFrom ?? names.a;
  let newPath: string | null = isDeleted ? null : renameTo ?? names.b;
  const hunks: Hunk[] = [];
  if (i < lines.length && lines[i].startsWith('--- ')) {
    const minus = parseLabel(lines[i].slice(4), 'a/', () => fail('malformed "---" line', i));
    i++;
    if (i >= lines.length || !lines[i].startsWith('+++ ')) throw fail('expected a "+++" line', i);
    const plus = parseLabel(lines[i].slice(4), 'b/', () => fail('malformed "+++" line', i));
    if ((minus === null) !== isNew || (plus === null) !== isDeleted) {
      throw fail('the ---/+++ lines disagree with the file mode lines', i);
    }
    oldPath = minus;
    newPath = plus;
    i++;
    while (i < lines.length && lines[i].startsWith('@@')) {
      const r = parseHunk(lines, i, fail);
      hunks.push(r.hunk);
      i = r.next;
    }
    if (hunks.length === 0) throw fail('expected a hunk ("@@ -a,b +c,d @@")', i);
  }
  if (oldPath !== null && newPath !== null && oldPath !== newPath && renameFrom === null) {
    throw fail('the old and new paths differ, but there is no "rename" header', start);
  }
  const path = (newPath ?? oldPath)!;
  return { file: { path, oldPath, newPath, hunks, line: start + 1 }, next: i };
}

function parseHunk(lines: string[], start: number, fail: Fail): { hunk: Hunk; next: number } {
  const m = /^(@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@)(?: .*)?$/.exec(lines[start]);
  if (!m) throw fail(`malformed hunk header ${JSON.stringify(lines[start])}`, start);
  const hunk: Hunk = {
    header: m[1],
    oldStart: Number(m[2]),
    oldLines: m[3] === undefined ? 1 : Number(m[3]),
    newStart: Number(m[4]),
    newLines: m[5] === undefined ? 1 : Number(m[5]),
    lines: [],
    line: start + 1,
  };
  let o = 0;
  let n = 0;
  let i = start + 1;
  let oldEnded = false; // a "\ No newline" closed the old (resp. new) side
  let newEnded = false;
  const noNewline = (at: number) => {
    const prev = hunk.lines[hunk.lines.length - 1];
    if (!prev || prev[0] === '\\') throw fail('misplaced "\\ No newline at end of file"', at);
    if (prev[0] !== '+') oldEnded = true;
    if (prev[0] !== '-') newEnded = true;
    hunk.lines.push(lines[at]);
  };
  while (o < hunk.oldLines || n < hunk.newLines) {
    if (i >= lines.length) throw fail(`unexpected end of file inside the hunk starting at line ${start + 1}`, lines.length - 1);
    const l = lines[i];
    if (l.startsWith('\\')) {
      noNewline(i++);
      continue;
    }
    // An empty line is an empty context line whose space a mailer stripped (git apply accepts it too).
    const op = l === '' ? ' ' : l[0];
    if (op !== ' ' && op !== '-' && op !== '+') throw fail(`unexpected line in hunk: ${JSON.stringify(l)}`, i);
    if (op !== '+') o++;
    if (op !== '-') n++;
    if (o > hunk.oldLines || n > hunk.newLines) throw fail('hunk has more lines than its header says', i);
    if ((op !== '+' && oldEnded) || (op !== '-' && newEnded)) throw fail('line after "\\ No newline at end of file"', i);
    hunk.lines.push(l === '' ? ' ' : l);
    i++;
  }
  if (i < lines.length && lines[i].startsWith('\\')) noNewline(i++);
  return { hunk, next: i };
}

/** Split "a/X b/Y" (each side maybe C-quoted) into X and Y. */
function parseGitHeader(rest: string): { a: string; b: string } | null {
  let a: string;
  let b: string;
  if (rest.startsWith('"')) {
    const q = unquoteC(rest);
    if (!q || rest[q.end] !== ' ') return null;
    a = q.value;
    const tail = rest.slice(q.end + 1);
    if (tail.startsWith('"')) {
      const q2 = unquoteC(tail);
      if (!q2 || q2.end !== tail.length) return null;
      b = q2.value;
    } else b = tail;
  } else if (rest.endsWith('"')) {
    const at = rest.indexOf(' "');
    if (at < 0) return null;
    a = rest.slice(0, at);
    const q = unquoteC(rest.slice(at + 1));
    if (!q || q.end !== rest.length - at - 1) return null;
    b = q.value;
  } else {
    // "a/X b/X": both halves are equal when there is no rename.
    const half = (rest.length - 1) / 2;
    if (Number.isInteger(half) && rest[half] === ' ' && rest.slice(2, half) === rest.slice(half + 3)) {
      a = rest.slice(0, half);
      b = rest.slice(half + 1);
    } else {
      const at = rest.indexOf(' b/');
      if (at < 0) return null;
      a = rest.slice(0, at);
      b = rest.slice(at + 1);
    }
  }
  if (!a.startsWith('a/') || !b.startsWith('b/')) return null;
  return { a: a.slice(2), b: b.slice(2) };
}

/** A ---/+++ label: "/dev/null" → null, else the path without its prefix (a trailing tab and what follows dropped). */
function parseLabel(label: string, prefix: string, bad: () => MemfixError): string | null {
  let name: string;
  if (label.startsWith('"')) {
    const q = unquoteC(label);
    if (!q || (q.end !== label.length && label[q.end] !== '\t')) throw bad();
    name = q.value;
  } else {
    const tab = label.indexOf('\t');
    name = tab < 0 ? label : label.slice(0, tab);
  }
  if (name === '/dev/null') return null;
  if (!name.startsWith(prefix) || name.length === prefix.length) throw bad();
  return name.slice(prefix.length);
}

/** Undo git's quote_c_style(): returns the UTF-8 decoded value and the index after the closing quote. */
function unquoteC(s: string): { value: string; end: number } | null {
  if (s[0] !== '"') return null;
  const bytes: number[] = [];
  const esc: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 0x22, '\\': 0x5c };
  for (let k = 1; k < s.length; k++) {
    const c = s[k];
    if (c === '"') return { value: Buffer.from(bytes).toString('utf8'), end: k + 1 };
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const e = s[++k];
    if (e === undefined) return null;
    if (esc[e] !== undefined) bytes.push(esc[e]);
    else if (/^[0-3][0-7]{2}$/.test(s.slice(k, k + 3))) {
      bytes.push(parseInt(s.slice(k, k + 3), 8));
      k += 2;
    } else return null;
  }
  return null;
}

/** Decode RFC 2047 encoded words (Q and B); whitespace between adjacent encoded words is dropped. */
function decodeRfc2047(value: string, bad: (msg: string) => MemfixError): string {
  const re = /=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: number[] } | null = null;
  const flush = () => {
    if (!pending) return;
    try {
      out += new TextDecoder(pending.charset.replace(/\*.*$/, ''), { fatal: true }).decode(Uint8Array.from(pending.bytes));
    } catch {
      throw bad(`cannot decode the ${pending.charset} text in the Subject header`);
    }
    pending = null;
  };
  for (const m of value.matchAll(re)) {
    const between = value.slice(last, m.index);
    if (!(pending && /^[ \t]*$/.test(between))) {
      flush();
      out += between;
    }
    const bytes: number[] = [];
    if (m[2].toLowerCase() === 'b') bytes.push(...Buffer.from(m[3], 'base64'));
    else {
      for (let k = 0; k < m[3].length; k++) {
        const c = m[3][k];
        if (c === '_') bytes.push(0x20);
        else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(m[3].slice(k + 1, k + 3))) {
          bytes.push(parseInt(m[3].slice(k + 1, k + 3), 16));
          k += 2;
        } else bytes.push(...Buffer.from(c, 'utf8'));
      }
    }
    const current = pending as { charset: string; bytes: number[] } | null;
    if (current && current.charset.toLowerCase() === m[1].toLowerCase()) current.bytes.push(...bytes);
    else {
      flush();
      pending = { charset: m[1], bytes };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

/** What `git am` keeps of a subject: leading "[...]" tags and "Re:" removed. */
function cleanSubject(s: string): string {
  let prev: string;
  do {
    prev = s;
    s = s.replace(/^\s+/, '').replace(/^\[[^\]]*\]/, '').replace(/^re:/i, '');
  } while (s !== prev);
  return s.trim();
}

// ------------------------------------------------------------- unsafe paths

/**
 * Why `git apply` would refuse this path (after its a/ or b/ prefix is stripped) as unsafe, or
 * null: git's verify_path() rules, which hold without --unsafe-paths. No absolute path, no empty,
 * "." or ".." component, no ".git" component (any case; nor its NTFS aliases ".git." and "git~1",
 * with "\\" as a separator too, as core.protectNTFS has it), and no NUL character (no file
 * has one; it would end the path early for the system).
 */
export function unsafePath(path: string): string | null {
  if (path === '') return 'an empty path';
  if (path.startsWith('/')) return 'an absolute path';
  if (path.includes('\0')) return 'a NUL character in the path';
  for (const c of path.split('/')) {
    if (c === '') return 'an empty path component ("//" or a trailing "/")';
    if (c === '.' || c === '..') return `a "${c}" component`;
  }
  for (const c of path.split(/[/\\]/)) {
    const ntfs = c.toLowerCase().replace(/[ .]+$/, '');
    if (ntfs === '.git' || ntfs === 'git~1') return 'a ".git" component (git\'s own folder)';
  }
  return null;
}

/** A patch file that touches a path `git apply` would refuse: the path, the line naming it, why. */
export interface Refusal { file: string; line: number; reason: string }

/** The first path of the patch that git would refuse as unsafe, or null. Pure. */
export function unsafePathOf(p: ParsedPatch): Refusal | null {
  for (const f of p.files) {
    for (const path of [f.oldPath, f.newPath]) {
      const why = path === null ? null : unsafePath(path);
      if (why) return { file: path!, line: f.line, reason: `${why}: git apply refuses such a path, which can lead outside the tree` };
    }
  }
  return null;
}
