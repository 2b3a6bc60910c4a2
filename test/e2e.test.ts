/**
 * End to end: memfix series / check / apply as subprocesses on copies of fixtures/sample, and the
 * series applied by the tools it is written for (git am, quilt), compiled after every patch.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HEADER, IDS, SAMPLE, assertOneLineError, assertSameTree, copyTree, gitInit, limiter, memfix, run, show, snapshot, tempRoot,
  type RunResult,
} from './e2e-helpers.ts';

const AUTHOR = 'T <t@example.com>';
const DATE = '2026-01-01T00:00:00Z';
const PATCHES = IDS.map((id, i) => `${String(i + 1).padStart(4, '0')}-${id}.patch`);
const SERIES_FILES = ['.memfix-series.json', '0000-cover-letter.patch', ...PATCHES, 'series'].sort();

const tmp = tempRoot('memfix-e2e-');
after(() => tmp.cleanup());

// Shared by every test: A = git copy of the sample with the series in A/p (written twice),
// C = a plain copy fixed by `memfix apply --yes`.
let A = '';
let P = '';
let headSha = '';
let first: RunResult;
let second: RunResult;
let firstFiles: Map<string, Buffer>;
let secondFiles: Map<string, Buffer>;
let C = '';
let applyC: RunResult;

const seriesArgs = (out: string, ...more: string[]) => ['series', '.', '-o', out, '--author', AUTHOR, '--date', DATE, ...more];

before(async () => {
  A = copyTree(SAMPLE, join(tmp.root, 'A'));
  C = copyTree(SAMPLE, join(tmp.root, 'C'));
  headSha = await gitInit(A);
  P = join(A, 'p');
  const [r1, rc] = await Promise.all([memfix(seriesArgs('p'), { cwd: A }), memfix(['apply', C, '--yes'])]);
  first = r1;
  applyC = rc;
  firstFiles = existsSync(P) ? snapshot(P) : new Map();
  second = await memfix(seriesArgs('p'), { cwd: A });
  secondFiles = existsSync(P) ? snapshot(P) : new Map();
});

const compileLimit = limiter(2);
let cflags: string[] | null = null;

/** -fsyntax-only, C++14 -pedantic-errors (upstream's build), of a TU that includes only this memory_disk_io.hpp: g++ and clang++. */
async function compileHeader(header: string, where: string): Promise<RunResult> {
  if (!cflags) {
    const pc = await run('pkg-config', ['--cflags', 'libtorrent-rasterbar']);
    assert.equal(pc.code, 0, `pkg-config --cflags libtorrent-rasterbar\n${show(pc)}`);
    cflags = pc.stdout.trim().split(/\s+/).filter(Boolean);
  }
  mkdirSync(where, { recursive: true });
  writeFileSync(join(where, 'memory_disk_io.hpp'), header);
  writeFileSync(join(where, 'tu.cpp'), '#include "memory_disk_io.hpp"\n');
  const results = await Promise.all(['g++', 'clang++'].map((cxx) => compileLimit(() => run(cxx, ['-std=c++14', '-pedantic-errors', '-fsyntax-only', ...cflags!, '-I', where, join(where, 'tu.cpp')], { timeoutMs: 300_000 }))));
  return results.find((r) => r.code !== 0) ?? results[0]!;
}

describe('e2e', { concurrency: 3 }, () => {
  describe('series', { concurrency: 3, timeout: 400_000 }, () => {
    test('writes a cover letter, a patch per fix and a quilt series file', () => {
      assert.equal(first.code, 0, show(first));
      assert.deepEqual([...firstFiles.keys()].sort(), SERIES_FILES, show(first));
      assert.equal(firstFiles.get('series')!.toString(), PATCHES.map((p) => p + '\n').join(''));
      for (const [i, name] of PATCHES.entries()) {
        const text = firstFiles.get(name)!.toString();
        assert.match(text, /^From 0{40} Mon Sep 17 00:00:00 2001\nFrom: T <t@example\.com>\nDate: Thu, 1 Jan 2026 00:00:00 \+0000\n/, name);
        assert.match(text, new RegExp(`^Subject: \\[PATCH ${i + 1}/${PATCHES.length}\\] `, 'm'), name);
        assert.match(text, /^diff --git a\/upgrade_2\.0\.x\/libtorrent-go\//m, `${name}: paths must be from the repository top`);
      }
    });

    test('the cover letter names HEAD as base-commit', () => {
      const cover = firstFiles.get('0000-cover-letter.patch')?.toString() ?? '';
      assert.match(cover, new RegExp(`^Subject: \\[PATCH 0/${PATCHES.length}\\] `, 'm'));
      const bases = cover.match(/^base-commit: .*$/gm) ?? [];
      assert.deepEqual(bases, [`base-commit: ${headSha}`], cover);
    });

    test('a second run writes byte-identical files (reproducible)', () => {
      assert.equal(second.code, 0, show(second));
      assertSameTree(secondFiles, firstFiles, 'second series run');
    });

    test('git am, one patch at a time: the header compiles after each, and the result equals apply --yes', { timeout: 400_000 }, async () => {
      assert.equal(applyC.code, 0, show(applyC));
      const B = copyTree(SAMPLE, join(tmp.root, 'B'));
      assert.equal(await gitInit(B), headSha, 'the same tree and the same dates must give the same commit');
      const compiles: Promise<[string, RunResult]>[] = [];
      for (const name of PATCHES) {
        const r = await run('git', ['am', '-q', join(P, name)], { cwd: B });
        assert.equal(r.code, 0, `git am ${name}\n${show(r)}`);
        const header = readFileSync(join(B, HEADER), 'utf8');
        compiles.push(compileHeader(header, join(tmp.root, `cc-${name}`)).then((c) => [name, c]));
      }
      const log = await run('git', ['log', '--format=%an <%ae>|%ad|%s', '--date=iso-strict', '-5'], { cwd: B });
      const commits = log.stdout.trim().split('\n');
      assert.equal(commits.length, 5, log.stdout);
      for (const c of commits.slice(0, 4)) assert.match(c, /^T <t@example\.com>\|2026-01-01T00:00:00\+00:00\|/, 'author and date come from --author/--date');
      const status = await run('git', ['status', '--porcelain'], { cwd: B });
      assert.equal(status.stdout, '', 'git am leaves a clean tree');
      assertSameTree(snapshot(B), snapshot(C), 'git am result vs memfix apply --yes');
      for (const [name, c] of await Promise.all(compiles)) assert.equal(c.code, 0, `memory_disk_io.hpp does not compile after ${name}\n${c.stderr.slice(0, 4000)}`);
    });

    test('QUILT_PATCHES=p quilt push -a on a plain copy gives the same tree', async () => {
      assert.equal(applyC.code, 0, show(applyC));
      const Q = copyTree(SAMPLE, join(tmp.root, 'Q'));
      const r = await run('quilt', ['push', '-a'], { cwd: Q, env: { ...process.env, QUILT_PATCHES: P } });
      assert.equal(r.code, 0, show(r));
      for (const name of PATCHES) assert.match(r.stdout, new RegExp(`Applying patch .*${name}`), `quilt applied ${name}`);
      assert.doesNotMatch(r.stdout + r.stderr, /fuzz|offset|Hunk #\d+ FAILED/i, 'every hunk applies exactly');
      assertSameTree(snapshot(Q), snapshot(C), 'quilt push -a result vs memfix apply --yes');
    });
  });

  describe('check', { concurrency: 3, timeout: 400_000 }, () => {
    const patchLine = (out: string, name: string) => out.split('\n').find((l) => l.includes(name) && /^\s+(applies|already applied|fails)\s/.test(l)) ?? '';

    test('clean tree: every patch applies, series up to date, exit 0', async () => {
      const r = await memfix(['check', '.', '--patches', 'p'], { cwd: A });
      for (const name of PATCHES) assert.match(patchLine(r.stdout, name), /^\s+applies\s/, `${name}\n${show(r)}`);
      assert.match(r.stdout, /^series: up to date$/m, `a series just written is not stale\n${show(r)}`);
      assert.equal(r.code, 0, show(r));
    });

    test('already-patched tree (apply --yes): says already applied, exit 0', async () => {
      assert.equal(applyC.code, 0, show(applyC));
      const before = snapshot(C);
      const r = await memfix(['check', C, '--patches', P]);
      for (const name of PATCHES) assert.match(patchLine(r.stdout, name), /already applied/, `${name} on a tree that has the whole series\n${show(r)}`);
      assert.doesNotMatch(r.stdout, /fails|stale/, show(r));
      assert.equal(r.code, 0, show(r));
      assertSameTree(snapshot(C), before, 'check writes nothing');
    });

    test('a patch that cannot apply: exit 1, names the patch and the file', async () => {
      const D = copyTree(SAMPLE, join(tmp.root, 'check-broken'));
      const file = join(D, HEADER);
      const text = readFileSync(file, 'utf8');
      const at = text.indexOf('storage_error err;', text.indexOf('void async_read('));
      assert.ok(at > 0, 'the sample has async_read with a storage_error local');
      writeFileSync(file, text.slice(0, at) + 'storage_error err; // read status' + text.slice(at + 'storage_error err;'.length));
      const r = await memfix(['check', D, '--patches', P]);
      assert.equal(r.code, 1, show(r));
      const line = patchLine(r.stdout, PATCHES[IDS.indexOf('copy-on-read')]!);
      assert.match(line, /^\s+fails\s/, show(r));
      assert.ok(line.includes('upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp'), `the failing line names the file\n${show(r)}`);
      assert.match(patchLine(r.stdout, PATCHES[IDS.indexOf('free-disk-buffer')]!), /^\s+applies\s/, 'the patch before it does not touch that line');
    });

    test('tree changed so the regenerated patches differ but still apply: stale, a warning (exit 0); with --stale=error exit 1', async () => {
      const D = copyTree(SAMPLE, join(tmp.root, 'check-stale'));
      const file = join(D, HEADER);
      writeFileSync(file, '// local note: vendored copy\n' + readFileSync(file, 'utf8'));
      const r = await memfix(['check', D, '--patches', P]);
      for (const name of PATCHES) assert.match(patchLine(r.stdout, name), /^\s+applies\s/, `${name} applies at an offset\n${show(r)}`);
      // the series line, with the lines it wraps onto (the output's width)
      const stale = r.stdout.includes('\nseries: ') ? r.stdout.slice(r.stdout.indexOf('\nseries: ') + 1).replace(/\n\s+/g, ' ') : '';
      assert.match(stale, /stale/, show(r));
      for (const name of PATCHES) assert.ok(stale.includes(name), `${name} is stale (its diff changed)\n${show(r)}`);
      assert.match(stale, /a warning/, show(r));
      assert.equal(r.code, 0, show(r));
      const strict = await memfix(['check', D, '--patches', P, '--stale=error', '--format', 'json']);
      assert.equal(strict.code, 1, show(strict));
      assert.equal(JSON.parse(strict.stdout).staleIs, 'error');
      const bad = await memfix(['check', D, '--patches', P, '--stale=maybe']);
      assert.equal(bad.code, 2, show(bad));
    });

    test('missing patches folder: exit 2, one line, no stack trace', async (t) => {
      const r = await memfix(['check', '.', '--patches', 'no-such-patches'], { cwd: A });
      await t.test('exit 2 with one `memfix:` line', () => {
        assert.equal(r.code, 2, show(r));
        assertOneLineError(r, 'check --patches no-such-patches');
        assert.equal(r.stdout, '', 'nothing on stdout');
      });
      await t.test('the error names the folder', () => {
        assert.match(r.stderr, /no-such-patches/, show(r));
      });
    });
  });

  describe('series output folder', { concurrency: 2, timeout: 400_000 }, () => {
    test("a user's 0007-my-own.patch, series and notes.txt: refused (exit 2, naming series), even with --force; all three kept byte for byte", async () => {
      const out = tmp.dir('out-user');
      writeFileSync(join(out, '0007-my-own.patch'), 'mine\n');
      writeFileSync(join(out, 'series'), '0007-my-own.patch\n');
      writeFileSync(join(out, 'notes.txt'), 'my notes\n');
      const before = snapshot(out);
      for (const extra of [[], ['--force']]) {
        const r = await memfix(seriesArgs(out, ...extra), { cwd: A });
        assert.equal(r.code, 2, show(r));
        assert.match(assertOneLineError(r, `series ${extra.join(' ')} into a folder with a user's series file`), /\/series: memfix did not write this file/);
        assertSameTree(snapshot(out), before, `series ${extra.join(' ')}: nothing written, nothing removed`);
      }
    });

    test('foreign files without a clash: exit 2 naming them; with --force written beside them, and a later run keeps them', async () => {
      const out = tmp.dir('out-foreign');
      writeFileSync(join(out, 'notes.txt'), 'mine\n');
      writeFileSync(join(out, '0001-my-own.patch'), 'my own patch\n');
      const before = snapshot(out);
      const r = await memfix(seriesArgs(out), { cwd: A });
      assert.equal(r.code, 2, show(r));
      assert.match(assertOneLineError(r, 'series into a folder with a foreign file'), /notes\.txt/);
      assertSameTree(snapshot(out), before, 'a refused series writes and removes nothing');

      for (let run = 0; run < 2; run++) {
        const f = await memfix(seriesArgs(out, '--force'), { cwd: A });
        assert.equal(f.code, 0, show(f));
        assert.deepEqual(readdirSync(out).sort(), [...SERIES_FILES, '0001-my-own.patch', 'notes.txt'].sort(), show(f));
        for (const [name, bytes] of before) assert.ok(readFileSync(join(out, name)).equals(bytes), `${name} is left alone (run ${run + 1})`);
        for (const name of PATCHES) assert.match(readFileSync(join(out, name), 'utf8'), /^From 0{40} /, `${name} was written by memfix`);
      }
    });

    test('files of an earlier series that this one no longer has are removed; a file memfix wrote but someone edited is never touched', async () => {
      const out = join(tmp.root, 'out-stale');
      const one = await memfix(seriesArgs(out, '--fix', 'guarded-global'), { cwd: A });
      assert.equal(one.code, 0, show(one));
      assert.deepEqual(readdirSync(out).sort(), ['.memfix-series.json', '0000-cover-letter.patch', '0001-guarded-global.patch', 'series'], show(one));
      const all = await memfix(seriesArgs(out), { cwd: A });
      assert.equal(all.code, 0, show(all));
      assert.deepEqual(readdirSync(out).sort(), SERIES_FILES, show(all));
      assert.match(all.stdout, /removed 1 file\(s\) of an earlier series: 0001-guarded-global\.patch/, show(all));
      assert.equal(readFileSync(join(out, 'series'), 'utf8'), PATCHES.map((p) => p + '\n').join(''));

      appendFileSync(join(out, PATCHES[3]!), '# reviewed by me\n');
      const edited = snapshot(out);
      const again = await memfix(seriesArgs(out, '--fix', 'free-disk-buffer'), { cwd: A });
      assert.equal(again.code, 2, show(again));
      assert.match(assertOneLineError(again, 'series over an edited patch'), new RegExp(`${PATCHES[3]}: memfix wrote this file, but it was changed since`));
      assertSameTree(snapshot(out), edited, 'nothing replaced or removed');
    });
  });
});
