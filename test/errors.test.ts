/**
 * MemfixError (src/errors.ts), the one error type. dist/ holds several bundles (build.mjs), each
 * with its own copy of errors.ts: an error thrown by the engine's copy must be a MemfixError to
 * the command line's copy (else the CLI would print it as an internal error, with a stack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { repoRoot } from './scenario-lib.ts';

type ErrorsModule = typeof import('../src/errors.ts');
const copy = (name: string) => import(`${pathToFileURL(join(repoRoot, 'src', 'errors.ts')).href}?copy=${name}`) as Promise<ErrorsModule>;

test('an error of one copy of errors.ts is a MemfixError to another, both ways; other errors are not', async () => {
  const [a, b] = await Promise.all([copy('engine'), copy('cli')]);
  assert.notEqual(a.MemfixError, b.MemfixError, 'two copies, as in two bundles');
  const fromA = new a.MemfixError('no header found', 'x.hpp', 3);
  const fromB = new b.MemfixError('bad option');
  assert.ok(fromA instanceof b.MemfixError && fromA instanceof a.MemfixError);
  assert.ok(fromB instanceof a.MemfixError && fromB instanceof b.MemfixError);
  assert.ok(fromA instanceof Error);
  assert.equal(fromA.file, 'x.hpp');
  assert.equal(fromA.line, 3);
  for (const other of [new Error('x'), { message: 'x', name: 'MemfixError' }, null, 'MemfixError']) {
    assert.ok(!(other instanceof a.MemfixError), `${String(other)} is not a MemfixError`);
  }
  // ioError passes a MemfixError of the other copy through unchanged
  assert.equal(b.ioError(fromA), fromA);
});
