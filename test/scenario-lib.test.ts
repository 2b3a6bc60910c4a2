/** The scenario data form: a tree diff written by treeDiff applies back to the same tree, byte for byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTreeDiff, treeDiff } from './scenario-lib.ts';

test('treeDiff and applyTreeDiff round-trip CRLF, a BOM, non-ASCII, no final newline, new and dropped files', () => {
  const from = new Map([
    ['a.hpp', '\ufeffint a;\r\nint b; // é\r\nint c;\r\n'],
    ['b.i', 'x\ny'],
    ['gone.hpp', 'z\n'],
    ['same.hpp', 'q\n'],
  ]);
  const to = new Map([
    ['a.hpp', '\ufeffint a;\r\nint b2; // é\r\nint c;\r\n'],
    ['b.i', 'x\ny\n'],
    ['new.hpp', 'n\n'],
    ['same.hpp', 'q\n'],
  ]);
  const d = treeDiff(from, to);
  assert.match(d, /^--- a\/a\.hpp\n\+\+\+ b\/a\.hpp\n/);
  assert.match(d, /--- a\/gone\.hpp\n\+\+\+ \/dev\/null\n/);
  assert.doesNotMatch(d, /same\.hpp/);
  assert.deepEqual(applyTreeDiff(from, d, 'test'), to);
  assert.equal(treeDiff(from, from), '');
});

test('a diff that does not fit its input is an error naming the scenario file', () => {
  const d = treeDiff(new Map([['a', '1\n2\n3\n']]), new Map([['a', '1\nX\n3\n']]));
  assert.throws(() => applyTreeDiff(new Map([['a', '1\nY\n3\n']]), d, 's/expected.diff'), /s\/expected\.diff: its hunks for a do not apply/);
  assert.throws(() => applyTreeDiff(new Map(), d, 's/expected.diff'), /changes a, which the input does not have/);
});
