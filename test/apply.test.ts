import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyPatchToTree, readSeriesOrder } from '../src/patch-apply.ts';
import { parseMbox, type Tree, type ParsedPatch } from '../src/patch-parse.ts';
import { parsePlainDiff } from '../src/plain-diff.ts';
import { renderSeries, type FileChange, type PatchSpec, type SeriesOptions } from '../src/series.ts';
import { MemfixError } from '../src/errors.ts';

const OPTS: SeriesOptions = {
  author: { name: 'A U Thor', email: 'author@example.com' },
  date: { epochSeconds: 1767225600, tzOffsetMinutes: 0 },
  cover: { subject: 'cover', body: 'blurb' },
  signature: 'memfix 0.1.0',
};

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i) + '\n').join('');
const BOM = '\uFEFF';

/** A series touching every kind of change, built so each `before` is the current content. */
function fixture(): { base: Tree; patches: PatchSpec[]; final: Tree } {
  const base: Tree = new Map([
    ['src/a.c', 'int main(void)\n{\n' + lines(20, (i) => `\tcall${i}();`) + '}\n'],
    ['win.txt', BOM + 'Größe\r\nzwei\r\ndrei\r\n'],
    ['dir with space/x y.txt', 'one\ntwo\n'],
    ['ü/ß.txt', 'no newline'],
    ['gone.txt', 'bye\n'],
    ['empty-gone', ''],
  ]);
  const cur = new Map(base);
  const change = (path: string, after: string | null): FileChange => {
    const c = { path, before: cur.get(path) ?? null, after };
    if (after === null) cur.delete(path);
    else cur.set(path, after);
    return c;
  };
  const patches: PatchSpec[] = [
    {
      slug: 'two-hunks',
      subject: 'two hunks in one file',
      body: 'Body.',
      changes: [change('src/a.c', cur.get('src/a.c')!.replace('call2();', 'CALL2();').replace('call17();', 'CALL17();'))],
    },
    {
      slug: 'crlf',
      subject: 'CRLF, BOM und Ümläute',
      body: '',
      changes: [change('win.txt', BOM + 'Größe\r\nZWEI\r\ndrei\r\nvier\r\n'), change('ü/ß.txt', 'no newline, still')],
    },
    {
      slug: 'files',
      subject: 'create, delete, spaces',
      body: '',
      changes: [
        change('gone.txt', null),
        change('empty-gone', null),
        change('new/empty', ''),
        change('new/file.txt', 'hello\n'),
        change('dir with space/x y.txt', 'one\ntwo\nthree\n'),
      ],
    },
  ];
  return { base, patches, final: cur };
}

function render(patches: PatchSpec[]): Map<string, string> {
  return new Map(renderSeries(patches, OPTS).map((f) => [f.name, f.content]));
}

function parsedSeries(patches: PatchSpec[]): ParsedPatch[] {
  const files = render(patches);
  const order = readSeriesOrder(files.get('series')!, [...files.keys()]);
  return order.map((name) => parseMbox(name, files.get(name)!));
}

function expectMemfixError(fn: () => unknown, file: string, line: number, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MemfixError, `expected MemfixError, got ${e}`);
    assert.equal(e.file, file);
    assert.equal(e.line, line, `line of: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

// --------------------------------------------------------------------- tests

test('round trip: render, parse and apply reproduces every `after` exactly', () => {
  const { base, patches, final } = fixture();
  const parsed = parsedSeries(patches);
  assert.deepEqual(
    parsed.map((p) => p.subject),
    patches.map((p) => p.subject),
  );
  assert.deepEqual(
    parsed[2].files.map((f) => [f.path, f.oldPath, f.newPath]),
    [
      ['dir with space/x y.txt', 'dir with space/x y.txt', 'dir with space/x y.txt'],
      ['empty-gone', 'empty-gone', null],
      ['gone.txt', 'gone.txt', null],
      ['new/empty', null, 'new/empty'],
      ['new/file.txt', null, 'new/file.txt'],
    ],
  );
  let tree = base;
  for (const p of parsed) {
    const r = applyPatchToTree(tree, p);
    assert.deepEqual(r.result, { patch: p.fileName, status: 'applies' });
    tree = r.tree;
  }
  assert.deepEqual(tree, final);
  assert.equal(tree.get('win.txt'), BOM + 'Größe\r\nZWEI\r\ndrei\r\nvier\r\n');
  assert.equal(tree.get('ü/ß.txt'), 'no newline, still');
  assert.equal(base.get('gone.txt'), 'bye\n', 'the input tree is not mutated');
});

test('parses and applies real git format-patch output (function names, quoted paths)', () => {
  const { base, patches, final } = fixture();
  const dir = mkdtempSync(join(tmpdir(), 'memfix-apply-git-'));
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'A U Thor',
      GIT_AUTHOR_EMAIL: 'author@example.com',
      GIT_COMMITTER_NAME: 'A U Thor',
      GIT_COMMITTER_EMAIL: 'author@example.com',
    };
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' });
    const write = (tree: Iterable<[string, string | null]>) => {
      for (const [p, c] of tree) {
        if (c === null) rmSync(join(dir, p));
        else {
          mkdirSync(dirname(join(dir, p)), { recursive: true });
          writeFileSync(join(dir, p), c);
        }
      }
    };
    git('init', '-q', '-b', 'main');
    write(base);
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    for (const p of patches) {
      write(p.changes.map((c) => [c.path, c.after]));
      git('add', '-A');
      git('commit', '-q', '-m', p.subject);
    }
    git('format-patch', '-q', '--full-index', '-o', 'out', 'HEAD~3');
    const names = readdirSync(join(dir, 'out'));
    const order = readSeriesOrder(null, names);
    assert.equal(order.length, 3);
    // git detects the empty-file move as a rename; memfix never writes one, but reads it.
    assert.match(readFileSync(join(dir, 'out', order[2]), 'utf8'), /^rename from empty-gone\nrename to new\/empty$/m);
    assert.match(readFileSync(join(dir, 'out', order[0]), 'utf8'), /^@@ -\d+,\d+ \+\d+,\d+ @@ int main\(void\)$/m);
    let tree = base;
    for (const name of order) {
      const p = parseMbox(name, readFileSync(join(dir, 'out', name), 'utf8'));
      const r = applyPatchToTree(tree, p);
      assert.equal(r.result.status, 'applies', JSON.stringify(r.result));
      tree = r.tree;
    }
    assert.deepEqual(tree, final);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a patch applied twice is reported as already applied, tree unchanged', () => {
  const { base, patches } = fixture();
  const parsed = parsedSeries(patches);
  let tree = base;
  for (const p of parsed) {
    tree = applyPatchToTree(tree, p).tree;
    const again = applyPatchToTree(tree, p);
    assert.deepEqual(again.result, { patch: p.fileName, status: 'already-applied' });
    assert.equal(again.tree, tree);
  }
});

test('a hunk that does not match is reported with its file and hunk number', () => {
  const { base, patches } = fixture();
  const [first] = parsedSeries(patches);
  const text = render(patches).get('0001-two-hunks.patch')!;
  const headers = text.split('\n').filter((l) => l.startsWith('@@'));
  assert.equal(headers.length, 2);
  // Break the context of the second hunk only.
  const broken = new Map(base).set('src/a.c', base.get('src/a.c')!.replace('call19();', 'call19(); /* local edit */'));
  const r = applyPatchToTree(broken, first);
  assert.equal(r.result.status, 'fails');
  assert.ok(r.result.status === 'fails');
  assert.equal(r.result.file, 'src/a.c');
  assert.equal(r.result.hunk, 2);
  assert.equal(r.result.hunkHeader, headers[1].replace(/ @@ .*$/, ' @@'));
  assert.match(r.result.hunkHeader, /^@@ -\d+,\d+ \+\d+,\d+ @@$/);
  assert.equal(r.tree, broken);

  // No fuzz: a single changed context line in the first hunk is enough to fail it.
  const fuzzy = new Map(base).set('src/a.c', base.get('src/a.c')!.replace('call0();', 'call0() ;'));
  const r1 = applyPatchToTree(fuzzy, first).result;
  assert.ok(r1.status === 'fails' && r1.hunk === 1 && r1.file === 'src/a.c');
});

test('hunks are found at an offset, as git apply and patch do', () => {
  const { base, patches } = fixture();
  const [first] = parsedSeries(patches);
  const shifted = new Map(base).set('src/a.c', '// new header\n// lines\n' + base.get('src/a.c')!);
  const r = applyPatchToTree(shifted, first);
  assert.equal(r.result.status, 'applies');
  assert.equal(r.tree.get('src/a.c'), '// new header\n// lines\n' + patches[0].changes[0].after);
});

test('line endings must match exactly (no CRLF conversion)', () => {
  const { base, patches } = fixture();
  const [, crlf] = parsedSeries(patches);
  const lf = new Map(base).set('win.txt', base.get('win.txt')!.replace(/\r\n/g, '\n'));
  const r = applyPatchToTree(lf, crlf).result;
  assert.ok(r.status === 'fails' && r.file === 'win.txt' && r.hunk === 1, JSON.stringify(r));
  // A missing final newline is a difference too.
  const nl = new Map(base).set('ü/ß.txt', 'no newline\n');
  const r2 = applyPatchToTree(nl, crlf).result;
  assert.ok(r2.status === 'fails' && r2.file === 'ü/ß.txt' && r2.hunk === 1, JSON.stringify(r2));
});

test('jsdiff\'s applyPatch held to git apply\'s rules: anchored hunks, in order, final newline, -U0 additions at the end', () => {
  // each case as `git apply` has it; jsdiff's applyPatch alone applies the first four and writes "a\nb\nz" for the last
  const apply = (text: string, diff: string) => applyPatchToTree(new Map([['f', text]]), parsePlainDiff('d.diff', `--- a/f\n+++ b/f\n${diff}`));
  const fails = (text: string, diff: string, hunk: number, where: RegExp) => {
    const r = apply(text, diff).result;
    assert.ok(r.status === 'fails' && r.hunk === hunk && where.test(r.reason), JSON.stringify(r));
  };
  // a hunk that starts at line 1 matches at the start only; one without trailing context at the end only
  fails('x\na\nb\n', '@@ -1,2 +1,2 @@\n-a\n+A\n b\n', 1, /at the start of the file/);
  fails('x\na\nb\nc\n', '@@ -2,2 +2,2 @@\n a\n-b\n+B\n', 1, /at the end of the file/);
  assert.equal(apply('x\nx\na\nb\n', '@@ -2,2 +2,2 @@\n a\n-b\n+B\n').tree.get('f'), 'x\nx\na\nB\n');
  // a hunk may not start in the one before it (its trailing context)
  fails('a\nb\nc\nd\ne\n', '@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n', 2, /do not match/);
  // a line "\ No newline at end of file" follows matches only an unterminated last line
  fails('a\nb\n', '@@ -1,2 +1,2 @@\n-a\n+A\n b\n\\ No newline at end of file\n', 1, /at the start of the file/);
  assert.equal(apply('a\nb', '@@ -1,2 +1,2 @@\n-a\n+A\n b\n\\ No newline at end of file\n').tree.get('f'), 'A\nb');
  // a hunk with no old side goes at the end, after an unterminated last line too
  assert.equal(apply('a\nb', '@@ -2,0 +3 @@\n+z\n').tree.get('f'), 'a\nbz\n');
  assert.equal(apply('a\nb\nc\n', '@@ -2,0 +3 @@\n+z\n').tree.get('f'), 'a\nb\nc\nz\n');
});

test('file-level failures: missing file, file to create exists, file to delete differs', () => {
  const { base, patches } = fixture();
  const [first, , files] = parsedSeries(patches);
  const missing = new Map(base);
  missing.delete('src/a.c');
  assert.deepEqual(applyPatchToTree(missing, first).result, {
    patch: '0001-two-hunks.patch',
    status: 'fails',
    file: 'src/a.c',
    hunk: 0,
    hunkHeader: '',
    reason: 'no such file',
  });
  const exists = new Map(base).set('new/file.txt', 'already here\n');
  const r = applyPatchToTree(exists, files).result;
  assert.ok(r.status === 'fails' && r.file === 'new/file.txt' && r.hunk === 0, JSON.stringify(r));
  const differs = new Map(base).set('empty-gone', 'not empty\n');
  const r2 = applyPatchToTree(differs, files).result;
  assert.ok(r2.status === 'fails' && r2.file === 'empty-gone' && /deletes/.test(r2.reason), JSON.stringify(r2));
});

test('malformed mbox input raises MemfixError naming file and line', () => {
  const good = render(fixture().patches).get('0001-two-hunks.patch')!;
  const ls = good.split('\n');
  const at = (prefix: string) => ls.findIndex((l) => l.startsWith(prefix));
  const hunk1 = at('@@');
  const withLine = (idx: number, replacement: string) => ls.map((l, i) => (i === idx ? replacement : l)).join('\n');

  expectMemfixError(() => parseMbox('x.patch', ''), 'x.patch', 1, /mbox/);
  expectMemfixError(() => parseMbox('x.patch', 'diff --git a/x b/x\n'), 'x.patch', 1, /From /);
  expectMemfixError(() => parseMbox('x.patch', withLine(2, 'not a header')), 'x.patch', 3, /header/);
  expectMemfixError(() => parseMbox('x.patch', good.replace(/\n/g, '\r\n')), 'x.patch', 1, /CRLF/);
  expectMemfixError(() => parseMbox('x.patch', withLine(at('Subject:'), 'X-Other: y')), 'x.patch', ls.indexOf('') + 1, /Subject/);
  expectMemfixError(() => parseMbox('x.patch', withLine(hunk1, '@@ -1,x +1,2 @@')), 'x.patch', hunk1 + 1, /hunk header/);
  expectMemfixError(() => parseMbox('x.patch', withLine(hunk1 + 2, '*garbage')), 'x.patch', hunk1 + 3, /unexpected line in hunk/);
  expectMemfixError(() => parseMbox('x.patch', withLine(hunk1 + 2, '\\ No newline at end of file')), 'x.patch', hunk1 + 4, /No newline/);
  expectMemfixError(() => parseMbox('x.patch', withLine(at('+++ '), '+++ /dev/null')), 'x.patch', at('+++ ') + 1, /disagree/);
  expectMemfixError(() => parseMbox('x.patch', withLine(at('index '), 'copy from src/b.c')), 'x.patch', at('index ') + 1, /unsupported/);
  expectMemfixError(() => parseMbox('x.patch', withLine(at('index '), 'rename from src/b.c')), 'x.patch', at('index ') + 2, /rename/);
  expectMemfixError(() => parseMbox('x.patch', ls.slice(0, at('diff --git')).join('\n') + '\n'), 'x.patch', at('diff --git'), /no "diff --git"/);
  // Truncated inside the second hunk: reported at the last line.
  const cut = ls.slice(0, ls.lastIndexOf('-- ') - 2);
  expectMemfixError(() => parseMbox('x.patch', cut.join('\n') + '\n'), 'x.patch', cut.length, /end of file inside the hunk/);
  // Garbage after the diff (before the signature).
  expectMemfixError(() => parseMbox('x.patch', withLine(ls.lastIndexOf('-- '), 'trailing garbage')), 'x.patch', ls.lastIndexOf('-- ') + 1, /after the diff/);
  // Two messages in one file (git format-patch --stdout) are not silently half-read.
  expectMemfixError(() => parseMbox('x.patch', good + good), 'x.patch', ls.length, /second message/);
  assert.doesNotThrow(() => parseMbox('x.patch', good));
});

test('readSeriesOrder: quilt series order, else by number; cover letter excluded', () => {
  const names = ['0010-ten.patch', '0002-two.patch', '0000-cover-letter.patch', 'notes.txt', '0001-one.patch', 'series'];
  assert.deepEqual(readSeriesOrder(null, names), ['0001-one.patch', '0002-two.patch', '0010-ten.patch']);
  assert.deepEqual(readSeriesOrder('# comment\n0002-two.patch -p1\n\n0001-one.patch # why\n', names), ['0002-two.patch', '0001-one.patch']);
  expectMemfixError(() => readSeriesOrder('0001-one.patch\n0003-missing.patch\n', names), 'series', 2, /0003-missing.patch/);
  expectMemfixError(() => readSeriesOrder('0001-one.patch\n0001-one.patch\n', names), 'series', 2, /twice/);
});
