/**
 * Files that look like targets (their bytes pass a role's token test) but cannot be read or
 * parsed as one: each is reported on stderr as `memfix: file[:line]: what`, the command exits 2,
 * and apply writes nothing. Files that could not be targets are ignored as before, whatever
 * their bytes or size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyTree, HEADER, DISK_I, memfix, SAMPLE, show, snapshot, tempRoot } from './e2e-helpers.ts';

const tmp = tempRoot('memfix-problems-');
test.after(() => tmp.cleanup());

/** A copy of the sample with `f` applied to one file's bytes. */
function sampleWith(name: string, path: string, f: (b: Buffer) => Buffer): string {
  const dir = copyTree(SAMPLE, tmp.dir(name));
  writeFileSync(join(dir, path), f(readFileSync(join(dir, path))));
  return dir;
}

/** A file of DIR as problems name it (DIR as given on the command line, then the file), for a RegExp. */
const under = (dir: string, path: string) => `${dir}/${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const lineOf = (b: Buffer, at: number) => b.subarray(0, at).toString('latin1').split('\n').length;

test('a header with an invalid byte: exit 2, the file and the line of the byte', async () => {
  let line = 0;
  const dir = sampleWith('invalid-byte', HEADER, (b) => {
    const at = b.indexOf('async_read');
    line = lineOf(b, at);
    return Buffer.concat([b.subarray(0, at), Buffer.from([0xff]), b.subarray(at + 1)]);
  });
  const r = await memfix(['scan', dir]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`^memfix: ${under(dir, HEADER)}:${line}: .*not UTF-8 \\(invalid byte 0xff`, 'm'), show(r));
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

test('a SWIG file of the disk I/O with a NUL byte: exit 2, names it', async () => {
  const dir = sampleWith('nul', DISK_I, (b) => Buffer.concat([b, Buffer.from('\0\n')]));
  const r = await memfix(['scan', dir]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`^memfix: ${under(dir, DISK_I)}:\\d+: .*NUL byte`, 'm'), show(r));
});

test('a truncated header: exit 2, the file and its last line', async () => {
  let lines = 0;
  const dir = sampleWith('truncated', HEADER, (b) => {
    const cut = b.subarray(0, Math.floor(b.length * 0.6));
    lines = cut.toString('utf8').trimEnd().split('\n').length;
    return cut;
  });
  const r = await memfix(['scan', dir]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`^memfix: ${under(dir, HEADER)}:${lines}: looks like the disk I/O header .*truncated`, 'm'), show(r));
});

test('a header with unbalanced braces before its class: exit 2, names the file', async () => {
  const dir = sampleWith('unbalanced', HEADER, (b) => {
    const at = b.indexOf('struct memory_disk_io');
    return Buffer.concat([b.subarray(0, at), Buffer.from('namespace broken {\nint f( {\n'), b.subarray(at)]);
  });
  const r = await memfix(['scan', dir]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`^memfix: ${under(dir, HEADER)}:\\d+: `, 'm'), show(r));
});

test('a header over the size limit that could be the target: exit 2, names the file and the limit', async () => {
  // 17 MiB of comment lines before the sample's header
  const pad = Buffer.from('// a long comment line that only makes the file larger than memfix parses\n'.repeat(242_000));
  const dir = sampleWith('large', HEADER, (b) => Buffer.concat([pad, b]));
  // and a large file that names nothing memfix looks for: no problem
  writeFileSync(join(dir, 'big_unrelated.cpp'), pad);
  const r = await memfix(['scan', dir]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`^memfix: ${under(dir, HEADER)}: is 1[78]\\.\\d MiB, over memfix's limit of 16 MiB`, 'm'), show(r));
  assert.doesNotMatch(r.stderr, /big_unrelated/);
  // a raised limit parses it
  const raised = await memfix(['scan', dir], { env: { MEMFIX_MAX_FILE_MIB: '32' } });
  assert.equal(raised.code, 1, show(raised));
  assert.match(raised.stdout, /apply\s+free-disk-buffer/);
});

test('a tree with no target: exit 2 for scan, apply, series and check, naming the folder', async () => {
  const dir = tmp.dir('no-target');
  writeFileSync(join(dir, 'other.cpp'), 'int main() { return 0; }\n');
  // a series made on the sample, checked against the tree without target
  const series = await memfix(['series', copyTree(SAMPLE, tmp.dir('no-target-sample')), '-o', join(tmp.root, 'no-target-patches')]);
  assert.ok(series.code === 0 || series.code === 1, show(series));
  for (const args of [['scan', dir], ['apply', dir, '--yes'], ['series', dir, '-o', join(tmp.root, 'no-target-out')], ['check', dir, '--patches', join(tmp.root, 'no-target-patches')]]) {
    const r = await memfix(args);
    assert.equal(r.code, 2, `${args[0]}: ${show(r)}`);
    assert.match(r.stderr, new RegExp(`^memfix: ${dir}: no target found`, 'm'), `${args[0]}: ${show(r)}`);
  }
});

test('files that cannot be targets are ignored, whatever their bytes: the sample scans as before', async () => {
  const dir = copyTree(SAMPLE, tmp.dir('ignored'));
  writeFileSync(join(dir, 'latin1.cpp'), Buffer.from([0x2f, 0x2f, 0x20, 0xe9, 0x0a])); // not UTF-8, names nothing
  writeFileSync(join(dir, 'blob.h'), Buffer.from([0, 1, 2, 3]));
  const r = await memfix(['scan', dir]);
  const plain = await memfix(['scan', SAMPLE]);
  assert.equal(r.code, 1, show(r));
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, plain.stdout);
});

test('apply --yes with a problem: exit 2 and no file written', async () => {
  const dir = sampleWith('apply', DISK_I, (b) => Buffer.concat([b, Buffer.from([0xc3, 0x28, 0x0a])]));
  const before = snapshot(dir);
  const r = await memfix(['apply', dir, '--yes']);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`^memfix: ${under(dir, DISK_I)}:\\d+: `, 'm'));
  assert.deepEqual(snapshot(dir), before, 'nothing written');
});
