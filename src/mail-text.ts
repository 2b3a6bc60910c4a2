/**
 * The text of a patch mail as git format-patch writes it (git v2.39): RFC 2047 encoded words for
 * headers, git's notion of white space, and the wrapping of the shortlog and diffstat at a
 * display width (series.ts renders the mails with these).
 */
import { MemfixError } from './errors.ts';

export const RFC2047_MAX = 76; // add_rfc2047, per RFC 2047

export function hasNonAscii(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

/** needs_rfc2047_encoding(); ESC counts as non-ASCII for git. */
export function needsRfc2047(s: string): boolean {
  return /[^\x00-\x7f]|[\x1b\n]|=\?/.test(s);
}

/** add_rfc2047(): Q-encode, folding so no encoded line exceeds 76 columns; whole characters per word. */
export function rfc2047(text: string, lineLen: number, address: boolean): string {
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
export function isGitSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export function trimEndGit(s: string): string {
  let end = s.length;
  while (end > 0 && isGitSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * strbuf_add_wrapped_text(): wrap at `width` columns on spaces. A negative
 * indent1 means -indent1 columns of the first line are already used.
 */
export function wrapText(text: string, indent1: number, indent2: number, width: number): string {
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
