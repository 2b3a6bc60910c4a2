/** verify's object cache in the temporary folder: only a real folder of this user's, writable by it alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../src/verify/build.ts';

function withTmp(fn: (tmp: string) => void): void {
  const saved = { TMPDIR: process.env.TMPDIR, XDG: process.env.XDG_CACHE_HOME };
  const tmp = mkdtempSync(join(tmpdir(), 'memfix-cachedir-'));
  process.env.TMPDIR = tmp;
  delete process.env.XDG_CACHE_HOME;
  try { fn(tmp); } finally {
    if (saved.TMPDIR === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved.TMPDIR;
    if (saved.XDG !== undefined) process.env.XDG_CACHE_HOME = saved.XDG;
    rmSync(tmp, { recursive: true, force: true });
  }
}

const name = `memfix-cache-${process.getuid?.() ?? 0}`;

test('made anew: a folder of ours, mode 700', () => withTmp((tmp) => {
  assert.equal(cacheDir(), join(tmp, name, 'memfix'));
}));

test('a link or a folder others can write to is refused, naming it', () => withTmp((tmp) => {
  const other = join(tmp, 'elsewhere');
  mkdirSync(other);
  symlinkSync(other, join(tmp, name));
  assert.throws(() => cacheDir(), (e: Error & { file?: string }) => e.file === join(tmp, name) && /not used as the build cache: it is a symbolic link/.test(e.message));
  rmSync(join(tmp, name));
  mkdirSync(join(tmp, name));
  chmodSync(join(tmp, name), 0o777);
  assert.throws(() => cacheDir(), /writable by others/);
}));
