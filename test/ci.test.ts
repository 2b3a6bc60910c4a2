/**
 * memfix in a CI pipeline (issue 20): GitLab Code Quality reports whose fingerprints survive a
 * moved line; verify's progress as a CI log shows it (one line per step, folded per tree in GitHub
 * Actions and GitLab CI, always a summary line); check's stale series a warning unless
 * --stale=error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HEADER, IDS, SAMPLE, copyTree, gitInit, memfix, show, tempRoot } from './e2e-helpers.ts';
import { renderCodeQuality, type CodeQualityIssue } from '../src/render/codequality.ts';
import { progressSink, summaryLine } from '../src/render/progress.ts';
import { askKey, interpretKey } from '../src/prompt.ts';
import { loadCodemodInfo } from '../src/registry.ts';
import { verifyReport } from '../src/commands/verify.ts';
import type { TreeVerdict } from '../src/verify/run.ts';

const tmp = tempRoot('memfix-ci-');
after(() => tmp.cleanup());

const SEVERITIES = ['info', 'minor', 'major', 'critical', 'blocker'];

/** The shape GitLab reads: an array of issues, each with these fields and types; fingerprints unique. */
function assertCodeQuality(text: string, what: string): CodeQualityIssue[] {
  const issues = JSON.parse(text) as CodeQualityIssue[];
  assert.ok(Array.isArray(issues), `${what}: an array`);
  for (const i of issues) {
    assert.deepEqual(Object.keys(i).sort(), ['check_name', 'description', 'fingerprint', 'location', 'severity'], what);
    assert.equal(typeof i.description, 'string');
    assert.ok(i.description.length > 0);
    assert.match(i.check_name, /^memfix-(scan|check|verify)\/[a-z0-9/-]+$/);
    assert.match(i.fingerprint, /^[0-9a-f]{32}$/);
    assert.ok(SEVERITIES.includes(i.severity), i.severity);
    assert.equal(typeof i.location.path, 'string');
    assert.doesNotMatch(i.location.path, /^\/|^\.\.?\//, `${what}: a path relative to the repository's top: ${i.location.path}`);
    assert.ok(Number.isInteger(i.location.lines.begin) && i.location.lines.begin >= 1);
  }
  assert.equal(new Set(issues.map((i) => i.fingerprint)).size, issues.length, `${what}: fingerprints are unique`);
  return issues;
}

let R = '';
before(async () => {
  R = join(tmp.root, 'repo');
  copyTree(SAMPLE, join(R, 'vendor'));
  await gitInit(R);
});

describe('--format codequality', { concurrency: 2, timeout: 300_000 }, () => {
  test('scan: an issue per needed fix, at its file from the repository top; a moved line keeps its fingerprint', async () => {
    const r = await memfix(['scan', join(R, 'vendor'), '--format', 'codequality']);
    assert.equal(r.code, 1, show(r));
    const issues = assertCodeQuality(r.stdout, 'scan');
    assert.deepEqual(issues.map((i) => i.check_name.replace('memfix-scan/', '')).sort(), [...IDS].sort(), 'one issue per fix');
    for (const i of issues) assert.match(i.location.path, /^vendor\/upgrade_2\.0\.x\//);
    // the same tree with ten lines added at the top of the header: every issue moves, none changes its fingerprint
    const moved = copyTree(join(R, 'vendor'), join(tmp.root, 'moved', 'vendor'));
    await gitInit(join(tmp.root, 'moved'));
    writeFileSync(join(moved, HEADER), '// a comment\n'.repeat(10) + readFileSync(join(moved, HEADER), 'utf8'));
    const m = await memfix(['scan', moved, '--format', 'codequality']);
    const after = assertCodeQuality(m.stdout, 'scan, lines moved');
    assert.deepEqual(after.map((i) => i.fingerprint), issues.map((i) => i.fingerprint), 'the fingerprints stay');
    const inHeader = issues.filter((i) => i.location.path.endsWith(HEADER));
    assert.ok(inHeader.length > 0);
    for (const i of inHeader) assert.equal(after.find((x) => x.fingerprint === i.fingerprint)!.location.lines.begin, i.location.lines.begin + 10, 'the line moved');
  });

  test('check: a clean series has no issue; to a file beside the text', async () => {
    const P = join(tmp.root, 'patches-clean');
    const s = await memfix(['series', join(R, 'vendor'), '-o', P]);
    assert.equal(s.code, 0, show(s));
    const out = join(tmp.root, 'cq.json');
    const c = await memfix(['check', join(R, 'vendor'), '--patches', P, '--format', `codequality:${out}`]);
    assert.equal(c.code, 0, show(c));
    assert.deepEqual(assertCodeQuality(readFileSync(out, 'utf8'), 'check'), []);
    assert.match(c.stdout, /^patches \(/m, 'the text still goes to stdout');
  });

  test('verify: a failing scenario is an issue at DIR (no file of its own); fingerprints unique even for findings alike', () => {
    const scenarios = [
      { name: 'read-clear-piece', fix: 'copy-on-read', sanitizers: ['asan' as const], description: 'x' },
      { name: 'stale-hash', fix: 'storage-generation', sanitizers: ['asan' as const], description: 'y' },
    ];
    const v: TreeVerdict = { scenarios, results: [{ name: 'read-clear-piece', pass: false, summary: 'heap-use-after-free' }, { name: 'stale-hash', pass: false, summary: 'line 12' }] };
    const r = verifyReport('tree', [{ title: 'result', verdict: v }]);
    r.prefix = 'upgrade_2.0.x/';
    const issues = assertCodeQuality(JSON.stringify(renderCodeQuality(r)), 'verify');
    assert.deepEqual(issues.map((i) => [i.check_name, i.location.path, i.location.lines.begin]), [
      ['memfix-verify/copy-on-read', 'upgrade_2.0.x', 1],
      ['memfix-verify/storage-generation', 'upgrade_2.0.x', 1],
    ]);
    // two problems alike but for their line: two issues, two fingerprints
    r.problems.push({ file: 'a.hpp', line: 3, message: 'cannot parse' }, { file: 'a.hpp', line: 9, message: 'cannot parse' });
    assertCodeQuality(JSON.stringify(renderCodeQuality(r)), 'verify with problems');
  });
});

describe('verify progress', () => {
  const verdict = (pass: boolean[]): TreeVerdict => ({
    scenarios: pass.map((_, i) => ({ name: `s${i}`, fix: 'all', sanitizers: ['asan' as const], description: '' })),
    results: pass.map((p, i) => ({ name: `s${i}`, pass: p, summary: p ? 'pass' : 'boom' })),
  });
  /** A run as verify --compare tells it: two builds, their scenarios, then the end. */
  function drive(ci: 'github' | 'gitlab' | null, tty = false): string[] {
    let out = '';
    const sink = progressSink({ write: (s) => { out += s; }, tty, ci, width: 60, now: () => 1700000000, colour: false });
    sink.step({ kind: 'build', label: 'before', sanitizer: 'ASan+UBSan' });
    sink.step({ kind: 'scenario', label: 'before', name: 'read-clear-piece', pass: false, summary: 'heap-use-after-free' });
    sink.step({ kind: 'scenario', label: 'before', name: 'stale-hash', pass: true, summary: 'pass' });
    sink.step({ kind: 'build', label: 'before', sanitizer: 'TSan' });
    sink.step({ kind: 'scenario', label: 'before', name: 'stress (tsan)', pass: true, summary: 'pass' });
    sink.step({ kind: 'build', label: 'after', sanitizer: 'ASan+UBSan' });
    for (const n of ['a-very-long-scenario-name-one', 'a-very-long-scenario-name-two', 'a-very-long-scenario-name-three']) sink.step({ kind: 'scenario', label: 'after', name: n, pass: false, summary: 'x' });
    sink.mutant({ fix: 'copy-on-read', id: 'no-copy', killed: true, by: 'read-clear-piece' }, 1, 2);
    sink.mutant({ fix: 'copy-on-read', id: 'no-lock', killed: false }, 2, 2);
    sink.end();
    return out.split('\n').slice(0, -1);
  }

  test('not a terminal, no CI: one line per build, per scenario group, per mutant (n of m); within the width', () => {
    const lines = drive(null);
    assert.deepEqual(lines.filter((l) => !l.startsWith('    ')), [
      '[before] building with ASan+UBSan ...',
      '[before] ASan+UBSan scenarios: 1 of 2 pass; FAIL:',
      '[before] building with TSan ...',
      '[before] TSan scenarios: 1 of 1 pass',
      '[after] building with ASan+UBSan ...',
      '[after] ASan+UBSan scenarios: 0 of 3 pass; FAIL:',
      '[mutants] 1 of 2: killed copy-on-read/no-copy by',
      '[mutants] 2 of 2: SURVIVED copy-on-read/no-lock',
    ]);
    for (const l of lines) assert.ok(l.length <= 60, `over 60 columns: ${l}`);
    assert.ok(lines.some((l) => /^ {4}.*a-very-long-scenario-name-three$/.test(l)), 'the failing list wraps onto indented lines');
  });

  test('the compile step: its own line in its tree\'s section, not counted among the scenarios', () => {
    let out = '';
    const sink = progressSink({ write: (x) => { out += x; }, tty: false, ci: 'github', width: 100 });
    sink.note('before', 'compiling with g++ and clang++ (the tree\'s flags) ...');
    sink.step({ kind: 'scenario', label: 'before', name: 'compile', pass: false, summary: 'g++: error' });
    sink.step({ kind: 'build', label: 'before', sanitizer: 'ASan+UBSan' });
    sink.step({ kind: 'scenario', label: 'before', name: 'a', pass: true, summary: 'pass' });
    sink.end();
    assert.deepEqual(out.trim().split('\n'), [
      '::group::before',
      '[before] compiling with g++ and clang++ (the tree\'s flags) ...',
      '[before] compile: FAIL: g++: error',
      '[before] building with ASan+UBSan ...',
      '[before] ASan+UBSan scenarios: 1 of 1 pass',
      '::endgroup::',
    ]);
  });

  test('GitHub Actions: each tree folded in ::group:: ... ::endgroup::', () => {
    const lines = drive('github');
    const groups = lines.filter((l) => l.startsWith('::'));
    assert.deepEqual(groups, ['::group::before', '::endgroup::', '::group::after', '::endgroup::', '::group::mutants', '::endgroup::']);
    assert.ok(lines.indexOf('[before] TSan scenarios: 1 of 1 pass') < lines.indexOf('::endgroup::'), 'the TSan build stays in its tree\'s group');
  });

  test('GitLab CI: section_start / section_end markers, collapsed, with matching names', () => {
    const lines = drive('gitlab');
    const starts = lines.filter((l) => l.includes('section_start:'));
    const ends = lines.filter((l) => l.includes('section_end:'));
    assert.equal(starts.length, 3);
    assert.equal(ends.length, 3);
    // eslint-disable-next-line no-control-regex
    const re = /^\x1b\[0Ksection_(start|end):(\d+):([A-Za-z0-9_.-]+)(\[collapsed=true\])?\r\x1b\[0K(.*)$/;
    const names = [...starts, ...ends].map((l) => { const m = re.exec(l); assert.ok(m, JSON.stringify(l)); return m[3]; });
    assert.deepEqual(names.slice(0, 3), names.slice(3));
    assert.equal(new Set(names.slice(0, 3)).size, 3, 'a name per section');
    assert.match(starts[0]!, /\[collapsed=true\]\r\x1b\[0Kbefore$/);
  });

  test('on a terminal: each scenario as it ends, no folding', () => {
    const lines = drive(null, true);
    assert.ok(lines.includes('[before] FAIL read-clear-piece: heap-use-after-free'), lines.join('\n'));
    assert.ok(lines.includes('[before] pass stale-hash'));
    assert.ok(!lines.some((l) => l.startsWith('::')));
  });

  test('the summary line: the verdict column first, then the others, the mutants\' score', () => {
    const r = verifyReport('tree', [{ title: 'before', verdict: verdict([false, true]) }, { title: 'after', verdict: verdict([true, true]) }]);
    assert.equal(summaryLine(r), 'memfix verify: ok: after: 2 of 2 scenarios pass; before: 1 of 2 scenarios pass');
    const m = { ...verifyReport('tree', [{ title: 'fixed', verdict: verdict([true]) }]), mutants: { killed: 1, results: [] as never[] }, exitCode: 1 };
    assert.equal(summaryLine(m), 'memfix verify: FAILED: fixed: 1 of 1 scenarios pass; mutants killed 1 of 0');
  });
});

describe('output that fits', { concurrency: 2, timeout: 300_000 }, () => {
  const visible = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, '');
  const assertFits = (text: string, width: number, what: string) => {
    for (const l of text.split('\n')) assert.ok(visible(l).length <= width, `${what}: over ${width} columns: ${l}`);
  };

  for (const [columns, width] of [[undefined, 100], ['60', 60], ['132', 132]] as const) {
    test(`scan, check, list and apply --dry-run fit ${width} columns (COLUMNS=${columns ?? 'unset'}, not a terminal); paths under a group header are relative to it; JSON keeps them whole`, async () => {
      const env: Record<string, string> = columns ? { COLUMNS: columns } : {};
      const D = join(R, 'vendor');
      const s = await memfix(['scan', D], { env });
      assert.equal(s.code, 1, show(s));
      assertFits(s.stdout, width, 'scan');
      const lines = s.stdout.split('\n');
      const header = lines.findIndex((l) => /^\S.*:$/.test(l));
      const group = lines[header]!.slice(0, -1);
      assert.equal(group, 'upgrade_2.0.x/libtorrent-go');
      assert.ok(!s.stdout.includes(`${group}/`), `paths under "${group}:" are relative to it\n${s.stdout}`);
      assert.match(s.stdout, /\bmemory_disk_io\.hpp:\d+/);
      assert.ok(lines.some((l) => /^ {6,}\S/.test(l)), 'long lists wrap onto indented lines');
      const j = await memfix(['scan', D, '--format', 'json'], { env });
      const fixes = JSON.parse(j.stdout).fixes as { locations: { file: string }[] }[];
      assert.ok(fixes.every((f) => f.locations.every((l) => l.file.startsWith(`${group}/`))), 'JSON: paths relative to DIR, whole');

      const P = join(tmp.root, `patches-fit-${width}`);
      assert.equal((await memfix(['series', D, '-o', P])).code, 0);
      const moved = copyTree(join(R, 'vendor'), join(tmp.root, `fit-${width}`, 'vendor'));
      writeFileSync(join(moved, HEADER), '// a note\n' + readFileSync(join(moved, HEADER), 'utf8'));
      const c = await memfix(['check', moved, '--patches', P], { env });
      assertFits(c.stdout, width, 'check');
      assert.match(c.stdout, /^series: stale/m);
      assert.ok(!c.stdout.includes(`${P}/`), 'patch names under the header naming their folder');
      const l = await memfix(['list'], { env });
      assertFits(l.stdout, width, 'list');
      const a = await memfix(['apply', D, '--dry-run'], { env });
      const prose = a.stdout.split('\n').filter((l) => !/^(\x1b\[[0-9;]*m)*([-+ @]|diff |index )/.test(l) || /^ {2}\S/.test(l));
      assertFits(prose.join('\n'), width, 'apply --dry-run (outside the diffs)');
    });
  }
});

describe('check names where the code is', { timeout: 300_000 }, () => {
  test('a failing hunk whose code moved: text and GitHub name the line of its first removed line as the file is now', async () => {
    const P = join(tmp.root, 'patches-where');
    assert.equal((await memfix(['series', join(R, 'vendor'), '-o', P])).code, 0);
    const moved = join(copyTree(R, join(tmp.root, 'where')), 'vendor');
    const text = readFileSync(join(moved, HEADER), 'utf8');
    const at = text.indexOf('storage_error err;', text.indexOf('void async_read('));
    // the hunk's context changed, and 38 lines above it moved everything
    writeFileSync(join(moved, HEADER), '// a note\n'.repeat(38) + text.slice(0, at) + 'storage_error err; // read status' + text.slice(at + 'storage_error err;'.length));
    const name = readdirSync(P).find((f) => f.endsWith('-copy-on-read.patch'))!;
    const patch = readFileSync(join(P, name), 'utf8');
    const firstRemoved = patch.split('\n').find((l) => /^-(?!--)/.test(l))!.slice(1);
    const lines = readFileSync(join(moved, HEADER), 'utf8').split('\n');
    const expected = lines.indexOf(firstRemoved, lines.findIndex((l) => l.includes('void async_read('))) + 1;
    assert.ok(expected > 0);
    const t = await memfix(['check', moved, '--patches', P]);
    assert.equal(t.code, 1, show(t));
    assert.match(t.stdout.replace(/\n {19}/g, ' '), new RegExp(`${name.replace(/\./g, '\\.')}: .*with the code at line ${expected} `), show(t));
    const g = await memfix(['check', moved, '--patches', P, '--format', 'github']);
    assert.match(g.stdout, new RegExp(`^::error file=vendor/${HEADER.replace(/\./g, '\\.')},line=${expected},title=memfix check%3A copy-on-read::`, 'm'), g.stdout);
  });
});

describe('the apply prompt\'s keys', () => {
  const keys = ['y', 'n', 'd', 'a', 's', 'q'];
  test('a key is a choice at once (either case, Enter after it ignored); Enter alone, other keys and escape sequences are nothing; ? is help; Ctrl-C and Ctrl-D interrupt', () => {
    assert.deepEqual(interpretKey('y', keys), { kind: 'choice', key: 'y' });
    assert.deepEqual(interpretKey('N', keys), { kind: 'choice', key: 'n' });
    assert.deepEqual(interpretKey('n\r', keys), { kind: 'choice', key: 'n' });
    for (const nothing of ['\r', '\n', '\r\n', 'x', '\x1b[A', 'yn', ' ']) assert.deepEqual(interpretKey(nothing, keys), { kind: 'other' }, JSON.stringify(nothing));
    assert.deepEqual(interpretKey('?', keys), { kind: 'help' });
    assert.deepEqual(interpretKey('\x03', keys), { kind: 'interrupt' });
    assert.deepEqual(interpretKey('\x04', keys), { kind: 'interrupt' });
  });

  test('askKey on a fake terminal: raw mode while asking, Enter alone re-asks, the key resolves; Ctrl-C rejects as an ExitPromptError', async () => {
    const { PassThrough } = await import('node:stream');
    const input = Object.assign(new PassThrough(), { isTTY: true, modes: [] as boolean[], setRawMode(this: { modes: boolean[] }, r: boolean) { this.modes.push(r); } });
    let shown = '';
    const output = { write: (s: string) => { shown += s; } };
    const p = askKey({ message: 'Apply x?', choices: keys.map((k) => ({ key: k, name: k, value: k })), input, output });
    input.write('\r');
    await new Promise((r) => setImmediate(r));
    input.write('a');
    assert.equal(await p, 'a');
    assert.deepEqual(input.modes, [true, false]);
    assert.match(shown, /^Apply x\? \[y,n,d,a,s,q,\?\] \n\(press one key: y, n, d, a, s, q; \? for help\)\nApply x\? \[y,n,d,a,s,q,\?\] a\n$/);
    const q = askKey({ message: 'Apply x?', choices: keys.map((k) => ({ key: k, name: k, value: k })), input, output });
    input.write('\x03');
    await assert.rejects(q, (e: Error) => e.name === 'ExitPromptError');
  });
});

describe('smaller points', { concurrency: 2, timeout: 300_000 }, () => {
  test('list --format json: every codemod\'s metadata in series order; a format list does not give is exit 2', async () => {
    const r = await memfix(['list', '--format', 'json']);
    assert.equal(r.code, 0, show(r));
    const j = JSON.parse(r.stdout) as { command: string; format: number; codemods: { id: string; title: string; dependsOn: string[]; targets: string[] }[] };
    assert.equal(j.command, 'list');
    assert.equal(j.format, 1);
    assert.deepEqual(j.codemods.map((c) => c.id), [...IDS]);
    for (const c of j.codemods) assert.ok(c.title && Array.isArray(c.dependsOn) && c.targets.length, c.id);
    const bad = await memfix(['list', '--format', 'sarif']);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /^memfix: --format sarif: list gives text, json$/m);
  });

  test('scan --fix of a fix whose dependencies are not selected: they are added, said so, and scanned', async () => {
    const withDeps = loadCodemodInfo().filter((c) => c.meta.dependsOn.length);
    assert.ok(withDeps.length > 0, 'a codemod with dependencies');
    for (const c of withDeps) {
      const r = await memfix(['scan', join(R, 'vendor'), '--fix', c.meta.id]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, new RegExp(`^memfix: --fix ${c.meta.id} needs .*${c.meta.dependsOn[0]}.*: (it is|they are) included$`, 'm'), show(r));
      assert.doesNotMatch(r.stderr + r.stdout, /no readable memory_disk_io header/);
      for (const id of [c.meta.id, ...c.meta.dependsOn]) assert.match(r.stdout, new RegExp(`^\\s+apply\\s+${id}\\s`, 'm'), show(r));
    }
  });
});

describe('the maintainer\'s own patches in the series', { timeout: 300_000 }, () => {
  const MBOX = [
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
    'From: Maintainer <m@example.com>',
    'Date: Thu, 1 Jan 2026 00:00:00 +0000',
    'Subject: [PATCH] notes: say why we vendor',
    '',
    '---',
    ' vendor/NOTES.txt | 1 +',
    ' 1 file changed, 1 insertion(+)',
    '',
    'diff --git a/vendor/NOTES.txt b/vendor/NOTES.txt',
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    '+++ b/vendor/NOTES.txt',
    '@@ -0,0 +1 @@',
    '+vendored on purpose',
    '-- ',
    '2.39.0',
    '',
  ].join('\n');

  test('a git format-patch mail and a plain quilt diff listed in series: checked on top of memfix\'s, the maintainer\'s, never stale; series -o again keeps them and their place', async () => {
    const repo = copyTree(R, join(tmp.root, 'maint'));
    const D = join(repo, 'vendor');
    const P = join(tmp.root, 'patches-maint');
    assert.equal((await memfix(['series', D, '-o', P])).code, 0);
    const [l1, l2, l3] = readFileSync(join(D, HEADER), 'utf8').split('\n');
    // a quilt diff (-p1 paths from the top, Index: header) adding a line after the header's first
    const quilt = [`Index: maint/vendor/${HEADER}`, '='.repeat(67), `--- maint.orig/vendor/${HEADER}`, `+++ maint/vendor/${HEADER}`, '@@ -1,3 +1,4 @@', ` ${l1}`, '+// carried by the maintainer', ` ${l2}`, ` ${l3}`, ''].join('\n');
    writeFileSync(join(P, 'local-note.diff'), quilt);
    writeFileSync(join(P, '0099-notes.patch'), MBOX);
    const ours = readFileSync(join(P, 'series'), 'utf8').trim().split('\n');
    // the mail after the second of memfix's patches, the quilt diff last
    const listed = [...ours.slice(0, 2), '0099-notes.patch', ...ours.slice(2), 'local-note.diff'];
    writeFileSync(join(P, 'series'), listed.map((n) => n + '\n').join(''));

    const c = await memfix(['check', D, '--patches', P, '--format', 'json']);
    assert.equal(c.code, 0, show(c));
    const j = JSON.parse(c.stdout) as { results: { name: string; status: string; stale: boolean; maintainer?: boolean; fix: string | null }[] };
    assert.deepEqual(j.results.map((x) => x.name), listed);
    for (const x of j.results) {
      assert.equal(x.status, 'applies', `${x.name} applies`);
      assert.equal(x.stale, false, `${x.name} is not stale`);
      assert.equal(x.maintainer === true, ['0099-notes.patch', 'local-note.diff'].includes(x.name), `${x.name}: the maintainer's?`);
    }
    const t = await memfix(['check', D, '--patches', P]);
    assert.match(t.stdout, /local-note\.diff  \(yours: memfix did not write it\)$/m);
    assert.match(t.stdout, /^series: up to date$/m, t.stdout);

    const mailBytes = readFileSync(join(P, '0099-notes.patch'));
    const diffBytes = readFileSync(join(P, 'local-note.diff'));
    const again = await memfix(['series', D, '-o', P]);
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /kept your patches in the series: 0099-notes\.patch, local-note\.diff/);
    assert.ok(readFileSync(join(P, '0099-notes.patch')).equals(mailBytes), 'the mail kept byte for byte');
    assert.ok(readFileSync(join(P, 'local-note.diff')).equals(diffBytes), 'the quilt diff kept byte for byte');
    assert.deepEqual(readFileSync(join(P, 'series'), 'utf8').trim().split('\n'), listed, 'their place in series kept');
    const c2 = await memfix(['check', D, '--patches', P]);
    assert.equal(c2.code, 0, show(c2));

    // a series edited otherwise (memfix's own patches reordered) is still refused
    writeFileSync(join(P, 'series'), [listed[1], listed[0], ...listed.slice(2)].map((n) => n + '\n').join(''));
    const refused = await memfix(['series', D, '-o', P]);
    assert.equal(refused.code, 2, show(refused));
  });

  test('a file that is neither a mail nor a diff: exit 2, one line naming it', async () => {
    const P = join(tmp.root, 'patches-junk');
    assert.equal((await memfix(['series', join(R, 'vendor'), '-o', P])).code, 0);
    writeFileSync(join(P, 'junk.diff'), 'just some words\n');
    writeFileSync(join(P, 'series'), readFileSync(join(P, 'series'), 'utf8') + 'junk.diff\n');
    const r = await memfix(['check', join(R, 'vendor'), '--patches', P]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /^memfix: .*junk\.diff: not a patch/m, show(r));
  });
});

describe('a half-applied patch', { timeout: 300_000 }, () => {
  test('check says that apply --yes finishes it (not "run memfix series again"), and apply --yes does', async () => {
    const multi = loadCodemodInfo().find((c) => c.meta.targets.length > 1 && !c.meta.dependsOn.length);
    assert.ok(multi, 'a codemod that changes several files and needs no other');
    const repo = copyTree(R, join(tmp.root, 'half'));
    const D = join(repo, 'vendor');
    const P = join(tmp.root, 'patches-half');
    const made = await memfix(['series', D, '-o', P]);
    assert.equal(made.code, 0, show(made));
    const a = await memfix(['apply', D, '--yes', '--fix', multi.meta.id]);
    assert.equal(a.code, 0, show(a));
    // undo one of its files: the patch is half in the tree
    const changed = spawnSync('git', ['diff', '--name-only'], { cwd: repo, encoding: 'utf8' }).stdout.trim().split('\n');
    assert.ok(changed.length > 1, changed.join(', '));
    spawnSync('git', ['checkout', '-q', '--', changed.find((f) => !f.endsWith('.hpp'))!], { cwd: repo });
    const c = await memfix(['check', D, '--patches', P, '--format', 'json']);
    assert.equal(c.code, 1, show(c));
    const j = JSON.parse(c.stdout) as { results: { name: string; status: string; stale: boolean; partlyApplied?: boolean; reason?: string }[] };
    const half = j.results.find((x) => x.name.endsWith(`-${multi.meta.id}.patch`))!;
    assert.equal(half.status, 'fails');
    assert.equal(half.partlyApplied, true);
    assert.equal(half.stale, false, 'not called stale');
    assert.match(half.reason!, /`memfix apply --yes` finishes it/);
    const t = await memfix(['check', D, '--patches', P]);
    const line = t.stdout.replace(/\n {19}/g, ' ').split('\n').find((l) => l.includes(half.name))!;
    assert.match(line, /apply --yes/);
    assert.doesNotMatch(line, /series again/);
    const fin = await memfix(['apply', D, '--yes']);
    assert.equal(fin.code, 0, show(fin));
    const after = JSON.parse((await memfix(['check', D, '--patches', P, '--format', 'json'])).stdout) as typeof j;
    assert.equal(after.results.find((x) => x.name === half.name)!.status, 'already-applied');
  });
});
