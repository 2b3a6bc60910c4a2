/** All-or-nothing writes: every file goes to a temporary sibling first, then all are renamed. */
import { writeFileSync, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { MemfixError } from './errors.ts';

export function writeAllAtomically(files: { path: string; content: string }[]): void {
  const temps: { tmp: string; path: string }[] = [];
  try {
    for (const f of files) {
      const tmp = join(dirname(f.path), `.${basename(f.path)}.memfix-${process.pid}.tmp`);
      writeFileSync(tmp, f.content, { flag: 'wx' });
      try { chmodSync(tmp, statSync(f.path).mode & 0o7777); } catch { /* new file */ }
      temps.push({ tmp, path: f.path });
    }
  } catch (e) {
    for (const t of temps) rmSync(t.tmp, { force: true });
    throw new MemfixError(`cannot write: ${(e as Error).message}`, (e as NodeJS.ErrnoException).path);
  }
  for (const t of temps) renameSync(t.tmp, t.path);
}
