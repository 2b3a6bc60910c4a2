/**
 * A patch of the maintainer's own in a series: an mbox message (`git format-patch`), or a plain
 * unified diff (`quilt diff`, `diff -u`, `git diff`) read with jsdiff's parsePatch. Paths are taken
 * as quilt and `patch -p1` take them: the first component dropped (`a/`, `dir.orig/`), the rest from
 * the repository's top, as memfix's own patches name them.
 */
import { parsePatch } from 'diff';
import { MemfixError } from './errors.ts';
import { parseMbox, type Hunk, type ParsedFile, type ParsedPatch } from './patch-parse.ts';

const strip1 = (p: string) => {
  const clean = p.replace(/\t.*$/, '').trim();
  return clean === '/dev/null' ? null : clean.replace(/^[^/]*\//, '');
};

/** Parse a plain unified diff; a text with no file in it, or a malformed one, is bad input naming the file. */
export function parsePlainDiff(name: string, text: string): ParsedPatch {
  let parsed;
  try {
    parsed = parsePatch(text);
  } catch (e) {
    throw new MemfixError(`not a patch: ${(e as Error).message}`, name);
  }
  const lines = text.split('\n');
  const files: ParsedFile[] = [];
  for (const f of parsed) {
    if (!f.hunks.length) continue;
    const oldPath = f.oldFileName ? strip1(f.oldFileName) : null;
    const newPath = f.newFileName ? strip1(f.newFileName) : null;
    if (oldPath === null && newPath === null) throw new MemfixError('a diff without file names', name);
    if (oldPath !== null && newPath !== null && oldPath !== newPath) throw new MemfixError(`the old and new paths differ (${oldPath}, ${newPath}): a rename needs a git patch`, name);
    const hunks: Hunk[] = f.hunks.map((h) => {
      const header = `@@ -${h.oldStart}${h.oldLines === 1 ? '' : `,${h.oldLines}`} +${h.newStart}${h.newLines === 1 ? '' : `,${h.newLines}`} @@`;
      const at = lines.findIndex((l) => l.startsWith(header));
      // jsdiff's lines as they are; an empty line is an empty context line whose space a mailer stripped
      return { ...h, header, lines: h.lines.map((l) => (l === '' ? ' ' : l)), line: at + 1 };
    });
    const path = (newPath ?? oldPath)!;
    files.push({ path, oldPath, newPath, hunks, line: Math.max(1, lines.findIndex((l) => l.startsWith('--- ') && l.includes(f.oldFileName ?? '')) + 1) });
  }
  if (!files.length) throw new MemfixError('not a patch: neither an mbox message (git format-patch) nor a unified diff', name);
  const subject = /^Subject:\s*(.*)$/m.exec(text)?.[1] ?? name;
  return { fileName: name, subject, files };
}

/** A series' patch file: mbox when it starts like one, else a plain unified diff. */
export function parsePatchFile(name: string, text: string): ParsedPatch {
  return text.startsWith('From ') ? parseMbox(name, text) : parsePlainDiff(name, text);
}
