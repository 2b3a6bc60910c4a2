import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderSeries, blobId, splitRecords, type PatchSpec, type SeriesOptions, type FileChange } from '../src/series.ts';
import { diffArrays, diffLines } from 'diff';
import { MemfixError } from '../src/errors.ts';
import { REPO } from './e2e-helpers.ts';

// ------------------------------------------------------------------ fixtures

type Tree = Map<string, string>;

const EPOCH = 1767225600; // 2026-01-01T00:00:00Z
const TZ = 60;

function options(over: Partial<SeriesOptions> = {}): SeriesOptions {
  return {
    author: { name: 'A. U. Thor', email: 'author@example.com' },
    date: { epochSeconds: EPOCH, tzOffsetMinutes: TZ },
    cover: { subject: 'Fix the memory-safety bugs of the in-memory disk I/O', body: 'This series fixes things.\n\nSecond paragraph.\n' },
    signature: 'memfix 0.1.0',
    ...over,
  };
}

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i) + '\n').join('');

const ALLOC_V0 =
  '#include <cstring>\n\n' +
  'static char *buf;\n\n' +
  'int alloc_piece(int size)\n{\n' +
  '\tbuf = new char[size];\n\tmemset(buf, 0, size);\n\treturn 0;\n}\n\n' +
  lines(12, (i) => `// filler ${i}`) +
  'void free_piece()\n{\n' +
  '\tdelete buf;\n\tbuf = 0;\n}\n';
const ALLOC_V1 = ALLOC_V0.replace('\tbuf = new char[size];\n', '\tif (size <= 0)\n\t\treturn -1;\n\tbuf = new char[size];\n').replace(
  '\tdelete buf;\n',
  '\tdelete[] buf;\n',
);
const ALLOC_V2 = ALLOC_V1.replace('\tbuf = 0;\n', '\tbuf = nullptr;\n');

const BOM = '\uFEFF';
const CRLF_V0 = BOM + '// Größe des Puffers\r\nint size = 16;\r\nint count = 0;\r\n// ende\r\n';
const CRLF_V1 = BOM + '// Größe des Puffers (in Bytes)\r\nint size = 32;\r\nint count = 0;\r\n// ende\r\n';

const LONG_PATH = 'very/long/directory/structure/that/exceeds/the/name/width/limit/file.cpp';

function baseTree(): Tree {
  return new Map([
    ['src/alloc.cpp', ALLOC_V0],
    ['src/crlf.cpp', CRLF_V0],
    ['docs/notes.txt', 'first\nsecond\nno newline at end'],
    ['dir with space/file name.txt', 'alpha\nbeta\n'],
    ['é/ünï.txt', 'q\n'],
    ['old.txt', 'to be removed\n'],
    [LONG_PATH, 'x\n'],
  ]);
}

/** Builds the series against `tree`, so every `before` is the current content. */
function fixtureSeries(): { base: Tree; patches: PatchSpec[] } {
  const base = baseTree();
  const cur = new Map(base);
  const change = (path: string, after: string | null): FileChange => {
    const c = { path, before: cur.get(path) ?? null, after };
    if (after === null) cur.delete(path);
    else cur.set(path, after);
    return c;
  };
  const patches: PatchSpec[] = [
    {
      slug: 'check-piece-size',
      subject: 'alloc: reject non-positive piece sizes and free pieces with delete[] as they were allocated with new[]',
      body: 'The piece buffer is allocated with new[] but was freed with delete.\nAlso reject sizes <= 0.\n',
      changes: [change('src/new.h', '#pragma once\n'), change('src/alloc.cpp', ALLOC_V1)],
    },
    {
      slug: 'crlf-unicode',
      subject: 'crlf: enlarge the buffer — größer ist besser, with a subject long enough to fold',
      body: 'Touches a CRLF file with a BOM; non-ASCII text: ünïcödé.\n',
      changes: [change('src/crlf.cpp', CRLF_V1), change('é/ünï.txt', 'q\nr\n')],
    },
    {
      slug: 'misc',
      subject: 'misc: delete, create empty, spaces and a big change',
      body: '',
      changes: [
        change('old.txt', null),
        change('empty.txt', ''),
        change('docs/notes.txt', 'first\nsecond\nnow with newline at end\n'),
        change('dir with space/file name.txt', 'alpha\nBETA\n'),
        change(LONG_PATH, 'x\n' + lines(120, (i) => `int v${i} = ${i};`)),
      ],
    },
    {
      slug: 'nullptr',
      subject: 'alloc: use nullptr',
      body: '\n\nLeading blank lines are dropped, trailing spaces too.   \n\n\n',
      changes: [change('src/alloc.cpp', ALLOC_V2), change('src/new.h', '#pragma once')],
    },
  ];
  return { base, patches };
}

function finalTree(base: Tree, patches: PatchSpec[]): Tree {
  const t = new Map(base);
  for (const p of patches) {
    for (const c of p.changes) {
      if (c.after === null) t.delete(c.path);
      else t.set(c.path, c.after);
    }
  }
  return t;
}

// ------------------------------------------------------------------- helpers

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `memfix-${prefix}-`));
}

function gitDate(o: SeriesOptions): string {
  const m = Math.abs(o.date.tzOffsetMinutes);
  const tz = (o.date.tzOffsetMinutes < 0 ? '-' : '+') + String(Math.floor(m / 60)).padStart(2, '0') + String(m % 60).padStart(2, '0');
  return `${o.date.epochSeconds} ${tz}`;
}

function gitEnv(o: SeriesOptions, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LC_ALL: 'C',
    TZ: 'UTC',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: o.author.name,
    GIT_AUTHOR_EMAIL: o.author.email,
    GIT_COMMITTER_NAME: o.author.name,
    GIT_COMMITTER_EMAIL: o.author.email,
    GIT_AUTHOR_DATE: gitDate(o),
    GIT_COMMITTER_DATE: gitDate(o),
  };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input?: string): string {
  return execFileSync(cmd, args, { cwd, env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function writeTree(dir: string, tree: Tree): void {
  for (const [p, content] of tree) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), Buffer.from(content, 'utf8'));
  }
}

/** Every file under dir (except VCS/quilt metadata) as raw bytes. */
function readTree(dir: string, skip = new Set(['.git', '.pc'])): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.has(r)) continue;
      if (e.isDirectory()) walk(r);
      else out.set(r, readFileSync(join(dir, r)));
    }
  };
  walk('');
  return out;
}

function asBytes(tree: Tree): Map<string, Buffer> {
  return new Map([...tree].map(([p, c]) => [p, Buffer.from(c, 'utf8')]));
}

function sorted<T>(m: Map<string, T>): [string, T][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function initRepo(dir: string, env: NodeJS.ProcessEnv, base: Tree): string {
  run('git', ['init', '-q', '-b', 'main'], dir, env);
  run('git', ['config', 'user.name', env.GIT_AUTHOR_NAME!], dir, env);
  run('git', ['config', 'user.email', env.GIT_AUTHOR_EMAIL!], dir, env);
  writeTree(dir, base);
  run('git', ['add', '-A'], dir, env);
  run('git', ['commit', '-q', '-m', 'base'], dir, env);
  return run('git', ['rev-parse', 'HEAD'], dir, env).trim();
}

/** Commit the patches with git itself and let `git format-patch` render them. */
function gitFormatPatch(base: Tree, patches: PatchSpec[], o: SeriesOptions): { baseSha: string; files: string[] } {
  const dir = tmp('git-fp');
  try {
    const env = gitEnv(o, dir);
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const baseSha = initRepo(repo, env, base);
    run('git', ['checkout', '-q', '-b', 'topic'], repo, env);
    for (const p of patches) {
      for (const c of p.changes) {
        if (c.after === null) unlinkSync(join(repo, c.path));
        else writeTree(repo, new Map([[c.path, c.after]]));
      }
      run('git', ['add', '-A'], repo, env);
      writeFileSync(join(dir, 'msg'), `${p.subject}\n\n${p.body}`);
      run('git', ['commit', '-q', '--cleanup=verbatim', '-F', join(dir, 'msg')], repo, env);
    }
    run('git', ['config', 'branch.topic.description', `${o.cover!.subject}\n\n${o.cover!.body}`], repo, env);
    const out = join(dir, 'out');
    const args = ['format-patch', '-q', '--full-index', '--zero-commit', '--cover-letter', '--cover-from-description=subject'];
    args.push(`--base=${baseSha}`, `--signature=${o.signature}`, '-o', out, `${baseSha}..topic`);
    run('git', args, repo, env);
    const files = readdirSync(out)
      .sort()
      .map((f) => readFileSync(join(out, f), 'utf8'));
    return { baseSha, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The part of a patch from "---" through the end of the last hunk: diffstat, summary and diffs. */
function diffPart(patch: string): string {
  const start = patch.indexOf('\n---\n');
  const end = patch.lastIndexOf('\n-- \n');
  assert.ok(start >= 0 && end > start, 'patch has a "---" line and a signature');
  return patch.slice(start + 1, end + 1);
}

// --------------------------------------------------------------------- tests

test('renders cover letter, numbered patches and a quilt series file', () => {
  const { patches } = fixtureSeries();
  const files = renderSeries(patches, options());
  assert.deepEqual(
    files.map((f) => f.name),
    ['0000-cover-letter.patch', '0001-check-piece-size.patch', '0002-crlf-unicode.patch', '0003-misc.patch', '0004-nullptr.patch', 'series'],
  );
  assert.equal(files[5].content, '0001-check-piece-size.patch\n0002-crlf-unicode.patch\n0003-misc.patch\n0004-nullptr.patch\n');
  for (const f of files.slice(0, 5)) {
    assert.ok(f.content.startsWith('From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: "A. U. Thor" <author@example.com>\nDate: Thu, 1 Jan 2026 01:00:00 +0100\n'));
    assert.ok(f.content.endsWith('\n-- \nmemfix 0.1.0\n\n'));
  }
  assert.match(files[0].content, /^Subject: \[PATCH 0\/4\] Fix the memory-safety bugs/m);
  assert.match(files[4].content, /^Subject: \[PATCH 4\/4\] alloc: use nullptr$/m);
  // The full index line, with git's blob ids.
  assert.ok(files[1].content.includes(`index ${blobId(ALLOC_V0)}..${blobId(ALLOC_V1)} 100644\n`));
  assert.equal(blobId(''), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  assert.ok(files[3].content.includes('new file mode 100644\nindex 0000000000000000000000000000000000000000..e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\n'));
});

test('rendering is deterministic', () => {
  const a = renderSeries(fixtureSeries().patches, options({ baseCommit: 'a'.repeat(40) }));
  const b = renderSeries(fixtureSeries().patches, options({ baseCommit: 'a'.repeat(40) }));
  assert.deepEqual(a, b);
});

test('CRLF, BOM and non-ASCII content are preserved in the diff lines', () => {
  const files = renderSeries(fixtureSeries().patches, options());
  const p = files[2].content;
  assert.ok(p.includes(`-${BOM}// Größe des Puffers\r\n-int size = 16;\r\n+${BOM}// Größe des Puffers (in Bytes)\r\n+int size = 32;\r\n`));
  assert.ok(p.includes(' int count = 0;\r\n'));
  assert.ok(p.includes('MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n'));
  assert.match(p, /^Subject: \[PATCH 2\/4\] =\?UTF-8\?q\?crlf:=20/m);
  // Non-ASCII paths are C-quoted as git does with core.quotePath.
  assert.ok(p.includes('diff --git "a/\\303\\251/\\303\\274n\\303\\257.txt" "b/\\303\\251/\\303\\274n\\303\\257.txt"\n'));
});

test('byte-identical to git format-patch for the whole series', () => {
  const { base, patches } = fixtureSeries();
  const o = options();
  const git = gitFormatPatch(base, patches, o);
  const ours = renderSeries(patches, { ...o, baseCommit: git.baseSha });
  assert.equal(git.files.length, ours.length - 1);
  for (let i = 0; i < git.files.length; i++) {
    assert.equal(ours[i].content, git.files[i], `${ours[i].name} differs from git format-patch`);
  }
});

test('diff sections and diffstat match git when only the diff is non-ASCII; MIME headers are added', () => {
  const o = options({ author: { name: 'Jörg Müller-Lüdenscheidt', email: 'joerg@example.com' } });
  const base: Tree = new Map([['a.txt', 'eins\nzwei\ndrei\n'], ['b.c', 'int f()\n{\n' + lines(10, (i) => `  x${i}();`) + '}\n']]);
  const patches: PatchSpec[] = [
    {
      slug: 'umlauts',
      subject: 'Plain ASCII subject',
      body: 'Plain body.',
      changes: [
        { path: 'a.txt', before: base.get('a.txt')!, after: 'eins\nzwei — größer\ndrei\n' },
        { path: 'b.c', before: base.get('b.c')!, after: base.get('b.c')!.replace('  x8();\n', '  x8(); // ä\n') },
      ],
    },
  ];
  const git = gitFormatPatch(base, patches, o);
  const ours = renderSeries(patches, { ...o, baseCommit: git.baseSha });
  assert.equal(diffPart(ours[1].content), diffPart(git.files[1]));
  // RFC 2047-encoded name; the address goes to a continuation line past 76 columns, as git does.
  assert.match(ours[1].content, /^From: =\?UTF-8\?q\?J=C3=B6rg=20M=C3=BCller-L=C3=BCdenscheidt\?=\n <joerg@example.com>$/m);
  assert.ok(ours[1].content.includes('\nContent-Transfer-Encoding: 8bit\n\nPlain body.\n---\n'));
  // git only looks at the message for the MIME headers; apart from them the patch is identical.
  assert.equal(ours[1].content.replace(/MIME-Version: 1.0\nContent-Type: [^\n]*\nContent-Transfer-Encoding: 8bit\n/, ''), git.files[1]);
  // Cover letter: git before v2.44 (commit 219d54ae8c) forgot to Q-encode its From: header; we always encode.
  const dropFrom = (s: string) => s.replace(/^From: [^]*?\nDate: /m, 'Date: ');
  assert.equal(dropFrom(ours[0].content), dropFrom(git.files[0]));
  assert.match(ours[0].content, /^From: =\?UTF-8\?q\?J=C3=B6rg=20/m);
});

test('ten patches: zero-padded numbering and edge cases match git format-patch byte for byte', () => {
  const o = options({ author: { name: 'Plain Name', email: 'plain@example.com' }, cover: { subject: 'Ten small patches', body: 'Blurb.' } });
  const longFunc = 'int x' + 'é'.repeat(50) + '(void)\n'; // 80-byte cut lands inside a UTF-8 sequence
  const base: Tree = new Map([
    ['full.txt', 'a\nb\n'],
    ['func.c', longFunc + '{\n' + lines(8, (i) => `\tstep${i}();`) + '}\n'],
    ['tabs.txt', 'x\ty\n'],
  ]);
  const cur = new Map(base);
  const change = (path: string, after: string | null): FileChange => {
    const c = { path, before: cur.get(path) ?? null, after };
    if (after === null) cur.delete(path);
    else cur.set(path, after);
    return c;
  };
  const patches: PatchSpec[] = [
    { slug: 'p1', subject: 'empty a file', body: 'trailing spaces   \n\n', changes: [change('full.txt', '')] },
    // Ends a word exactly at column 78 of the Subject: line (no fold there, git wraps at > 78).
    { slug: 'p2', subject: 'fill it again, without a final newline ' + 'x'.repeat(16) + ' and more words', body: '', changes: [change('full.txt', 'x')] },
    { slug: 'p3', subject: 'a =?subject?= that needs encoding', body: '', changes: [change('func.c', cur.get('func.c')!.replace('step6', 'STEP6'))] },
    // Ends a word exactly at column 72 of the shortlog line.
    { slug: 'p4', subject: 'new file without newline ' + 'y'.repeat(45) + ' tail', body: '', changes: [change('n.txt', 'no newline')] },
    { slug: 'p5', subject: 'tab\tin subject', body: 'Body\twith tab.', changes: [change('tabs.txt', 'x\ty\tz\n')] },
    { slug: 'p6', subject: 'Ünïcödé subject', body: 'ünïcödé body', changes: [change('n.txt', 'no newline\n')] },
    { slug: 'p7', subject: 'delete', body: '', changes: [change('n.txt', null)] },
    { slug: 'p8', subject: 'recreate', body: '', changes: [change('n.txt', '1\n2\n')] },
    { slug: 'p9', subject: 'many files', body: '', changes: [1, 2, 3].map((k) => change(`d/f${k}.txt`, lines(k * 30, (i) => `${i}`))) },
    { slug: 'p10', subject: 'last', body: '', changes: [change('d/f2.txt', lines(60, (i) => (i % 7 ? `${i}` : `changed ${i}`)))] },
  ];
  const git = gitFormatPatch(base, patches, o);
  const ours = renderSeries(patches, { ...o, baseCommit: git.baseSha });
  assert.match(ours[1].content, /^Subject: \[PATCH 01\/10\] empty a file$/m);
  assert.match(ours[0].content, /^Subject: \[PATCH 00\/10\] Ten small patches$/m);
  for (let i = 0; i < git.files.length; i++) {
    let mine = ours[i].content;
    if (i === 3) {
      // Only the diff is non-ASCII here: we add the MIME headers, git (which looks at the message only) does not.
      assert.ok(mine.includes('Content-Transfer-Encoding: 8bit\n') && !git.files[i].includes('Content-Transfer-Encoding'));
      mine = mine.replace(/MIME-Version: 1.0\nContent-Type: [^\n]*\nContent-Transfer-Encoding: 8bit\n/, '');
    }
    assert.equal(mine, git.files[i], `${ours[i].name} differs from git format-patch`);
  }
});

test('git am applies the series one patch at a time, reproducing every byte', () => {
  const { base, patches } = fixtureSeries();
  const o = options();
  const files = renderSeries(patches, o);
  const dir = tmp('git-am');
  try {
    const env = gitEnv(o, dir);
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    initRepo(repo, env, base);
    for (const f of files.slice(1, -1)) {
      writeFileSync(join(dir, f.name), f.content);
      // --keep-cr: git mailsplit strips the CR of CRLF lines otherwise, and the CRLF file's hunks would not apply.
      run('git', ['am', '-q', '--keep-cr', join(dir, f.name)], repo, env);
    }
    assert.deepEqual(sorted(readTree(repo)), sorted(asBytes(finalTree(base, patches))));
    const subjects = run('git', ['log', '--format=%s', '--reverse', 'HEAD~4..HEAD'], repo, env).trim().split('\n');
    assert.deepEqual(subjects, patches.map((p) => p.subject));
    assert.equal(run('git', ['log', '-1', '--format=%an <%ae> %ad', '--date=raw'], repo, env).trim(), 'A. U. Thor <author@example.com> 1767225600 +0100');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('quilt push -a applies the series to a copy of the tree, reproducing every byte', () => {
  const { base, patches } = fixtureSeries();
  const files = renderSeries(patches, options());
  const dir = tmp('quilt');
  try {
    const out = join(dir, 'patches');
    const tree = join(dir, 'tree');
    mkdirSync(out);
    mkdirSync(tree);
    for (const f of files) writeFileSync(join(out, f.name), f.content);
    writeTree(tree, base);
    const env = { PATH: process.env.PATH, HOME: dir, LC_ALL: 'C', QUILT_PATCHES: out };
    run('quilt', ['--quiltrc', '-', 'push', '-a', '-q'], tree, env);
    assert.deepEqual(sorted(readTree(tree)), sorted(asBytes(finalTree(base, patches))));
    assert.equal(run('quilt', ['--quiltrc', '-', 'applied'], tree, env).trim().split('\n').length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fixes of our sample trees render as git format-patch renders them, byte for byte', async () => {
  // git drops the lines both ends of a file share before it diffs; a line diff of the whole file
  // may align an inserted block with a different one of several equal lines (a closing brace)
  const { loadCodemods } = await import('../src/registry.ts');
  const { plan } = await import('../src/engine.ts');
  const { readTree: readFixture } = await import('../src/workspace.ts');
  const mods = await loadCodemods();
  for (const fixture of ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head']) {
    const base = readFixture(join(REPO, fixture));
    const { steps } = await plan(base, mods);
    const patches: PatchSpec[] = steps.filter((st) => st.taken).map((st) => ({ slug: st.codemod.meta.id, subject: st.codemod.meta.commit.subject, body: '', changes: st.changes }));
    assert.ok(patches.length >= 4, `${fixture}: ${patches.length} patches`);
    const o = options();
    const git = gitFormatPatch(base, patches, o);
    const ours = renderSeries(patches, { ...o, baseCommit: git.baseSha });
    for (let i = 1; i < git.files.length; i++) assert.equal(diffPart(ours[i]!.content), diffPart(git.files[i]!), `${fixture}: ${ours[i]!.name} differs from git format-patch`);
  }
});

test('hunks that jsdiff and git may split differently still apply with git am', () => {
  // Repetitive content makes the diff ambiguous; whatever hunks we choose must apply.
  // (git 2.39 puts the inserted block one line higher than jsdiff does here.)
  const before = lines(40, (i) => (i % 4 === 3 ? '}' : i % 4 === 0 ? `void f${i}() {` : ''));
  const after = before.replace('void f8() {\n\n\n}\n', 'void f8() {\n\n\n}\nvoid g() {\n\n\n}\n').replace('void f20() {\n', '');
  const patches: PatchSpec[] = [{ slug: 'ambiguous', subject: 'ambiguous change', body: '', changes: [{ path: 'x.c', before, after }] }];
  const o = options();
  const [, patch] = renderSeries(patches, o);
  const dir = tmp('git-am-ambiguous');
  try {
    const env = gitEnv(o, dir);
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    initRepo(repo, env, new Map([['x.c', before]]));
    writeFileSync(join(dir, patch.name), patch.content);
    run('git', ['am', '-q', join(dir, patch.name)], repo, env);
    assert.equal(readFileSync(join(repo, 'x.c'), 'utf8'), after);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid input is rejected with MemfixError', () => {
  const ok: PatchSpec = { slug: 's', subject: 'subject', body: '', changes: [{ path: 'a', before: 'x\n', after: 'y\n' }] };
  const bad = (patches: PatchSpec[], o = options()) => assert.throws(() => renderSeries(patches, o), MemfixError);
  bad([]);
  bad([{ ...ok, slug: 'a/b' }]);
  bad([{ ...ok, subject: '  ' }]);
  bad([{ ...ok, subject: 'two\nlines' }]);
  bad([{ ...ok, body: 'text\n---\nmore' }]);
  bad([{ ...ok, changes: [{ path: 'a', before: 'x', after: 'x' }] }]);
  bad([{ ...ok, changes: [{ path: '../a', before: 'x', after: 'y' }] }]);
  bad([{ ...ok, changes: [{ path: 'a', before: null, after: 'bin\0ary' }] }]);
  bad([{ ...ok, changes: [ok.changes[0], ok.changes[0]] }]);
  // The second patch must start from what the first one left.
  bad([ok, { ...ok, changes: [{ path: 'a', before: 'x\n', after: 'z\n' }] }]);
  bad([ok], options({ author: { name: 'Evil <x>', email: 'e@example.com' } }));
  bad([ok], options({ baseCommit: 'HEAD' }));
  assert.doesNotThrow(() => renderSeries([ok, { ...ok, changes: [{ path: 'a', before: 'y\n', after: 'z\n' }] }], options()));
});

test('the line diff of records is diffLines of their text: the same parts, CRLF, lone CR and a last line without newline included', () => {
  // series.ts diffs the records (diffArrays) where it joined them for diffLines, which split them again
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const pieces = ['a', 'b', 'c', 'int x;', '}', '', ' ', '\r', 'ä'];
  const text = () => {
    let t = '';
    for (let n = rnd(30); n > 0; n--) t += pieces[rnd(pieces.length)]! + ['\n', '\n', '\r\n', ''][rnd(4)]!;
    return t;
  };
  const shape = (parts: { count?: number; added: boolean; removed: boolean }[]) => parts.map((p) => `${p.added ? '+' : p.removed ? '-' : '='}${p.count}`).join(' ');
  for (let i = 0; i < 2000; i++) {
    const a = text();
    const b = rnd(3) === 0 ? a.replace(/b/g, 'c') : text();
    assert.equal(shape(diffArrays(splitRecords(a), splitRecords(b))), shape(diffLines(a, b)), JSON.stringify([a, b]));
  }
});
