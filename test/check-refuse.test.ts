/**
 * `memfix check --patches P` trusts neither the patches nor the tree (issue 21, item 5): a patch
 * that names a path git apply refuses as unsafe (`..`, absolute, `.git`), or that leads through
 * a symbolic link in DIR, or names a FIFO there, is reported as refused (exit 2, one
 * `memfix: FILE:LINE:` line) in every format, and the file it names is never opened. A patch or
 * `series` file that is not a regular file (a FIFO, a link to /dev/zero, a folder) or is over the
 * size limit is exit 2 at once, without hanging or reading it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { HEADER, REPO, SAMPLE, assertOneLineError, copyTree, memfix, run, show, tempRoot } from './e2e-helpers.ts';
import { parseMbox, unsafePath, unsafePathOf } from '../src/patch-parse.ts';

const tmp = tempRoot('memfix-check-refuse-');
after(() => tmp.cleanup());
let n = 0;
const fresh = (name: string) => join(tmp.root, `${name}${++n}`);

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default as typeof import('ajv').default;
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;
const validateReport = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(REPO, 'docs/report.schema.json'), 'utf8')));
const draft04 = new AjvDraft04({ allErrors: true, strict: false });
addFormats(draft04);
const validateSarif = draft04.compile(JSON.parse(readFileSync(join(REPO, 'test/data/sarif-schema-2.1.0.json'), 'utf8')));

/** A one-file patch in `git format-patch` form changing line `from` to `to` of `path` (prefixes as given). */
function patchText(a: string, b: string, from = 'guess', to = 'x', extra = ''): string {
  return [
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
    'From: Mallory <m@example.com>',
    'Date: Thu, 1 Jan 2026 00:00:00 +0000',
    'Subject: [PATCH] hostile',
    '',
    '---',
    ` ${b} | 2 +-`,
    '',
    `diff --git ${a} ${b}`,
    ...(extra ? [extra] : []),
    `--- ${a}`,
    `+++ ${b}`,
    '@@ -1 +1 @@',
    `-${from}`,
    `+${to}`,
    '-- ',
    'memfix test',
    '',
  ].join('\n');
}

/** A sample tree, its memfix series (plain folder: paths from DIR), and a FIFO `secret` beside them that blocks whoever opens it. */
let seriesDir: string;
let patchNames: string[];
before(async () => {
  const d = copyTree(SAMPLE, fresh('base'));
  seriesDir = fresh('series');
  const s = await memfix(['series', d, '-o', seriesDir, '--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z']);
  assert.equal(s.code, 0, show(s));
  patchNames = readFileSync(join(seriesDir, 'series'), 'utf8').split('\n').filter(Boolean);
});

/** A case: DIR (a sample copy) and its patches folder (the series plus `extra` patches appended to `series`), inside one folder beside a FIFO canary. */
function scene(extra: Record<string, string>): { top: string; dir: string; patches: string; canary: string } {
  const top = fresh('scene');
  mkdirSync(top);
  const dir = copyTree(SAMPLE, join(top, 'tree'));
  const patches = join(top, 'patches');
  cpSync(seriesDir, patches, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(patches, name), text);
  writeFileSync(join(patches, 'series'), [...patchNames, ...Object.keys(extra)].join('\n') + '\n');
  const canary = join(top, 'secret.txt');
  execFileSync('mkfifo', [canary]);
  return { top, dir, patches, canary };
}

describe('unsafe paths, as git apply has them', () => {
  test('unsafePath refuses what git\'s verify_path refuses, and accepts ordinary paths', () => {
    const refused = ['../x', 'a/../x', 'a/..', './x', 'a/./x', '/etc/passwd', 'a//x', 'a/', '', '.git/config', 'sub/.GIT/hooks/x', '.git./x', '.git /x', 'git~1/config', 'a\\.git\\x', 'x\0y'];
    for (const p of refused) assert.ok(unsafePath(p), `refuses ${JSON.stringify(p)}`);
    const fine = ['x', 'a/b/c.hpp', '.gitignore', '.github/workflows/ci.yml', '..x', 'x..', '...', 'a/.hidden', 'git~2/x', 'a b/c', 'a\\b'];
    for (const p of fine) assert.equal(unsafePath(p), null, `accepts ${JSON.stringify(p)}`);
  });

  test('git apply --check agrees: "invalid path" exactly where unsafePath refuses (files made to exist)', async () => {
    const repo = fresh('git');
    mkdirSync(join(repo, 'sub'), { recursive: true });
    const paths = ['sub/f', '../x', 'sub/../f', './f', '.git/config', '.GIT/x', 'git~1/x', '.git./x', 'sub\\.git\\x', '.gitignore', '..x'];
    for (const p of paths) {
      const abs = join(repo, p);
      mkdirSync(join(abs, '..'), { recursive: true });
      writeFileSync(abs, 'guess\n');
    }
    assert.equal((await run('git', ['init', '-q'], { cwd: repo })).code, 0);
    for (const p of paths) {
      const file = join(repo, '..', `p${n++}.patch`);
      writeFileSync(file, patchText(`a/${p}`, `b/${p}`));
      const g = await run('git', ['apply', '--check', file], { cwd: repo });
      const gitRefuses = /invalid path/.test(g.stderr);
      assert.equal(!!unsafePath(p), gitRefuses, `${p}: memfix ${unsafePath(p) ?? 'accepts'}, git: ${g.code} ${g.stderr}`);
      const parsed = parseMbox(file, patchText(`a/${p}`, `b/${p}`));
      assert.equal(unsafePathOf(parsed)?.line ?? null, gitRefuses ? 9 : null, 'the refusal names the "diff --git" line');
    }
  });

  test('a rename whose target leaves the tree is refused too (rename paths have no prefix)', () => {
    const text = [
      'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001', 'Subject: [PATCH] r', '', '---',
      'diff --git a/f b/../../y', 'similarity index 100%', 'rename from f', 'rename to ../../y', '',
    ].join('\n');
    assert.deepEqual(unsafePathOf(parseMbox('r.patch', text)), { file: '../../y', line: 5, reason: 'a ".." component: git apply refuses such a path, which can lead outside the tree' });
  });
});

describe('check refuses patches that lead out of DIR', { concurrency: 2, timeout: 300_000 }, () => {
  test('a/../../secret.txt: refused in text (stdout and one stderr line), exit 2; the FIFO beside the tree is never opened', async () => {
    const s = scene({ '0007-evil.patch': patchText('a/../secret.txt', 'b/../secret.txt') });
    const r = await memfix(['check', s.dir, '--patches', s.patches]);
    assert.equal(r.code, 2, show(r));
    const line = assertOneLineError(r, 'refused patch');
    assert.equal(line, `memfix: ${join(s.patches, '0007-evil.patch')}:9: refused: "../secret.txt": a ".." component: git apply refuses such a path, which can lead outside the tree`);
    assert.match(r.stdout, /^\s+refused\s+\S*0007-evil\.patch:9: refused: "\.\.\/secret\.txt"/m, show(r));
    // the memfix series itself is judged as usual
    for (const p of patchNames) assert.match(r.stdout, new RegExp(`^\\s+applies\\s+\\S*${p}$`, 'm'), show(r));
  });

  test('every format has the refused verdict: json (schema-valid), sarif (valid, a notification), github, junit (an error)', async () => {
    const s = scene({ '0007-abs.patch': patchText('a//etc/hostname', 'b//etc/hostname') });
    const sarifFile = join(s.top, 'out.sarif');
    const junitFile = join(s.top, 'out.xml');
    const r = await memfix(['check', s.dir, '--patches', s.patches, '--format', 'json', '--format', `sarif:${sarifFile}`, '--format', `junit:${junitFile}`]);
    assert.equal(r.code, 2, show(r));
    const report = JSON.parse(r.stdout) as { exitCode: number; results: { name: string }[] };
    assert.ok(validateReport(report), JSON.stringify(validateReport.errors, null, 2));
    assert.equal(report.exitCode, 2);
    const evil = report.results.find((x) => x.name === '0007-abs.patch');
    // memfix did not write it (its manifest does not list it): the maintainer's
    assert.deepEqual(evil, { name: '0007-abs.patch', fix: null, status: 'refused', file: '/etc/hostname', patchLine: 9, reason: 'an absolute path: git apply refuses such a path, which can lead outside the tree', stale: false, maintainer: true });

    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as { runs: { invocations: { executionSuccessful: boolean; toolExecutionNotifications: { message: { text: string } }[] }[]; results: unknown[] }[] };
    assert.ok(validateSarif(sarif), JSON.stringify(validateSarif.errors, null, 2));
    const inv = sarif.runs[0]!.invocations[0]!;
    assert.equal(inv.executionSuccessful, false);
    assert.ok(inv.toolExecutionNotifications.some((x) => /0007-abs\.patch is refused .*"\/etc\/hostname"/.test(x.message.text)), JSON.stringify(inv));
    assert.ok(!JSON.stringify(sarif.runs[0]!.results).includes('/etc/hostname'), 'no result located outside the tree');

    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (x) => ['testsuite', 'testcase'].includes(x) }).parse(readFileSync(junitFile, 'utf8'));
    const tc = junit.testsuites.testsuite[0].testcase.find((c: { name: string }) => c.name === '0007-abs.patch');
    assert.match(tc.error.message, /^line 9: refused: "\/etc\/hostname": an absolute path/);

    const gh = await memfix(['check', s.dir, '--patches', s.patches, '--format', 'github']);
    assert.equal(gh.code, 2, show(gh));
    assert.match(gh.stdout, /^::error title=memfix check%3A memfix::0007-abs\.patch is refused \(line 9\): refused: "\/etc\/hostname": an absolute path/m, show(gh));
  });

  test('a path through a symbolic link in DIR (to a folder outside), a link as the file itself, a FIFO in DIR: refused, nothing read', async () => {
    const s = scene({
      '0007-through.patch': patchText('a/out/secret.txt', 'b/out/secret.txt'),
      '0008-link.patch': patchText('a/link.hpp', 'b/link.hpp'),
      '0009-fifo.patch': patchText('a/pipe.hpp', 'b/pipe.hpp'),
      '0010-dotgit.patch': patchText('a/.git/config', 'b/.git/config'),
    });
    symlinkSync(s.top, join(s.dir, 'out'));
    symlinkSync(s.canary, join(s.dir, 'link.hpp'));
    execFileSync('mkfifo', [join(s.dir, 'pipe.hpp')]);
    const r = await memfix(['check', s.dir, '--patches', s.patches, '--format', 'json']);
    assert.equal(r.code, 2, show(r));
    const by = Object.fromEntries(JSON.parse(r.stdout).results.map((x: { name: string; status: string; reason?: string }) => [x.name, x]));
    assert.equal(by['0007-through.patch'].status, 'refused');
    assert.match(by['0007-through.patch'].reason, /^out is a symbolic link in the tree/);
    assert.equal(by['0008-link.patch'].status, 'refused');
    assert.match(by['0008-link.patch'].reason, /^is a symbolic link in the tree/);
    assert.equal(by['0009-fifo.patch'].status, 'refused');
    assert.match(by['0009-fifo.patch'].reason, /^is a FIFO, not a regular file/);
    assert.equal(by['0010-dotgit.patch'].status, 'refused');
    assert.match(by['0010-dotgit.patch'].reason, /^a "\.git" component/);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 4, show(r));
    for (const p of patchNames) assert.equal(by[p].status, 'applies', p);
  });
});

describe('patch files that are not regular files, or too large: exit 2 at once', { concurrency: 2, timeout: 300_000 }, () => {
  // [what, the file it makes (listed in `series` unless it is `series`), how, the error]
  const cases: [string, string, (file: string, top: string) => void, RegExp][] = [
    ['a symbolic link to /dev/zero', '0007-zero.patch', (f) => symlinkSync('/dev/zero', f), /0007-zero\.patch: is a symbolic link, not a regular file/],
    ['a symbolic link to a file outside the folder', '0007-out.patch', (f, top) => symlinkSync(join(top, 'secret.txt'), f), /0007-out\.patch: is a symbolic link, not a regular file/],
    ['a folder', '0007-dir.patch', (f) => mkdirSync(f), /0007-dir\.patch: is a directory, not a regular file/],
    ['a FIFO', '0007-fifo.patch', (f) => execFileSync('mkfifo', [f]), /0007-fifo\.patch: is a FIFO, not a regular file/],
    ['a FIFO series file', 'series', (f) => execFileSync('mkfifo', [f]), /\/series: is a FIFO, not a regular file/],
    ['a series file linked to /dev/zero', 'series', (f) => symlinkSync('/dev/zero', f), /\/series: is a symbolic link, not a regular file/],
    ['a patch over the limit (MEMFIX_MAX_FILE_MIB=1)', '0007-big.patch', (f) => writeFileSync(f, patchText('a/x', 'b/x') + 'x'.repeat(1.5 * 1048576)), /0007-big\.patch: is 1\.5 MiB, over memfix's limit of 1 MiB/],
  ];
  for (const [what, name, make, expected] of cases) {
    test(what, async () => {
      const s = scene({});
      const series = join(s.patches, 'series');
      if (name === 'series') rmSync(series);
      else writeFileSync(series, readFileSync(series, 'utf8') + name + '\n');
      make(join(s.patches, name), s.top);
      const started = Date.now();
      const r = await memfix(['check', s.dir, '--patches', s.patches], { env: { MEMFIX_MAX_FILE_MIB: '1' } });
      assert.equal(r.code, 2, show(r));
      assert.match(assertOneLineError(r, what), expected);
      assert.ok(Date.now() - started < 60_000, 'did not hang');
      assert.equal(r.stdout, '', 'nothing judged');
    });
  }
});

test('the sample header itself stays readable: HEADER is a regular file the check reads', async () => {
  const s = scene({});
  const r = await memfix(['check', s.dir, '--patches', s.patches]);
  assert.equal(r.code, 0, show(r));
  assert.ok(readFileSync(join(s.dir, HEADER)).length > 0);
});
