/**
 * A series is for the commit it names, and says what a maintainer needs once: a dirty tree gives
 * a series that `git am` applies on its base-commit; `check` is right for any prefix of the series
 * already merged; messages are wrapped at 72 columns, name no bare #N, carry the codemod's notes,
 * and the cover letter carries the `git am` line. `--fix X` takes X's dependencies. Git is asked
 * once per question (a `git` first on PATH logs the processes memfix starts); a plain folder works
 * without git.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  HEAD, HEADER, IDS, SAMPLE, assertSameTree, copyTree, gitInit, memfix, run, show, snapshot, statusById, tempRoot,
} from './e2e-helpers.ts';
import { commitBody, analysisSentence } from '../src/commands/series-build.ts';
import type { Step } from '../src/engine.ts';
import type { Codemod, Meta } from '../src/codemod.ts';
import { loadCodemods } from '../src/registry.ts';

const AUTHOR = 'T <t@example.com>';
const DATE = '2026-01-01T00:00:00Z';
const PATCHES = IDS.map((id, i) => `${String(i + 1).padStart(4, '0')}-${id}.patch`);
const tmp = tempRoot('memfix-series-safety-');
after(() => tmp.cleanup());
let n = 0;
const copy = (from: string) => copyTree(from, join(tmp.root, `t${++n}`));
const seriesArgs = (dir: string, out: string, ...more: string[]) => ['series', dir, '-o', out, '--author', AUTHOR, '--date', DATE, ...more];

/**
 * A `git` that logs its arguments (one line per process, tab-separated) and runs the real git, put
 * first on the PATH memfix is run with: `commands()` gives the git command of each process
 * (rev-parse, log, ...) started since the last call.
 */
function gitSpy(): { env: Record<string, string>; commands(): string[] } {
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const dir = join(tmp.root, `git-spy-${++n}`);
  const log = join(dir, 'log');
  mkdirSync(dir);
  writeFileSync(join(dir, 'git'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\t' "$a"; done >> '${log}'\necho >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(dir, 'git'), 0o755);
  let seen = 0;
  return {
    env: { PATH: `${dir}:${process.env.PATH ?? ''}` },
    commands() {
      const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      const fresh = lines.slice(seen);
      seen = lines.length;
      // memfix runs `git --no-optional-locks -C DIR <command> ...`
      return fresh.map((l) => {
        const args = l.split('\t');
        const c = args.indexOf('-C');
        return c >= 0 ? args[c + 2]! : args.find((a) => !a.startsWith('-'))!;
      });
    },
  };
}

/** The commit message of a patch file: from the blank line after the headers to the `---` line. */
function message(patch: string): string {
  const start = patch.indexOf('\n\n') + 2;
  return patch.slice(start, patch.indexOf('\n---\n', start));
}

let fixedSample: Map<string, Buffer>;
before(async () => {
  const d = copy(SAMPLE);
  const r = await memfix(['apply', d, '--yes']);
  assert.equal(r.code, 0, show(r));
  fixedSample = snapshot(d);
});

describe('series and check', { concurrency: 2, timeout: 600_000 }, () => {
  test('a dirty tree (apply --fix free-disk-buffer): the series is made from HEAD, says so, and git am applies it on base-commit', async () => {
    const d = copy(SAMPLE);
    const sha = await gitInit(d);
    const a = await memfix(['apply', d, '--fix', 'free-disk-buffer', '--yes']);
    assert.equal(a.code, 0, show(a));
    const out = join(tmp.root, `p${++n}`);
    const s = await memfix(seriesArgs(d, out));
    assert.equal(s.code, 0, show(s));
    assert.match(s.stderr, new RegExp(`uncommitted changes to ${HEADER.replace(/\./g, '\\.')}: the series is made from HEAD \\(${sha.slice(0, 12)}\\)`), show(s));
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.patch')).sort(), ['0000-cover-letter.patch', ...PATCHES], 'every fix, free-disk-buffer included');
    assert.match(readFileSync(join(out, '0000-cover-letter.patch'), 'utf8'), new RegExp(`^base-commit: ${sha}$`, 'm'));

    const b = copy(SAMPLE);
    assert.equal(await gitInit(b), sha, 'a clean checkout of base-commit');
    const am = await run('git', ['am', ...PATCHES.map((p) => join(out, p))], { cwd: b });
    assert.equal(am.code, 0, `git am on base-commit\n${show(am)}`);
    assertSameTree(snapshot(b), fixedSample, 'git am of the series = apply --yes');
  });

  test('check after git am of 0001-0002: already applied, already applied, applies, applies; exit 0', async () => {
    const d = copy(SAMPLE);
    await gitInit(d);
    const out = join(tmp.root, `p${++n}`);
    const s = await memfix(seriesArgs(d, out));
    assert.equal(s.code, 0, show(s));
    for (const k of [0, 1, 2, 3, 4]) {
      if (k > 0) {
        const am = await run('git', ['am', join(out, PATCHES[k - 1]!)], { cwd: d });
        assert.equal(am.code, 0, show(am));
      }
      const c = await memfix(['check', d, '--patches', out]);
      const got = PATCHES.map((p) => (c.stdout.split('\n').find((l) => l.includes(p)) ?? '').trim().replace(/\s+\S*$/, '').trim());
      const want = PATCHES.map((_, i) => (i < k ? 'already applied' : 'applies'));
      assert.deepEqual(got, want, `after git am of ${k} patch(es)\n${show(c)}`);
      assert.match(c.stdout, /^series: up to date$/m, show(c));
      assert.equal(c.code, 0, show(c));
      // git itself agrees: the last merged patch reverse-applies, the next one applies
      if (k > 0) assert.equal((await run('git', ['apply', '--check', '-R', join(out, PATCHES[k - 1]!)], { cwd: d })).code, 0, `git apply -R --check ${PATCHES[k - 1]}`);
      if (k < 4) assert.equal((await run('git', ['apply', '--check', join(out, PATCHES[k]!)], { cwd: d })).code, 0, `git apply --check ${PATCHES[k]}`);
    }
  });

  test('git processes: series asks git 4 questions, check 1, scan and apply none', async () => {
    const d = copy(SAMPLE);
    await gitInit(d);
    const git = gitSpy();
    const env = git.env;
    const out = join(tmp.root, `p${++n}`);
    const s = await memfix(seriesArgs(d, out).filter((a) => a !== '--author' && a !== AUTHOR), { env });
    assert.equal(s.code, 0, show(s));
    assert.deepEqual(git.commands(), ['rev-parse', 'log', 'status', 'var'], show(s));
    const c = await memfix(['check', d, '--patches', out], { env });
    assert.equal(c.code, 0, show(c));
    assert.deepEqual(git.commands(), ['rev-parse'], show(c));
    for (const args of [['scan', d], ['apply', d, '--dry-run']]) {
      const r = await memfix(args, { env });
      assert.deepEqual(git.commands(), [], `${args[0]} asks git nothing\n${show(r)}`);
    }
  });

  test('a plain folder (no git): series without base-commit, check works', async () => {
    const d = copy(SAMPLE);
    const out = join(tmp.root, `p${++n}`);
    const git = gitSpy();
    const env = git.env;
    const s = await memfix(seriesArgs(d, out), { env });
    assert.equal(s.code, 0, show(s));
    assert.doesNotMatch(readFileSync(join(out, '0000-cover-letter.patch'), 'utf8'), /base-commit/);
    const c = await memfix(['check', d, '--patches', out], { env });
    assert.equal(c.code, 0, show(c));
    // no .git in the folder or above it: no git process at all
    assert.deepEqual(git.commands(), [], show(s) + show(c));
    for (const p of PATCHES) assert.match(c.stdout, new RegExp(`applies\\s+\\S*${p}`), show(c));
  });

  test('--fix storage-generation takes copy-on-read and free-disk-buffer with it and says so', async () => {
    const d = copy(SAMPLE);
    const r = await memfix(['apply', d, '--fix', 'storage-generation', '--yes']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /--fix storage-generation needs copy-on-read, free-disk-buffer: they are included/, show(r));
    const by = statusById(r.stdout);
    for (const id of ['free-disk-buffer', 'copy-on-read', 'storage-generation']) assert.deepEqual(by[id], ['apply'], `${id}\n${show(r)}`);
    // a step's line wrapped onto indented continuation lines (the output's width), joined again
    const joined = r.stdout.replace(/\n {4,}/g, ' ');
    for (const id of ['free-disk-buffer', 'copy-on-read', 'storage-generation']) assert.match(joined, new RegExp(`^\\s+apply\\s+${id}\\s.*→ applied$`, 'm'), show(r));
    assert.match(joined, /^\s+apply\s+guarded-global\s.*→ skipped$/m, show(r));
    const text = readFileSync(join(d, HEADER), 'utf8');
    for (const id of ['free-disk-buffer', 'copy-on-read', 'storage-generation']) assert.match(text, new RegExp(`memfix\\(${id}\\)`));
    assert.doesNotMatch(text, /memfix\(guarded-global\)/);
  });
});

const mods = await loadCodemods();
const meta = new Map(mods.map((m) => [m.meta.id, m.meta]));

describe('commit messages', { concurrency: 2, timeout: 600_000 }, () => {

  for (const [name, fixture, crlf] of [['sample', SAMPLE, false], ['head', HEAD, false], ['head with CRLF', HEAD, true]] as const) {
    test(`${name}: each fact once, lines of at most 72 columns, no bare #N, the notes, the git am line`, async () => {
      const d = copy(fixture);
      if (crlf) {
        for (const f of readdirSync(join(d, 'upgrade_2.0.x/libtorrent-go'), { recursive: true }) as string[]) {
          const p = join(d, 'upgrade_2.0.x/libtorrent-go', f);
          if (/\.(hpp|i)$/.test(f)) writeFileSync(p, readFileSync(p, 'utf8').replace(/\n/g, '\r\n'));
        }
      }
      const sha = await gitInit(d);
      const out = join(tmp.root, `p${++n}`);
      const s = await memfix(seriesArgs(d, out));
      assert.equal(s.code, 0, show(s));
      // the notes as scan reports them, whole (the text wraps them and names paths from the group)
      const scan = await memfix(['scan', copy(fixture), '--format', 'json']);
      for (const [i, file] of PATCHES.entries()) {
        const m = meta.get(IDS[i]!)!;
        const msg = message(readFileSync(join(out, file), 'utf8'));
        for (const line of msg.split('\n')) assert.ok(line.length <= 72, `${file}: ${line.length} columns: ${line}`);
        assert.doesNotMatch(msg, /(^|[^\w&])#\d/m, `${file}: a bare #N`);
        const flat = msg.replace(/\s+/g, ' ');
        // each fact once: the commit text is there, and no sentence (nor a near copy of one) comes twice
        const first = m.commit.body.split(/(?<=\.)\s/)[0]!.replace(/\s+/g, ' ');
        assert.equal(flat.split(first).length - 1, 1, `${file}: the commit text once`);
        for (const t of [m.why, m.what]) assert.ok(!flat.includes(t.replace(/\s+/g, ' ')), `${file}: meta's why/what repeat the commit text`);
        const words = (t: string) => new Set(t.toLowerCase().match(/[a-z_]{4,}/g) ?? []);
        const sentences = flat.split(/(?<=\.)\s+(?=[A-Z])/).filter((x) => x.length > 40);
        for (const [a, x] of sentences.entries()) for (const y of sentences.slice(a + 1)) {
          const wx = words(x);
          const wy = words(y);
          const shared = [...wx].filter((w) => wy.has(w)).length / Math.min(wx.size, wy.size);
          assert.ok(shared < 0.6, `${file}: two sentences say the same thing:\n  ${x}\n  ${y}`);
        }
        if (m.analysis.fix === null) assert.match(flat, /This fix goes beyond the memory-safety analysis: /, file);
        else assert.match(flat, new RegExp(`This is analysis fix ${m.analysis.fix}; it addresses analysis issue \\d+ \\(`), file);
        // the notes scan prints for this fix are in the message
        const notes = (JSON.parse(scan.stdout) as { fixes: { fix: string; status: string; notes: string[] }[] }).fixes.find((f) => f.fix === IDS[i] && f.status === 'apply')?.notes ?? [];
        for (const note of notes) assert.ok(flat.includes(note.replace(/\s+/g, ' ')), `${file}: note "${note}" missing\n${msg}`);
        if (name !== 'sample' && IDS[i] === 'copy-on-read') assert.ok(notes.length > 0, 'the head shape has notes for copy-on-read');
      }
      const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
      const amLine = cover.split('\n').filter((l) => /^\s+(git am|\S+\.patch)/.test(l)).join(' ').replace(/\\/g, ' ').trim().split(/\s+/);
      assert.deepEqual(amLine, ['git', 'am', ...(crlf ? ['--keep-cr'] : []), ...PATCHES], cover);
      // and the command works as written, on a clean checkout of the base commit
      const b = join(tmp.root, `b${++n}`);
      copyTree(d, b);
      rmSync(join(b, '.git'), { recursive: true, force: true });
      assert.equal(await gitInit(b), sha);
      const am = await run('git', ['-C', b, ...amLine.slice(1).map((w) => (w.endsWith('.patch') ? join(out, w) : w))]);
      assert.equal(am.code, 0, `${amLine.join(' ')}\n${show(am)}`);
    });
  }

  test('a fix beyond the analysis (fix: null): its finding, no analysis fix number', async () => {
    const base = mods[0]!;
    const m: Meta = { ...base.meta, id: 'new-fix', analysis: { fix: null, finding: 'found by the stress scenario of memfix\'s harness, in every upstream shape', issues: [] } };
    const step = { codemod: { ...base, meta: m } as Codemod, group: '', outcome: { status: 'apply', edits: [], at: [], notes: ['a note naming x.hpp:12'] }, changes: [], taken: true } as Step;
    const body = commitBody(step, 'top/', new Set(['x.hpp']));
    assert.match(body.replace(/\s+/g, ' '), /This fix goes beyond the memory-safety analysis: found by the stress scenario of memfix's harness, in every upstream shape\./);
    assert.doesNotMatch(body, /analysis fix/);
    assert.match(body, /^- a note naming top\/x\.hpp:12$/m, 'notes name files from the repository top');
    assert.equal(analysisSentence({ fix: 3, issues: ['#3 the global pointer outlives its object', '#7 a raw pointer escapes'] }),
      'This is analysis fix 3; it addresses analysis issue 3 (the global pointer outlives its object) and analysis issue 7 (a raw pointer escapes).');
  });
});
