/**
 * Broken input is an error, for every command (issue 21, items 1, 2, 3, 7): a syntax error or a
 * conflict marker where the fixes read or write, a header that is empty, binary, a folder or cut
 * short, a missing tree; files that only name the interfaces (libtorrent's own headers) are no
 * targets; a failing stdout, bad MEMFIX_* values and commander's errors are one `memfix:` line.
 * The engine's verdicts are checked in-process; exit codes and output through the bin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { flawsOf } from '../src/flaws.ts';
import { parseSource } from '../src/source.ts';
import { folderSource, readTree, type Tree } from '../src/workspace.ts';
import { checkEnvironment } from '../src/cli.ts';
import { HEADER, LTGO, REPO, SAMPLE, assertOneLineError, copyTree, memfix, run, show, snapshot, assertSameTree, tempRoot, BIN, baseEnv } from './e2e-helpers.ts';

// the documented schemas, as test/formats.test.ts reads them (CommonJS packages: their classes are the modules' `default`)
const require = createRequire(import.meta.url);
const Ajv = require('ajv').default as typeof import('ajv').default;
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;
const draft04 = new AjvDraft04({ allErrors: true, strict: false });
addFormats(draft04);
const validateSarif = draft04.compile(JSON.parse(readFileSync(join(REPO, 'test/data/sarif-schema-2.1.0.json'), 'utf8')));
const validateReport = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(REPO, 'docs/report.schema.json'), 'utf8')));

const tmp = tempRoot('memfix-broken-');
after(() => tmp.cleanup());
let n = 0;
const copy = (from: string) => copyTree(from, join(tmp.root, `t${++n}`));

const mods = await loadCodemods();
const sample = readTree(SAMPLE);
const headerText = sample.get(HEADER)!;

/** The header with `line` inserted after the first line that holds `after` (and, if given, the first line after it holding `then`). Returns the text and the inserted line's number. */
function insert(text: string, after: string, line: string, then?: string): { text: string; line: number } {
  const lines = text.split('\n');
  let i = lines.findIndex((l) => l.includes(after));
  assert.ok(i >= 0, `no line with ${after}`);
  if (then) i = lines.findIndex((l, k) => k > i && l.includes(then));
  lines.splice(i + 1, 0, line);
  return { text: lines.join('\n'), line: i + 2 };
}

const withHeader = (text: string): Tree => new Map([...sample, [HEADER, text]]);

describe('broken input: the engine', () => {
  test('flaws: ERROR and MISSING nodes, a conflict as one flaw at its <<<<<<< line, and no flaw for valid C++ tree-sitter misreads', () => {
    const src = (t: string) => parseSource('x.hpp', t);
    assert.deepEqual(flawsOf(src('void f(int* p) { delete[] p; delete[] *(&p); }\n')).map((f) => f.kind), ['parse-error'], 'a real error is found');
    assert.deepEqual(flawsOf(src('struct s { void f(char** it) { delete[] *it; } };\n')), [], '`delete[] *it` is valid C++');
    const conflict = flawsOf(src('int a;\n<<<<<<< ours\nint b = 1;\n=======\nint b = 2;\n>>>>>>> theirs\nint c;\n'));
    assert.deepEqual(conflict.map((f) => [f.kind, f.line]), [['conflict-marker', 2]], 'the syntax errors the markers cause are the conflict, reported once');
    assert.deepEqual(flawsOf(src('int a;\n<<<<<<< ours\nint b;\n')).map((f) => [f.kind, f.line]), [['conflict-marker', 2]], 'a conflict with no end');
    assert.deepEqual(flawsOf(src('/* a banner\n=======\n*/\nint a;\n')), [], 'a lone ======= is no conflict');
    const cut = flawsOf(src('namespace n {\nstruct s {\n  void f() {\n'));
    assert.ok(cut.length && cut.every((f) => f.truncated), 'a file cut short is flawed wherever it ends');
  });

  test('a syntax error inside async_read: a parse-error problem at its own line, no verdict on the group, nothing changed', async () => {
    const broken = insert(headerText, 'void async_read(', '        int x = ;', '{');
    const p = await plan(withHeader(broken.text), mods);
    assert.deepEqual(p.problems.map((x) => [x.file, x.line, x.kind]), [[HEADER, broken.line, 'parse-error']], JSON.stringify(p.problems));
    assert.deepEqual(p.steps.filter((s) => s.group === LTGO), [], 'no fix judges the broken folder');
    assert.equal(p.tree.get(HEADER), broken.text, 'nothing written');
  });

  test('an error near the end of the class is reported at its line, never as drift elsewhere', async () => {
    // the last method of the class (the one before the closing brace), as in upstream's line-604 case
    const lines = headerText.split('\n');
    const close = lines.findIndex((l) => l.startsWith('};'));
    const text = [...lines.slice(0, close - 1), '    void late() { return 1 +; }', ...lines.slice(close - 1)].join('\n');
    const p = await plan(withHeader(text), mods);
    assert.deepEqual(p.problems.map((x) => [x.line, x.kind]), [[close, 'parse-error']], JSON.stringify(p.problems));
    assert.ok(!p.steps.some((s) => s.outcome.status === 'drift'), 'no drift');
  });

  test('conflict markers in the class: a conflict-marker problem at <<<<<<<; every command writes nothing (below)', async () => {
    const broken = insert(headerText, 'void async_read(', '<<<<<<< ours\n        int y = 1;\n=======\n        int y = 2;\n>>>>>>> theirs', '{');
    const p = await plan(withHeader(broken.text), mods);
    assert.deepEqual(p.problems.map((x) => [x.line, x.kind]), [[broken.line, 'conflict-marker']], JSON.stringify(p.problems));
    assert.ok(!p.steps.some((s) => s.outcome.status === 'apply'), 'no fix says apply');
  });

  test('a syntax error outside every region the fixes read or write: a warning naming it; the verdicts stand', async () => {
    const clean = await plan(sample, mods);
    const broken = insert(headerText, 'namespace libtorrent {', 'inline int unused_helper() { int z = ; return z; }');
    const p = await plan(withHeader(broken.text), mods);
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.warnings.map((w) => [w.file, w.line, w.kind]), [[HEADER, broken.line, 'parse-error']]);
    assert.deepEqual(p.steps.map((s) => [s.codemod.meta.id, s.outcome.status]), clean.steps.map((s) => [s.codemod.meta.id, s.outcome.status]));
  });

  test('a conflict marker anywhere in a target file is an error, even outside every region (no file in the middle of a merge is fixed)', async () => {
    const broken = insert(headerText, '#include', '<<<<<<< ours\n#include <vector>\n=======\n#include <list>\n>>>>>>> theirs');
    const p = await plan(withHeader(broken.text), mods);
    assert.deepEqual(p.problems.map((x) => [x.file, x.line, x.kind]), [[HEADER, broken.line, 'conflict-marker']], JSON.stringify(p.problems));
    assert.deepEqual(p.steps.filter((st) => st.group === LTGO), []);
  });

  test('libtorrent\'s own headers beside a checkout: no target among them, no problem, no warning', { skip: existsSync('/usr/include/libtorrent') ? false : 'no /usr/include/libtorrent' }, async () => {
    const d = join(tmp.root, 'vendored');
    cpSync('/usr/include/libtorrent', join(d, 'include', 'libtorrent'), { recursive: true });
    cpSync(SAMPLE, join(d, 'elementum'), { recursive: true });
    const p = await plan(folderSource(d), mods);
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.warnings, []);
    assert.equal(p.found, 1);
    assert.ok(p.steps.every((s) => s.group === `elementum/${LTGO}` && s.outcome.status === 'apply'));
  });

  test('a source file (.cpp) with its own disk I/O class (as libtorrent\'s examples have) is no target; the same class in a header is', async () => {
    const own = '#include <libtorrent/disk_interface.hpp>\nnamespace lt = libtorrent;\nstruct my_disk_io final : lt::disk_interface, lt::buffer_allocator_interface\n{\n    void free_disk_buffer(char*) override {}\n};\n';
    const p = await plan(new Map([...sample, ['examples/my_storage.cpp', own]]), mods);
    assert.deepEqual(p.problems, []);
    assert.deepEqual([...new Set(p.steps.map((st) => st.group))], [LTGO]);
    const asHeader = await plan(new Map([...sample, ['examples/my_storage.hpp', own]]), mods);
    assert.deepEqual([...new Set(asHeader.steps.map((st) => st.group))], ['examples', LTGO]);
  });

  test('bad MEMFIX_* numbers are refused; unset or empty ones are fine', () => {
    assert.throws(() => checkEnvironment({ MEMFIX_MAX_FILE_MIB: 'abc' }), /MEMFIX_MAX_FILE_MIB must be/);
    assert.throws(() => checkEnvironment({ MEMFIX_MAX_FILE_MIB: '0' }), /MEMFIX_MAX_FILE_MIB must be/);
    assert.throws(() => checkEnvironment({ MEMFIX_LOCK_WAIT: 'x' }), /MEMFIX_LOCK_WAIT must be/);
    assert.throws(() => checkEnvironment({ MEMFIX_LOCK_WAIT: '-1' }), /MEMFIX_LOCK_WAIT must be/);
    checkEnvironment({ MEMFIX_LOCK_WAIT: '0', MEMFIX_MAX_FILE_MIB: '0.5' });
    checkEnvironment({ MEMFIX_LOCK_WAIT: '' });
  });
});

describe('broken input: every command', { concurrency: 4, timeout: 300_000 }, () => {
  const damages: [string, (d: string) => void, RegExp][] = [
    ['a syntax error in async_read', (d) => writeFileSync(join(d, HEADER), insert(headerText, 'void async_read(', '        int x = ;', '{').text), /memory_disk_io\.hpp:\d+: syntax error/],
    ['conflict markers in the class', (d) => writeFileSync(join(d, HEADER), insert(headerText, 'void async_read(', '<<<<<<< a\nint y;\n=======\nint z;\n>>>>>>> b', '{').text), /memory_disk_io\.hpp:\d+: git conflict marker/],
    ['an empty header', (d) => writeFileSync(join(d, HEADER), ''), /memory_disk_io\.hpp: .*is empty/],
    ['random bytes', (d) => writeFileSync(join(d, HEADER), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 256))), /memory_disk_io\.hpp: .*(NUL|not UTF-8)/],
    ['a directory where the header should be', (d) => { rmSync(join(d, HEADER)); mkdirSync(join(d, HEADER)); }, /memory_disk_io\.hpp: .*is a directory/],
    ['a header cut short', (d) => writeFileSync(join(d, HEADER), headerText.slice(0, Math.floor(headerText.length * 0.6))), /memory_disk_io\.hpp:\d+: .*(unfinished code|end of the file)/],
  ];
  const commands: [string, (d: string, out: string) => string[]][] = [
    ['scan', (d) => ['scan', d]],
    ['apply --dry-run', (d) => ['apply', d, '--dry-run']],
    ['apply --yes', (d) => ['apply', d, '--yes']],
    ['series', (d, out) => ['series', d, '-o', out]],
    ['check', (d) => ['check', d, '--patches', patches]],
  ];
  const patches = join(tmp.root, 'patches');
  before(async () => {
    const r = await memfix(['series', SAMPLE, '-o', patches]);
    assert.equal(r.code, 0, show(r));
  });
  for (const [what, damage, want] of damages) {
    test(`${what}: exit 2 for every command, the file named, nothing written`, async () => {
      const d = copy(SAMPLE);
      damage(d);
      const before = snapshot(d);
      for (const [name, args] of commands) {
        const out = join(tmp.root, `out${++n}`);
        const r = await memfix(args(d, out));
        assert.equal(r.code, 2, `${name}: ${show(r)}`);
        assert.match(r.stderr.split('\n')[0]!, want, `${name}: ${show(r)}`);
        assert.doesNotMatch(r.stderr, /^\s+at \S|internal error/m, `${name}: ${show(r)}`);
        assertSameTree(snapshot(d), before, `${name} on ${what}`);
        assert.ok(!existsSync(out), `${name}: no series folder`);
        // no fix is shown (or asked about) for a tree memfix refuses
        if (name.startsWith('apply')) assert.doesNotMatch(r.stdout, /^@@|would apply|→ applied/m, `${name}: ${show(r)}`);
      }
    });
  }

  test('an unreadable header: exit 2 for every command, "cannot read", nothing written', async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    chmodSync(join(d, HEADER), 0o000);
    // root reads anything: run as nobody then (the temporary folders must let it through)
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chmodSync(tmp.root, 0o711);
    const argv = asRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN]] as const : [process.execPath, [BIN]] as const;
    if (asRoot && spawnSync('setpriv', ['--version']).status !== 0) return;
    for (const [name, args] of commands) {
      const r = await run(argv[0], [...argv[1], ...args(d, join(tmp.root, `out${++n}`))], { env: baseEnv() });
      assert.equal(r.code, 2, `${name}: ${show(r)}`);
      assert.match(r.stderr, /^memfix: .*permission denied \(EACCES\)/m, `${name}: ${show(r)}`);
      assert.doesNotMatch(r.stderr, /^\s+at \S|internal error/m, `${name}: ${show(r)}`);
    }
    chmodSync(join(d, HEADER), 0o644);
    assertSameTree(snapshot(d), before, 'unreadable header');
  });

  test('--format json, sarif, github: broken input is a problem of its own kind (not drift), a syntax error elsewhere a warning; all valid', async () => {
    const conflict = insert(headerText, 'void async_read(', '<<<<<<< a\nint y;\n=======\nint z;\n>>>>>>> b', '{');
    const d = copy(SAMPLE);
    writeFileSync(join(d, HEADER), conflict.text);
    const sarifFile = join(tmp.root, `broken${++n}.sarif`);
    const r = await memfix(['scan', d, '--format', 'json', '--format', `sarif:${sarifFile}`]);
    assert.equal(r.code, 2, show(r));
    assert.ok(validateReport(JSON.parse(r.stdout)), JSON.stringify(validateReport.errors));
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.problems.map((p: { file: string; line: number; kind: string }) => [p.file, p.line, p.kind]), [[HEADER, conflict.line, 'conflict-marker']]);
    assert.ok(!report.fixes.some((f: { status: string }) => f.status === 'drift' || f.status === 'apply'), r.stdout);
    assert.ok(validateSarif(JSON.parse(readFileSync(sarifFile, 'utf8'))), JSON.stringify(validateSarif.errors));
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    const results = sarif.runs[0].results as { ruleId: string; level: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[];
    assert.deepEqual(results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.region.startLine]), [['memfix/conflict-marker', 'error', conflict.line]]);

    const outside = insert(headerText, 'namespace libtorrent {', 'inline int unused_helper() { int z = ; return z; }');
    const w = copy(SAMPLE);
    writeFileSync(join(w, HEADER), outside.text);
    const githubFile = join(tmp.root, `broken${++n}.github`);
    const r2 = await memfix(['scan', w, '--format', 'json', '--format', `github:${githubFile}`]);
    assert.equal(r2.code, 1, show(r2));
    assert.equal(r2.stderr, `memfix: ${join(w, HEADER)}:${outside.line}: warning: syntax error: tree-sitter cannot parse this line, outside the code the fixes read or write; the fixes are judged without it\n`);
    assert.ok(validateReport(JSON.parse(r2.stdout)), JSON.stringify(validateReport.errors));
    const report2 = JSON.parse(r2.stdout);
    assert.deepEqual(report2.problems, []);
    assert.deepEqual(report2.warnings.map((p: { line: number; kind: string }) => [p.line, p.kind]), [[outside.line, 'parse-error']]);
    assert.match(readFileSync(githubFile, 'utf8'), new RegExp(`^::warning file=${HEADER.replace(/[./]/g, '\\$&')},line=${outside.line},title=memfix scan%3A memfix/parse-error::syntax error`, 'm'));
  });

  test('verify refuses a broken header before building (its JSON report says why)', async () => {
    const d = copy(SAMPLE);
    damages[0]![1](d);
    const r = await memfix(['verify', d, '--format', 'json']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /memory_disk_io\.hpp:\d+: syntax error/, show(r));
    assert.doesNotMatch(r.stderr, /cannot build/, show(r));
    assert.ok(validateReport(JSON.parse(r.stdout)), JSON.stringify(validateReport.errors));
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.problems.map((p: { kind?: string }) => p.kind), ['parse-error']);
    assert.deepEqual(report.columns, [], 'nothing built');
  });

  test('a missing tree: exit 2 for every command, one line, no folder created', async () => {
    const missing = join(tmp.root, 'missing', 'a', 'b');
    for (const args of [['scan', missing], ['apply', missing, '--yes'], ['apply', missing, '--dry-run'], ['series', missing, '-o', join(tmp.root, 'missing-out')], ['check', missing, '--patches', SAMPLE], ['verify', missing]]) {
      const r = await memfix(args);
      assert.equal(r.code, 2, show(r));
      assert.match(assertOneLineError(r, args.join(' ')), /missing\/a\/b: no such directory$/);
      assert.ok(!existsSync(join(tmp.root, 'missing')) && !existsSync(join(tmp.root, 'missing-out')), `${args[0]} created a folder`);
    }
  });

  test('the system\'s whole /usr/include beside an upstream-shaped checkout: exit 1, no error', { skip: existsSync('/usr/include/libtorrent') ? false : 'no /usr/include/libtorrent' }, async () => {
    const d = join(tmp.root, 'system');
    mkdirSync(d);
    // hard links: the 22,000 files without copying them (else libtorrent's headers alone)
    if (spawnSync('cp', ['-rl', '/usr/include', join(d, 'include')]).status !== 0) {
      rmSync(join(d, 'include'), { recursive: true, force: true });
      cpSync('/usr/include/libtorrent', join(d, 'include', 'libtorrent'), { recursive: true });
    }
    cpSync(SAMPLE, join(d, 'elementum'), { recursive: true });
    const r = await memfix(['scan', d]);
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stderr, '', show(r));
    assert.match(r.stdout, /^elementum\/upgrade_2\.0\.x\/libtorrent-go:$/m, show(r));
  });

  test('a failing stdout (/dev/full): one line, exit 2, no stack trace', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async () => {
    const d = copy(SAMPLE);
    for (const cmd of ['list', `apply "${d}" --dry-run`, `series "${d}" -o "${join(tmp.root, 'full-out')}"`]) {
      const r = await run('bash', ['-c', `node "$BIN" ${cmd} >/dev/full`], { env: baseEnv({ BIN }) });
      assert.equal(r.code, 2, `${cmd}: ${show(r)}`);
      assert.match(assertOneLineError(r, cmd), /cannot write the output: no space left on device \(ENOSPC\)/);
    }
  });

  test('bad environment values, an unknown command, a missing option: one memfix: line, exit 2', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['list'], { MEMFIX_MAX_FILE_MIB: 'abc' }, /MEMFIX_MAX_FILE_MIB must be a number/],
      [['scan', SAMPLE], { MEMFIX_LOCK_WAIT: 'x' }, /MEMFIX_LOCK_WAIT must be a number/],
      [['lst'], {}, /^memfix: unknown command 'lst'/],
      [['series', SAMPLE], {}, /^memfix: required option '-o, --output <out>' not specified/],
    ];
    for (const [args, env, want] of cases) {
      const r = await memfix(args, { env });
      assert.equal(r.code, 2, show(r));
      assert.match(assertOneLineError(r, args.join(' ')), want);
    }
  });

  const canMountRo = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
  test('apply on a read-only file system: one line at once (EROFS), not a wait', { skip: canMountRo ? false : 'needs root and unshare for a read-only bind mount' }, async () => {
    const d = copy(SAMPLE);
    const ro = join(tmp.root, 'ro');
    mkdirSync(ro);
    const started = Date.now();
    const r = await run('unshare', ['-m', 'sh', '-c', 'mount --bind "$D" "$RO" && mount -o remount,ro,bind "$RO" && exec node "$BIN" apply "$RO" --yes'], { env: baseEnv({ D: d, RO: ro, BIN }) });
    if (/mount: /.test(r.stderr)) return; // no mounts in this sandbox
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'apply on a read-only tree'), /\.memfix: cannot create memfix's state folder: read-only file system \(EROFS\)$/);
    assert.ok(Date.now() - started < 10_000, 'at once');
  });
});
