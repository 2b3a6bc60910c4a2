/**
 * memfix's own state is untrusted input, and nothing in a tree or a series folder makes memfix
 * touch a file outside it: crafted journals, a `.memfix` that is a link, links planted at every
 * temporary name, a planted manifest, empty and stale locks, target files that are links. Each
 * case also checks a canary file outside the tree (and its folder) is untouched. Then the
 * interruptions and concurrency: SIGINT/SIGTERM during apply, concurrent series on one folder,
 * apply and series at once, and what every command says of an interrupted apply's journal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import {
  BIN, DISK_I, HEADER, IDS, LTGO, SAMPLE, SESSION_I, assertOneLineError, assertSameTree, baseEnv, copyTree, memfix, show, snapshot, tempRoot,
} from './e2e-helpers.ts';

const tmp = tempRoot('memfix-state-safety-');
after(() => tmp.cleanup());
let n = 0;
const copy = (from: string = SAMPLE) => copyTree(from, join(tmp.root, `t${++n}`));
const AUTHOR = 'T <t@example.com>';
const DATE = '2026-01-01T00:00:00Z';
const seriesArgs = (dir: string, out: string, ...more: string[]) => ['series', dir, '-o', out, '--author', AUTHOR, '--date', DATE, ...more];
const PARAMS_I = `${LTGO}/interfaces/session_params.i`;
const TARGETS = [HEADER, DISK_I, SESSION_I, PARAMS_I];
const tempOf = (p: string) => p.replace(/([^/]+)$/, '.$1.memfix.tmp');
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** A canary outside every tree: a folder with one file; `check()` fails if either changed. */
function canary() {
  const dir = join(tmp.root, `canary${++n}`);
  mkdirSync(dir);
  const file = join(dir, 'canary.txt');
  writeFileSync(file, 'do not touch\n');
  const before = statSync(file);
  return {
    dir,
    file,
    check(what: string) {
      assert.deepEqual(readdirSync(dir), ['canary.txt'], `${what}: nothing created or removed beside the canary`);
      const now = lstatSync(file);
      assert.ok(now.isFile(), `${what}: the canary is still a file`);
      assert.equal(readFileSync(file, 'utf8'), 'do not touch\n', `${what}: the canary's content`);
      assert.equal(now.mtimeMs, before.mtimeMs, `${what}: the canary was not written`);
    },
  };
}

/** memfix's leftovers in a tree: temporary files, the state folder. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name.endsWith('.memfix.tmp') || e.name === '.memfix') found.push(relative(dir, p));
      else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return found;
}

const same = (a: Map<string, Buffer>, b: Map<string, Buffer>) => a.size === b.size && [...a].every(([p, x]) => b.get(p)?.equals(x));

let original: Map<string, Buffer>;
let fixed: Map<string, Buffer>;
before(async () => {
  const d = copy();
  original = snapshot(d);
  const r = await memfix(['apply', d, '--yes']);
  assert.equal(r.code, 0, show(r));
  fixed = snapshot(d);
});

/** A journal as memfix writes it, with the given entries (committed unless told). */
function plantJournal(d: string, entries: object[], committed = true) {
  mkdirSync(join(d, '.memfix'), { recursive: true });
  writeFileSync(join(d, '.memfix', 'journal'), ['memfix apply journal 1', ...entries.map((e) => JSON.stringify(e)), 'files-complete', ...(committed ? ['commit'] : []), ''].join('\n'));
}

describe('the journal is untrusted', { concurrency: 2 }, () => {
  const cases: [string, (d: string, c: ReturnType<typeof canary>) => object, RegExp][] = [
    ['a path with ../..', (d, c) => ({ path: relative(d, c.file), tmp: relative(d, join(c.dir, '.canary.txt.memfix.tmp')) }), /not a path inside the tree/],
    ['an absolute path', (_d, c) => ({ path: c.file, tmp: join(c.dir, '.canary.txt.memfix.tmp') }), /not a path inside the tree/],
    ['a tmp that is not the sibling', (d, c) => ({ path: HEADER, tmp: relative(d, c.file) }), /not its \.<name>\.memfix\.tmp sibling/],
    ['another file in the tree (README.md)', () => ({ path: 'README.md', tmp: '.README.md.memfix.tmp' }), /not a file memfix would write/],
    ['another source file in the tree', () => ({ path: 'upgrade_1.2.x/libtorrent-go/memory_storage.hpp', tmp: 'upgrade_1.2.x/libtorrent-go/.memory_storage.hpp.memfix.tmp' }), /not a file memfix would write/],
  ];
  for (const [what, entry, message] of cases) {
    for (const committed of [true, false]) {
      test(`${what} (${committed ? 'committed' : 'not committed'}): apply refuses, exit 2 naming the journal, nothing touched`, async () => {
        const d = copy();
        const c = canary();
        const e = { ...entry(d, c), before: sha('x'), after: sha('planted\n') } as unknown as { path: string; tmp: string };
        // the temporary file the journal names, holding its "after", where it is inside the tree
        if (!e.tmp.startsWith('/') && !e.tmp.startsWith('..')) writeFileSync(join(d, e.tmp), 'planted\n');
        plantJournal(d, [e], committed);
        const tree = snapshot(d);
        const r = await memfix(['apply', d, '--yes']);
        assert.equal(r.code, 2, show(r));
        const line = assertOneLineError(r, what);
        assert.ok(line.startsWith(`memfix: ${d}/.memfix/journal: line 2: `), line);
        assert.match(line, message);
        assertSameTree(snapshot(d), tree, `${what}: the tree (journal included) as it was`);
        c.check(what);
        if (!committed) return;
        // series refuses the half-applied tree too
        const s = await memfix(seriesArgs(d, join(tmp.root, `out${++n}`)));
        assert.equal(s.code, 2, show(s));
        assert.match(s.stderr, /\.memfix\/journal: an interrupted apply .*run memfix apply/, show(s));
      });
    }
  }

  test('a journal that is a symbolic link, or not a journal: refused, exit 2', async () => {
    const d = copy();
    const c = canary();
    mkdirSync(join(d, '.memfix'));
    symlinkSync(c.file, join(d, '.memfix', 'journal'));
    let r = await memfix(['apply', d, '--yes']);
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'journal link'), /\.memfix\/journal: is a symbolic link/);
    c.check('journal link');
    rmSync(join(d, '.memfix', 'journal'));
    writeFileSync(join(d, '.memfix', 'journal'), 'rm -rf /\n');
    r = await memfix(['apply', d, '--yes']);
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'garbage journal'), /\.memfix\/journal: line 1: not a memfix journal/);
    assertSameTree(snapshot(d, ['.memfix']), original, 'nothing written');
  });

  test('a real interrupted journal whose temporary file was replaced by a link out: refused, the link not followed', async () => {
    const d = copy();
    const c = canary();
    const e = { path: HEADER, tmp: tempOf(HEADER), before: sha(original.get(HEADER)!), after: sha(fixed.get(HEADER)!) };
    symlinkSync(c.file, join(d, e.tmp));
    plantJournal(d, [e]);
    const r = await memfix(['apply', d, '--yes']);
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'tmp link'), /not a regular file/);
    assert.ok(lstatSync(join(d, HEADER)).isFile(), 'the header is still a file');
    c.check('tmp link');
  });

  test('a journal cut short while it was written (no file touched yet) is dropped, and the apply goes on', async () => {
    for (const text of ['', 'memfix apply jou', `memfix apply journal 1\n{"path":"${HEADER}","tm`]) {
      const d = copy();
      mkdirSync(join(d, '.memfix'));
      writeFileSync(join(d, '.memfix', 'journal'), text);
      const r = await memfix(['apply', d, '--yes']);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, /rolled back/, show(r));
      assertSameTree(snapshot(d), fixed, `journal ${JSON.stringify(text)}`);
    }
  });

  test('a genuine interrupted journal (files renamed in part) is still finished', async () => {
    const d = copy();
    const entries = TARGETS.map((p) => ({ path: p, tmp: tempOf(p), before: sha(original.get(p)!), after: sha(fixed.get(p)!) }));
    for (const p of TARGETS.slice(0, 2)) writeFileSync(join(d, p), fixed.get(p)!); // renamed already
    for (const p of TARGETS.slice(2)) writeFileSync(join(d, tempOf(p)), fixed.get(p)!);
    plantJournal(d, entries);
    const r = await memfix(['apply', d, '--yes']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /an interrupted apply was finished/, show(r));
    assertSameTree(snapshot(d), fixed, 'finished');
  });
});

describe('.memfix, temporary files and targets are never followed through a link', { concurrency: 2 }, () => {
  test('.memfix as a symbolic link: apply and series refuse (exit 2, naming it), nothing written outside', async () => {
    const d = copy();
    const c = canary();
    symlinkSync(c.dir, join(d, '.memfix'));
    for (const args of [['apply', d, '--yes'], seriesArgs(d, join(tmp.root, `out${++n}`))]) {
      const r = await memfix(args);
      assert.equal(r.code, 2, show(r));
      assert.ok(assertOneLineError(r, args[0]!).startsWith(`memfix: ${d}/.memfix: is a symbolic link`), show(r));
      c.check(`${args[0]} with .memfix a link`);
    }
    assert.ok(lstatSync(join(d, '.memfix')).isSymbolicLink());
    rmSync(join(d, '.memfix'));
    assertSameTree(snapshot(d), original, 'the tree as it was');
  });

  test('links planted at every temporary name: apply writes its own files, the targets stay files, nothing written outside', async () => {
    const d = copy();
    const c = canary();
    for (const p of TARGETS) symlinkSync(c.file, join(d, tempOf(p)));
    const r = await memfix(['apply', d, '--yes']);
    assert.equal(r.code, 0, show(r));
    for (const p of TARGETS) assert.ok(lstatSync(join(d, p)).isFile(), `${p} is a regular file`);
    assertSameTree(snapshot(d), fixed, 'fully fixed');
    assert.deepEqual(leftovers(d), []);
    c.check('links at the temporary names');
  });

  for (const [what, target] of [['into the tree', 'inside'], ['out of the tree', 'outside']] as const) {
    test(`session.i as a symbolic link ${what}: exit 2 naming it for scan, apply, series and verify; nothing written`, async () => {
      const d = copy();
      const c = canary();
      const real = target === 'inside' ? join(d, 'session.i.real') : c.file;
      writeFileSync(real, original.get(SESSION_I)!);
      const realBytes = readFileSync(real);
      rmSync(join(d, SESSION_I));
      symlinkSync(real, join(d, SESSION_I));
      const tree = snapshot(d);
      for (const args of [['scan', d], ['apply', d, '--yes'], seriesArgs(d, join(tmp.root, `out${++n}`)), ['verify', d]]) {
        const r = await memfix(args);
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, new RegExp(`^memfix: ${d}/${SESSION_I}: is a symbolic link`, 'm'), show(r));
        assert.doesNotMatch(r.stdout, /→ applied|wrote/, show(r));
      }
      assertSameTree(snapshot(d), tree, 'nothing written');
      assert.ok(lstatSync(join(d, SESSION_I)).isSymbolicLink());
      assert.ok(readFileSync(real).equals(realBytes), 'the link\'s file untouched');
    });
  }
});

describe('locks', { concurrency: 2 }, () => {
  for (const [what, text] of [['empty', ''], ['garbage', 'x\0y'], ['a dead pid', 'DEAD']] as const) {
    test(`a lock with ${what} (no live owner) is taken over at once`, async () => {
      const d = copy();
      const c = canary();
      mkdirSync(join(d, '.memfix'));
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      writeFileSync(join(d, '.memfix', 'lock'), text === 'DEAD' ? `${gone} ${hostname()} ${Date.now()}\n` : text);
      const t0 = Date.now();
      const r = await memfix(['apply', d, '--yes'], { env: { MEMFIX_LOCK_WAIT: '20' } });
      assert.equal(r.code, 0, show(r));
      assert.ok(Date.now() - t0 < 15_000, 'not waited for');
      assertSameTree(snapshot(d), fixed, 'fixed');
      assert.deepEqual(leftovers(d), []);
      c.check(`a lock with ${what}`);
    });
  }

  test('an empty lock and three applies at once: one takes it over and writes, the others wait and find nothing to do', async () => {
    const d = copy();
    const c = canary();
    mkdirSync(join(d, '.memfix'));
    writeFileSync(join(d, '.memfix', 'lock'), '');
    const rs = await Promise.all([1, 2, 3].map(() => memfix(['apply', d, '--yes'], { env: { MEMFIX_LOCK_WAIT: '60' } })));
    for (const r of rs) assert.equal(r.code, 0, show(r));
    assert.equal(rs.filter((r) => /wrote \d+ file\(s\)/.test(r.stdout)).length, 1, rs.map(show).join('\n'));
    assertSameTree(snapshot(d), fixed, 'fixed once');
    assert.deepEqual(leftovers(d), []);
    c.check('empty lock, three applies');
  });

  test('while an apply holds the tree: series waits for it (then refuses), check refuses at once', async () => {
    const d = copy();
    const patches = join(tmp.root, `p${++n}`);
    const s0 = await memfix(seriesArgs(copy(), patches));
    assert.equal(s0.code, 0, show(s0));
    mkdirSync(join(d, '.memfix'));
    writeFileSync(join(d, '.memfix', 'lock'), `${process.pid} ${hostname()} ${Date.now()} apply\n`);
    const out = join(tmp.root, `out${++n}`);
    const s = await memfix(seriesArgs(d, out), { env: { MEMFIX_LOCK_WAIT: '1' } });
    assert.equal(s.code, 2, show(s));
    assert.match(s.stderr, /waiting for memfix \(pid \d+\), which is applying fixes to/, show(s));
    assert.ok(!existsSync(out), 'no series folder');
    const ch = await memfix(['check', d, '--patches', patches]);
    assert.equal(ch.code, 2, show(ch));
    assert.match(assertOneLineError(ch, 'check'), new RegExp(`^memfix: ${d}/\\.memfix/lock: memfix \\(pid ${process.pid}\\) is applying fixes to this tree`));
  });

  test('a lock that is a symbolic link: refused, exit 2, its target untouched', async () => {
    const d = copy();
    const c = canary();
    mkdirSync(join(d, '.memfix'));
    symlinkSync(c.file, join(d, '.memfix', 'lock'));
    const r = await memfix(['apply', d, '--yes'], { env: { MEMFIX_LOCK_WAIT: '2' } });
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'lock link'), /\.memfix\/lock: is a symbolic link/);
    c.check('lock link');
    assertSameTree(snapshot(d, ['.memfix']), original, 'nothing written');
  });
});

describe('the series folder\'s manifest is untrusted', { concurrency: 2 }, () => {
  test('a planted manifest listing a user\'s notes.txt: refused (exit 2, naming it), notes.txt kept, with and without --force', async () => {
    const d = copy();
    const out = join(tmp.root, `out${++n}`);
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    for (const name of ['notes.txt', '../canary.txt', 'sub/0001-x.patch']) {
      writeFileSync(join(out, '.memfix-series.json'), JSON.stringify({ memfix: 'series', version: 1, files: { [name]: [sha('mine\n')] } }));
      for (const more of [[], ['--force']]) {
        const r = await memfix(seriesArgs(d, out, ...more));
        assert.equal(r.code, 2, show(r));
        assert.match(assertOneLineError(r, name), new RegExp(`${out}/\\.memfix-series\\.json: lists "${name.replace(/[.]/g, '\\.')}", which is no name memfix writes`));
        assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine\n');
        assert.deepEqual(readdirSync(out).sort(), ['.memfix-series.json', 'notes.txt']);
      }
    }
  });

  test('links at the manifest\'s and every patch\'s temporary name (series --force): memfix writes its own files, nothing outside', async () => {
    const d = copy();
    const c = canary();
    const out = join(tmp.root, `out${++n}`);
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const names = ['.memfix-series.json', 'series', '0000-cover-letter.patch', ...IDS.map((id, i) => `${String(i + 1).padStart(4, '0')}-${id}.patch`)];
    for (const name of names) symlinkSync(c.file, join(out, `.${name}.memfix.tmp`));
    const r = await memfix(seriesArgs(d, out, '--force'));
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(readdirSync(out).sort(), [...names, 'notes.txt'].sort());
    for (const name of names) assert.ok(lstatSync(join(out, name)).isFile(), `${name} is a regular file`);
    c.check('links at the series temporary names');
  });

  test('a manifest temporary file left by a kill is removed by the next run (not taken for a user\'s file)', async () => {
    const d = copy();
    const out = join(tmp.root, `out${++n}`);
    const first = await memfix(seriesArgs(d, out));
    assert.equal(first.code, 0, show(first));
    writeFileSync(join(out, '..memfix-series.json.memfix.tmp'), '{"memfix": "ser');
    const r = await memfix(seriesArgs(d, out));
    assert.equal(r.code, 0, show(r));
    assert.ok(!existsSync(join(out, '..memfix-series.json.memfix.tmp')));
  });
});

describe('interruptions and concurrent runs', { concurrency: 1, timeout: 300_000 }, () => {
  test('SIGINT and SIGTERM during apply --yes: exit 130/143 promptly, the tree the original or the fixed one', async (t) => {
    // a large header (about 600 KB): planning takes long enough to be interrupted
    const big = copy();
    const pad = Array.from({ length: 9000 }, (_, i) => `inline int pad_fn_${i}(int a) { int b = a * ${i}; return b + 1; }\n`).join('');
    writeFileSync(join(big, HEADER), readFileSync(join(big, HEADER), 'utf8') + pad);
    const bigOriginal = snapshot(big);
    const fixedBig = copy(big);
    const t0 = Date.now();
    const done = await memfix(['apply', fixedBig, '--yes']);
    const took = Date.now() - t0;
    assert.equal(done.code, 0, show(done));
    const bigFixed = snapshot(fixedBig);
    const results: string[] = [];
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      // early (planning), and near the end (the transaction, or just after it)
      for (const delay of [500, Math.round(took * 0.9), Math.round(took * 0.97)]) {
        const d = copy(big);
        const c = canary();
        const child = spawn(process.execPath, [BIN, 'apply', d, '--yes'], { env: baseEnv(), stdio: 'ignore' });
        let sent = 0;
        const timer = setTimeout(() => { sent = Date.now(); child.kill(sig); }, delay);
        const [got, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('close', (x, s) => res([x, s])));
        clearTimeout(timer);
        const now = snapshot(d);
        const state = same(now, bigOriginal) ? 'original' : same(now, bigFixed) ? 'fixed' : 'MIXED';
        results.push(`${sig}@${delay}: exit ${got} ${signal ?? ''} ${state} after ${sent ? Date.now() - sent : '-'} ms`);
        if (!sent) continue; // finished before the signal: nothing to judge
        // near the end the run may be done (the tree fixed, exiting) when the signal lands: exit 0 then
        const finished = delay > 500 && got === 0 && state === 'fixed';
        assert.ok(got === code || signal === sig || finished, `${sig} at ${delay} ms: exit ${got} ${signal} (${state})`);
        assert.ok(Date.now() - sent < 3000, `${sig} at ${delay} ms took effect after ${Date.now() - sent} ms`);
        assert.notEqual(state, 'MIXED', `${sig} at ${delay} ms: neither the original nor the fixed tree`);
        assert.deepEqual(leftovers(d), []);
        c.check(`${sig} at ${delay} ms`);
      }
    }
    t.diagnostic(`apply took ${took} ms; ${results.join('; ')}`);
    assert.ok(results.some((r) => / original /.test(r)), `some signal came before the writes:\n${results.join('\n')}`);
  });

  test('three concurrent series on one folder: each waits its turn, the folder is one whole series', async () => {
    const d = copy();
    for (let round = 0; round < 4; round++) {
      const out = join(tmp.root, `out${++n}`);
      const fixes = ['guarded-global', 'copy-on-read', IDS.join(',')];
      const rs = await Promise.all(fixes.map((f) => memfix(seriesArgs(d, out, '--fix', f))));
      for (const r of rs) assert.equal(r.code, 0, show(r));
      const manifest = JSON.parse(readFileSync(join(out, '.memfix-series.json'), 'utf8')) as { files: Record<string, string[]> };
      const listed = Object.keys(manifest.files).sort();
      assert.deepEqual(readdirSync(out).filter((f) => f !== '.memfix-series.json').sort(), listed, `round ${round}: the folder holds what its manifest lists`);
      for (const [name, [digest]] of Object.entries(manifest.files)) assert.equal(sha(readFileSync(join(out, name))), digest, `round ${round}: ${name}`);
      const series = readFileSync(join(out, 'series'), 'utf8').split('\n').filter(Boolean).sort();
      assert.deepEqual(series, listed.filter((f) => f.endsWith('.patch') && !f.startsWith('0000-')), `round ${round}: the series file lists the patches there`);
    }
  });

  test('apply and series at once: the series is made from the original tree or the fixed one, never a mix', async () => {
    for (let round = 0; round < 4; round++) {
      const d = copy();
      const out = join(tmp.root, `out${++n}`);
      const [a, s] = await Promise.all([memfix(['apply', d, '--yes']), memfix(seriesArgs(d, out))]);
      assert.equal(a.code, 0, show(a));
      assert.equal(s.code, 0, show(s));
      const made = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.patch')).length : 0;
      assert.ok(made === IDS.length + 1 || /nothing to fix/.test(s.stdout), `round ${round}: a whole series or none\n${show(s)}`);
      assertSameTree(snapshot(d), fixed, `round ${round}`);
    }
  });

  test('an interrupted apply\'s journal: scan says so, series and check refuse (exit 2), apply finishes it', async () => {
    const d = copy();
    const entries = TARGETS.map((p) => ({ path: p, tmp: tempOf(p), before: sha(original.get(p)!), after: sha(fixed.get(p)!) }));
    writeFileSync(join(d, HEADER), fixed.get(HEADER)!);
    for (const p of TARGETS.slice(1)) writeFileSync(join(d, tempOf(p)), fixed.get(p)!);
    plantJournal(d, entries);
    const scan = await memfix(['scan', d]);
    assert.match(scan.stderr, new RegExp(`^memfix: ${d}/\\.memfix/journal: an interrupted apply left its journal: the tree may be half applied; run memfix apply`, 'm'), show(scan));
    const out = join(tmp.root, `out${++n}`);
    const s = await memfix(seriesArgs(d, out));
    assert.equal(s.code, 2, show(s));
    assert.match(assertOneLineError(s, 'series'), /journal: an interrupted apply .*run memfix apply/);
    assert.ok(!existsSync(out), 'no series folder made');
    const patches = join(tmp.root, `p${++n}`);
    mkdirSync(patches);
    const s0 = await memfix(seriesArgs(copy(), patches));
    assert.equal(s0.code, 0, show(s0));
    const ch = await memfix(['check', d, '--patches', patches]);
    assert.equal(ch.code, 2, show(ch));
    assert.match(ch.stderr, /journal: an interrupted apply .*run memfix apply/, show(ch));
    const a = await memfix(['apply', d, '--yes']);
    assert.equal(a.code, 0, show(a));
    assert.match(a.stderr, /an interrupted apply was finished/);
    assertSameTree(snapshot(d), fixed, 'finished');
  });
});
