/**
 * Nothing in a tree or a patches folder makes memfix touch a file outside them (issue 21, item 8;
 * docs/security.md). Every command (list, scan, apply --dry-run, apply --yes, series, series
 * --force, check; not verify, which compiles for minutes) runs on hostile input beside a canary:
 * a folder and a file outside the tree that hostile paths and links point at, one of them a FIFO
 * (a reader would block on it). Each command runs under `strace -f -e trace=file` (git's
 * processes included): no file system call may name the canary; afterwards its content, times
 * and folder listing are as they were, and nothing new appeared beside the tree.
 * Hostile state files too: a crafted `.memfix/journal`, planted temporary files and links, a
 * `.memfix` that is a link, a planted series manifest (test/state-safety.test.ts has the rest).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, cpSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BIN, HEADER, LTGO, SAMPLE, baseEnv, copyTree, gitInit, run, show, tempRoot, type RunResult } from './e2e-helpers.ts';

/** A token no path memfix may touch contains: the canary's names carry it. */
const TOKEN = 'zqcanary';
const tmp = tempRoot('memfix-canary-');
const fifos: string[] = [];
after(() => {
  // a reader blocked on a canary FIFO (a failure) is let go, so no process outlives the tests
  for (const f of fifos) { try { closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ } }
  tmp.cleanup();
});
const hasStrace = spawnSync('strace', ['-f', '-qq', '-e', 'trace=file', '-o', '/dev/null', 'true']).status === 0;

interface Scene { top: string; tree: string; out: string; canaryDir: string; canaryFile: string; canaryFifo: string }

let n = 0;
/** top/{tree (a git work tree of the sample), zqcanary/{secret.txt, fifo}, zqcanary.txt}. */
async function scene(): Promise<Scene> {
  const top = tmp.dir(`s${++n}`);
  const tree = copyTree(SAMPLE, join(top, 'tree'));
  await gitInit(tree);
  const canaryDir = join(top, TOKEN);
  mkdirSync(canaryDir);
  const canaryFile = join(canaryDir, 'secret.txt');
  writeFileSync(canaryFile, 'guess\n');
  const canaryFifo = join(canaryDir, 'fifo');
  execFileSync('mkfifo', [canaryFifo]);
  fifos.push(canaryFifo);
  writeFileSync(join(top, `${TOKEN}.txt`), 'guess\n');
  return { top, tree, out: join(top, 'out'), canaryDir, canaryFile, canaryFifo };
}

/** What must not change: every entry of the canary folder and the canary file (lstat, and the bytes of regular files), and the names beside the tree. */
function fingerprint(s: Scene): string {
  const entry = (p: string) => {
    const st = lstatSync(p);
    return JSON.stringify({ p, mode: st.mode, size: st.size, mtime: st.mtimeMs, ctime: st.ctimeMs, ino: st.ino, nlink: st.nlink, sha256: st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : null });
  };
  const names = readdirSync(s.canaryDir).sort();
  return [entry(s.canaryDir), ...names.map((x) => entry(join(s.canaryDir, x))), entry(join(s.top, `${TOKEN}.txt`)), JSON.stringify(readdirSync(s.top).filter((x) => x !== 'out').sort())].join('\n');
}

/** Lines of the trace that name the canary (a readlink's result is the link's text, not a path memfix opened: left out). */
function canaryLines(trace: string): string[] {
  return trace.split('\n')
    .map((l) => l.replace(/^(\d+\s+readlink(?:at)?\((?:[^"]*)"[^"]*"), "[^"]*"/, '$1, <buf>'))
    .filter((l) => l.includes(TOKEN));
}

/** Run memfix (under strace when there is one); fail if the canary was named or changed. */
async function memfixWatched(s: Scene, args: string[], what: string, env: Record<string, string> = {}): Promise<RunResult> {
  const before = fingerprint(s);
  const log = join(tmp.root, `trace${++n}.txt`);
  const cmd = hasStrace ? ['strace', '-f', '-qq', '-e', 'trace=file', '-o', log, process.execPath] : [process.execPath];
  const r = await run(cmd[0]!, [...cmd.slice(1), BIN, ...args], { env: baseEnv(env), timeoutMs: 120_000 });
  assert.equal(r.signal, null, `${what}: killed (blocked on the FIFO canary?)\n${show(r)}`);
  assert.doesNotMatch(r.stderr, /^\s+at \S/m, `${what}: a stack trace\n${show(r)}`);
  if (hasStrace) {
    const trace = readFileSync(log, 'utf8');
    assert.ok(trace.includes('execve('), `${what}: strace recorded nothing`);
    assert.deepEqual(canaryLines(trace), [], `${what}: a system call names the canary\n${show(r)}`);
  }
  assert.equal(fingerprint(s), before, `${what}: the canary changed\n${show(r)}`);
  return r;
}

/** A one-file patch for `path` (with its a/ b/ prefix as given), in git format-patch form. */
function patchText(a: string, b: string): string {
  return [
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001', 'From: M <m@example.com>',
    'Subject: [PATCH] hostile', '', '---', `diff --git ${a} ${b}`, `--- ${a}`, `+++ ${b}`, '@@ -1 +1 @@', '-guess', '+x', '',
  ].join('\n');
}

/** A patches folder: the memfix series of the scene plus `extra` entries (made by the callbacks), all listed in `series`. */
function patchesFolder(s: Scene, name: string, extra: Record<string, (path: string) => void>): string {
  const p = join(s.top, name);
  cpSync(s.out, p, { recursive: true });
  const listed = readFileSync(join(p, 'series'), 'utf8');
  writeFileSync(join(p, 'series'), listed + Object.keys(extra).filter((f) => f !== 'series').map((f) => f + '\n').join(''));
  for (const [file, make] of Object.entries(extra)) make(join(p, file));
  return p;
}

describe('the canary outside the tree is never read or touched', { concurrency: 1, timeout: 600_000 }, () => {
  test(`strace is here (${hasStrace ? 'yes' : 'no: only the FIFO and the fingerprint check'})`, () => {
    assert.ok(hasStrace || process.env.CI !== 'true', 'CI must have strace');
  });

  test('every command, on hostile trees and patches', async () => {
    const s = await scene();
    // links in the tree to the canary: a candidate header, a SWIG file to the FIFO, a folder
    symlinkSync(s.canaryFile, join(s.tree, LTGO, 'evil.hpp'));
    symlinkSync(s.canaryFifo, join(s.tree, LTGO, 'interfaces', 'evil.i'));
    symlinkSync(s.canaryDir, join(s.tree, 'linked'));

    const list = await memfixWatched(s, ['list'], 'list');
    assert.equal(list.code, 0, show(list));
    for (const args of [['scan', s.tree], ['scan', s.tree, '--format', 'json'], ['apply', s.tree, '--dry-run']]) {
      const r = await memfixWatched(s, args, args.join(' '));
      assert.equal(r.code, 1, show(r));
    }
    const series = await memfixWatched(s, ['series', s.tree, '-o', s.out, '--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z'], 'series');
    assert.equal(series.code, 0, show(series));
    writeFileSync(join(s.out, 'notes.txt'), 'mine\n');
    const force = await memfixWatched(s, ['series', s.tree, '-o', s.out, '--force'], 'series --force');
    assert.equal(force.code, 0, show(force));

    const rel = `../${TOKEN}/secret.txt`;
    const folders: [string, string, Record<string, (p: string) => void>, RegExp][] = [
      ['paths', 'the patches name ../, absolute and linked paths', {
        '0007-dotdot.patch': (p) => writeFileSync(p, patchText(`a/${rel}`, `b/${rel}`)),
        '0008-abs.patch': (p) => writeFileSync(p, patchText(`a/${s.canaryFile}`, `b/${s.canaryFile}`)),
        '0009-through-link.patch': (p) => writeFileSync(p, patchText('a/linked/secret.txt', 'b/linked/secret.txt')),
        '0010-link.patch': (p) => writeFileSync(p, patchText(`a/${LTGO}/evil.hpp`, `b/${LTGO}/evil.hpp`)),
      }, /refused/],
      ['link-file', 'a patch that is a link to the canary', { '0007-link.patch': (p) => symlinkSync(s.canaryFile, p) }, /symbolic link/],
      ['link-fifo', 'a patch that is a link to the FIFO canary', { '0007-link.patch': (p) => symlinkSync(s.canaryFifo, p) }, /symbolic link/],
      ['link-dir', 'a patch that is a link to the canary folder', { '0007-link.patch': (p) => symlinkSync(s.canaryDir, p) }, /symbolic link/],
      ['fifo', 'a FIFO patch', { '0007-fifo.patch': (p) => execFileSync('mkfifo', [p]) }, /FIFO/],
      ['series-link', 'a series file linked to the canary', { series: (p) => { execFileSync('rm', [p]); symlinkSync(s.canaryFile, p); } }, /symbolic link/],
    ];
    for (const [name, what, extra, expected] of folders) {
      const patches = patchesFolder(s, name, extra);
      const r = await memfixWatched(s, ['check', s.tree, '--patches', patches], `check: ${what}`);
      assert.equal(r.code, 2, `${what}\n${show(r)}`);
      assert.match(r.stderr, expected, `${what}\n${show(r)}`);
    }

    const apply = await memfixWatched(s, ['apply', s.tree, '--yes'], 'apply --yes');
    assert.equal(apply.code, 0, show(apply));
    assert.match(readFileSync(join(s.tree, HEADER), 'utf8'), /memfix\(free-disk-buffer\)/);
    const again = await memfixWatched(s, ['check', s.tree, '--patches', s.out], 'check after apply');
    assert.equal(again.code, 0, show(again));
  });

  test('the canary check can fail: a command that reads the canary is caught', async () => {
    const s = await scene();
    await assert.rejects(memfixWatched(s, ['scan', s.canaryDir], 'scan of the canary itself'), /names the canary|the canary changed/);
  });

  // Hostile state files: issue 21 items 4 and 6 (apply's journal, planted temporaries, the series manifest)
  test('a crafted .memfix/journal naming paths outside the tree', async () => {
    const s = await scene();
    mkdirSync(join(s.tree, '.memfix'));
    const e = (path: string, tmpPath: string) => JSON.stringify({ path, tmp: tmpPath, before: '0'.repeat(64), after: '0'.repeat(64) });
    writeFileSync(join(s.tree, '.memfix', 'journal'), ['memfix apply journal 1', e(`../${TOKEN}.txt`, `../${TOKEN}/secret.txt`), e(s.canaryFile, s.canaryFifo), 'files-complete', ''].join('\n'));
    const r = await memfixWatched(s, ['apply', s.tree, '--yes'], 'apply --yes with a crafted journal');
    assert.equal(r.code, 2, show(r));
  });

  test('a symbolic link at the header\'s temporary name, and .memfix as a link', async () => {
    const s = await scene();
    symlinkSync(join(s.top, `${TOKEN}.txt`), join(s.tree, LTGO, '.memory_disk_io.hpp.memfix.tmp'));
    symlinkSync(s.canaryDir, join(s.tree, '.memfix'));
    const r = await memfixWatched(s, ['apply', s.tree, '--yes'], 'apply --yes with planted links');
    assert.equal(r.code, 2, show(r));
  });

  test('a symbolic link at the header\'s temporary name alone: apply writes its own file, the header stays a file', async () => {
    const s = await scene();
    symlinkSync(s.canaryFile, join(s.tree, LTGO, '.memory_disk_io.hpp.memfix.tmp'));
    const r = await memfixWatched(s, ['apply', s.tree, '--yes'], 'apply --yes with a link at a temporary name');
    assert.equal(r.code, 0, show(r));
    assert.ok(lstatSync(join(s.tree, HEADER)).isFile());
  });

  test('a planted series manifest and temporary link in the output folder', async () => {
    const s = await scene();
    mkdirSync(s.out);
    const sha = execFileSync('sha256sum', [s.canaryFile], { encoding: 'utf8' }).split(' ')[0];
    symlinkSync(s.canaryFile, join(s.out, '0009-old.patch'));
    symlinkSync(join(s.top, `${TOKEN}.txt`), join(s.out, '..memfix-series.json.memfix.tmp'));
    writeFileSync(join(s.out, '.memfix-series.json'), JSON.stringify({ memfix: 'series', version: 1, files: { '0009-old.patch': [sha] } }));
    const r = await memfixWatched(s, ['series', s.tree, '-o', s.out, '--force', '--author', 'T <t@example.com>'], 'series --force with a planted manifest');
    assert.equal(r.code, 0, show(r));
    assert.ok(lstatSync(join(s.out, '0009-old.patch')).isSymbolicLink(), 'the link is left alone');
  });
});
