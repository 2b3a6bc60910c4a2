/**
 * Machine-readable output and the CLI's contract with CI: SARIF 2.1.0 valid against the official
 * schema (test/data), GitHub workflow commands at file:line, JUnit XML that parses with a test
 * case per patch or scenario, JSON valid against docs/report.schema.json; exit codes, --version,
 * quiet closed pipes, one-line I/O errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { XMLParser } from 'fast-xml-parser';
import {
  BIN, HEADER, IDS, REPO, SAMPLE, assertOneLineError, baseEnv, copyTree, gitInit, memfix, run, show, tempRoot,
} from './e2e-helpers.ts';
import { verifyReport } from '../src/commands/verify.ts';
import { renderJunit } from '../src/render/junit.ts';
import { renderGithub } from '../src/render/github.ts';
import { renderText } from '../src/render/text.ts';
import { formatTable } from '../src/render/table.ts';
import type { TreeVerdict } from '../src/verify/run.ts';

const tmp = tempRoot('memfix-formats-');
after(() => tmp.cleanup());
let n = 0;
const copy = (from: string) => copyTree(from, join(tmp.root, `t${++n}`));
const PATCHES = IDS.map((id, i) => `${String(i + 1).padStart(4, '0')}-${id}.patch`);

// CommonJS packages: their classes are the modules' `default`
const require = createRequire(import.meta.url);
const Ajv = require('ajv').default as typeof import('ajv').default;
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;

const sarifSchema = JSON.parse(readFileSync(join(REPO, 'test/data/sarif-schema-2.1.0.json'), 'utf8'));
const draft04 = new AjvDraft04({ allErrors: true, strict: false });
addFormats(draft04);
const validateSarif = draft04.compile(sarifSchema);
const ajv = new Ajv({ allErrors: true, strict: true });
const validateReport = ajv.compile(JSON.parse(readFileSync(join(REPO, 'docs/report.schema.json'), 'utf8')));
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) });

interface Sarif { runs: { results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[]; tool: { driver: { rules: { id: string; fullDescription: { text: string }; help: { text: string } }[] } } }[] }

function assertSarif(text: string, what: string): Sarif {
  const log = JSON.parse(text) as unknown;
  assert.ok(validateSarif(log), `${what}: not valid SARIF 2.1.0\n${JSON.stringify(validateSarif.errors, null, 2)}`);
  return log as Sarif;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function assertReport(text: string, what: string): any {
  const r = JSON.parse(text) as unknown;
  assert.ok(validateReport(r), `${what}: does not match docs/report.schema.json\n${JSON.stringify(validateReport.errors, null, 2)}`);
  return r;
}

/** The line `line` (1-based) of a file under root. */
const lineAt = (root: string, file: string, line: number) => readFileSync(join(root, file), 'utf8').split('\n')[line - 1];

// A git repository holding the sample below a subfolder, so that paths from the top differ from paths from DIR.
let R = '';
let D = '';
let P = '';
before(async () => {
  R = join(tmp.root, 'repo');
  copyTree(SAMPLE, join(R, 'vendor'));
  await gitInit(R);
  D = join(R, 'vendor');
  P = join(tmp.root, 'patches');
  const s = await memfix(['series', D, '-o', P, '--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z']);
  assert.equal(s.code, 0, show(s));
});

describe('formats', { concurrency: 3, timeout: 300_000 }, () => {
  test('scan --format sarif: valid SARIF 2.1.0, one rule per fix with its analysis text, results at file:line from the top', async () => {
    const r = await memfix(['scan', D, '--format', 'sarif']);
    assert.equal(r.code, 1, show(r));
    const log = assertSarif(r.stdout, 'scan sarif');
    const run0 = log.runs[0]!;
    const meta = (id: string) => JSON.parse(readFileSync(join(REPO, 'codemods', id, 'meta.json'), 'utf8'));
    for (const id of IDS) {
      const rule = run0.tool.driver.rules.find((x) => x.id === id);
      assert.ok(rule, `rule ${id}`);
      assert.equal(rule.fullDescription.text, meta(id).why);
      const fix = meta(id).analysis.fix as number | null;
      assert.match(rule.help.text, fix === null ? /\n\nBeyond the memory-safety analysis: / : new RegExp(`Memory-safety analysis fix ${fix}\\.`), id);
    }
    assert.deepEqual(run0.results.map((x) => x.ruleId).sort(), [...IDS].sort(), 'one result per needed fix');
    for (const res of run0.results) {
      const loc = res.locations[0]!.physicalLocation;
      assert.match(loc.artifactLocation.uri, /^vendor\/upgrade_2\.0\.x\/libtorrent-go\//, 'paths from the repository top');
      assert.ok(lineAt(R, loc.artifactLocation.uri, loc.region.startLine) !== undefined, `${loc.artifactLocation.uri}:${loc.region.startLine} exists`);
      assert.equal(res.level, 'error');
    }
  });

  test('check --format sarif on a tree a patch no longer fits: an error at the file and line of the failing hunk', async () => {
    const d = join(copy(R), 'vendor'); // the repository, .git included: the patches name files from its top
    const text = readFileSync(join(d, HEADER), 'utf8');
    const at = text.indexOf('storage_error err;', text.indexOf('void async_read('));
    writeFileSync(join(d, HEADER), text.slice(0, at) + 'storage_error err; // read status' + text.slice(at + 'storage_error err;'.length));
    const r = await memfix(['check', d, '--patches', P, '--format', 'sarif', '--format', `junit:${join(d, 'check.xml')}`, '--format', `json:${join(d, 'check.json')}`]);
    assert.equal(r.code, 1, show(r));
    const log = assertSarif(r.stdout, 'check sarif');
    const failing = log.runs[0]!.results.find((x) => x.ruleId === 'copy-on-read' && x.level === 'error');
    assert.ok(failing, JSON.stringify(log.runs[0]!.results, null, 2));
    assert.match(failing.message.text, new RegExp(`${PATCHES[IDS.indexOf('copy-on-read')]!.replace('.', '\\.')} does not apply`));
    const loc = failing.locations[0]!.physicalLocation;
    assert.equal(loc.artifactLocation.uri, `vendor/${HEADER}`);
    const lines = readFileSync(join(d, HEADER), 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes('void async_read(')) + 1;
    const end = lines.findIndex((l, i) => i >= start && /void async_(write|hash)/.test(l)) + 1;
    assert.ok(loc.region.startLine >= start && loc.region.startLine < end, `the hunk was meant for async_read (lines ${start}-${end}), not line ${loc.region.startLine}`);

    const report = assertReport(readFileSync(join(d, 'check.json'), 'utf8'), 'check json');
    const cor = IDS.indexOf('copy-on-read');
    assert.deepEqual(report.results.slice(0, cor + 1).map((p: { status: string }) => p.status), [...Array(cor).fill('applies'), 'fails']);
    assert.equal(report.results[cor].file, `vendor/${HEADER}`, 'the failing file, from the repository top');
    const junit = xml.parse(readFileSync(join(d, 'check.xml'), 'utf8'));
    const cases = junit.testsuites.testsuite[0].testcase;
    assert.deepEqual(cases.map((c: { name: string }) => c.name), PATCHES, 'a test case per patch');
    assert.ok(cases[cor].failure, 'the failing patch is a failure');
  });

  test('check --format github and junit on a clean tree: no annotations, every patch a passing test case', async () => {
    const r = await memfix(['check', D, '--patches', P, '--format', 'github', '--format', `junit:${join(tmp.root, 'clean.xml')}`]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, '', 'nothing to annotate');
    const junit = xml.parse(readFileSync(join(tmp.root, 'clean.xml'), 'utf8'));
    const [patches, codemods] = junit.testsuites.testsuite;
    assert.deepEqual(patches.testcase.map((c: { name: string }) => c.name), PATCHES);
    assert.equal(patches.failures, '0');
    assert.equal(codemods.testcase.length, IDS.length);
  });

  test('scan --format github: ::error lines naming file and line from the top', async () => {
    const r = await memfix(['scan', D, '--format', 'github']);
    assert.equal(r.code, 1, show(r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, IDS.length, r.stdout);
    for (const l of lines) {
      const m = /^::error file=([^,]+),line=(\d+),title=memfix scan%3A ([a-z0-9-]+)::(.+)$/.exec(l);
      assert.ok(m, l);
      assert.ok(lineAt(R, m[1]!, Number(m[2])) !== undefined, `${m[1]}:${m[2]} exists`);
      assert.ok(IDS.includes(m[3]!), l);
    }
  });

  test('scan --format json and junit: valid against the documented schema; a test case per fix', async () => {
    const r = await memfix(['scan', D, '--format', 'json', '--format', `junit:${join(tmp.root, 'scan.xml')}`]);
    assert.equal(r.code, 1, show(r));
    const report = assertReport(r.stdout, 'scan json');
    assert.equal(report.format, 1);
    assert.equal(report.prefix, 'vendor/');
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.fixes.map((f: { fix: string; status: string }) => `${f.fix} ${f.status}`), IDS.map((id) => `${id} apply`));
    const junit = xml.parse(readFileSync(join(tmp.root, 'scan.xml'), 'utf8'));
    assert.equal(junit.testsuites.testsuite[0].testcase.length, IDS.length);
  });

  test('a format a command does not give, or two on stdout: exit 2, one line', async () => {
    for (const args of [['verify', D, '--format', 'sarif'], ['scan', D, '--format', 'json', '--format', 'github'], ['scan', D, '--format', 'yaml']]) {
      const r = await memfix(args);
      assert.equal(r.code, 2, show(r));
      assert.match(assertOneLineError(r, args.join(' ')), /--format/);
    }
  });

  test('verify report: JUnit has a test case per scenario (the last column is the verdict), GitHub an error per failure, the table fits 100 columns', () => {
    const scenarios = [
      { name: 'read-clear-piece', fix: 'copy-on-read', sanitizers: ['asan' as const], description: 'a read survives async_clear_piece' },
      { name: 'stale-hash', fix: 'storage-generation', sanitizers: ['asan' as const], description: 'a stale hash reports an error' },
      { name: 'stress (tsan)', fix: 'all', sanitizers: ['tsan' as const], description: 'everything at once' },
    ];
    const before: TreeVerdict = { scenarios, results: [
      { name: 'read-clear-piece', pass: false, summary: 'AddressSanitizer: heap-use-after-free' },
      { name: 'stale-hash', pass: false, summary: 'stale async_hash completion reported a hash without error after its torrent was removed (and 1 more)' },
      { name: 'stress (tsan)', pass: false, summary: 'ThreadSanitizer: data race' },
    ] };
    const afterV: TreeVerdict = { scenarios, results: [
      { name: 'read-clear-piece', pass: true, summary: 'pass' },
      { name: 'stale-hash', pass: false, summary: 'FAIL <hash> & "quotes"' },
      { name: 'stress (tsan)', pass: true, summary: 'pass' },
    ] };
    const r = verifyReport('tree', [{ title: 'before', verdict: before }, { title: 'after', verdict: afterV }]);
    assert.equal(r.exitCode, 1);
    assert.ok(validateReport(JSON.parse(JSON.stringify(r))), JSON.stringify(validateReport.errors));
    const junit = xml.parse(renderJunit(r));
    const cases = junit.testsuites.testsuite[0].testcase;
    assert.deepEqual(cases.map((c: { name: string }) => c.name), scenarios.map((s) => s.name));
    assert.equal(cases.filter((c: { failure?: unknown }) => c.failure).length, 1, 'only the after column decides');
    assert.equal(cases[1].failure.message, 'FAIL <hash> & "quotes"', 'escaped and parsed back');
    assert.deepEqual(renderGithub(r).trim().split('\n'), ['::error title=memfix verify%3A storage-generation::scenario stale-hash (proves storage-generation) fails: FAIL <hash> & "quotes"']);
    const text = renderText(r, true).stdout;
    for (const line of text.split('\n')) assert.ok(line.replace(/\x1b\[[0-9;]*m/g, '').length <= 100, `over 100 columns: ${line}`);
    assert.doesNotMatch(text.split('\n')[0]!, /\x1b/, 'the header carries no colour codes');
    assert.match(text, /^2 of 3 scenarios pass after the fixes$/m);
  });

  test('formatTable wraps long cells to fit the width it is given', () => {
    const t = formatTable({ header: ['a', 'b', 'c'], rows: [['x'.repeat(30), 'y '.repeat(60), 'pass']] }, { width: 60 });
    for (const l of t.split('\n')) assert.ok(l.length <= 60, l);
    assert.equal(t.replace(/\s+/g, ' ').split('y').length - 1, 60, 'no text lost');
  });
});

describe('the CLI contract', { concurrency: 3, timeout: 300_000 }, () => {
  test('--version prints the package version', async () => {
    const r = await memfix(['--version']);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });

  for (const [what, damage] of [
    ['one invalid byte', (b: Buffer) => { b[200] = 0xff; return b; }],
    ['truncated', (b: Buffer) => b.subarray(0, b.length / 2)],
  ] as const) {
    test(`a damaged header (${what}): exit 2, memfix lines naming the place and the reason`, async () => {
      const d = copy(SAMPLE);
      writeFileSync(join(d, HEADER), damage(readFileSync(join(d, HEADER))));
      const r = await memfix(['scan', d]);
      assert.equal(r.code, 2, show(r));
      const lines = r.stderr.trim().split('\n');
      assert.ok(lines.length >= 1 && lines.every((l) => l.startsWith(`memfix: ${d}/upgrade_2.0.x/libtorrent-go`)), show(r));
      assert.match(r.stderr, /memory_disk_io/, show(r));
    });
  }

  for (const [what, cmd] of [
    ['check | head -1', 'check "$D" --patches "$P"'],
    ['apply --dry-run | head', 'apply "$D" --dry-run'],
    ['scan --format sarif | true', 'scan "$D" --format sarif'],
  ] as const) {
    test(`output to a closed pipe ends quietly: ${what}`, async () => {
      const reader = what.includes('| true') ? 'true' : what.includes('head -1') ? 'head -1' : 'head';
      const errFile = join(tmp.root, `err-${what.replace(/\W+/g, '-')}`);
      const r = await run('bash', ['-c', `set -o pipefail; node "$BIN" ${cmd} 2>"$ERR" | ${reader} >/dev/null; echo "\${PIPESTATUS[0]}"`], {
        env: baseEnv({ BIN, D, P, ERR: errFile }),
      });
      const err = readFileSync(errFile, 'utf8');
      assert.equal(err, '', `nothing on stderr\n${err}`);
      assert.match(r.stdout.trim(), /^[01]$/, `memfix exits with its own code, not a crash\n${show(r)}`);
    });
  }

  test('I/O errors are one `memfix: file: what` line, never an internal error', async () => {
    const file = join(tmp.root, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['series', D, '-o', join(file, 'out')], /a-file\/out: cannot create the folder: not a directory \(ENOTDIR\)$/],
      [['scan', D, '--format', `sarif:${join(tmp.root, 'no-such-dir', 'x.sarif')}`], /no-such-dir\/x\.sarif: cannot write: no such file or directory \(ENOENT\)$/],
      [['scan', file], /a-file: not a directory$/],
    ];
    for (const [args, want] of cases) {
      const r = await memfix(args);
      assert.equal(r.code, 2, show(r));
      assert.match(assertOneLineError(r, args.join(' ')), want);
    }
  });

  test('EACCES on a temporary file (injected): exit 2 naming the file, nothing changed', { skip: spawnSync('strace', ['-V']).status === 0 ? false : 'no strace' }, async () => {
    const d = copy(SAMPLE);
    const tmpFile = join(d, 'upgrade_2.0.x/libtorrent-go/.memory_disk_io.hpp.memfix.tmp');
    const r = await run('strace', ['-f', '-qq', '-o', '/dev/null', '-P', tmpFile, '-e', 'trace=open,openat', '-e', 'inject=open,openat:error=EACCES', process.execPath, BIN, 'apply', d, '--yes']);
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'EACCES'), /memory_disk_io\.hpp: cannot write: permission denied \(EACCES\)$/);
  });

  const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
  const hasScript = (spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '').includes('util-linux');
  const noVerify = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing' : !hasScript ? 'util-linux script(1) is not installed' : false;

  test('verify on a terminal: progress on stderr (the build, then each scenario as it finishes), a table within COLUMNS', { skip: noVerify, timeout: 900_000 }, async () => {
    // stderr is the pseudo-terminal, stdout a file (not a terminal: no colour)
    const table = join(tmp.root, 'verify-table.txt');
    const r = await run('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} verify ${JSON.stringify(SAMPLE)} >${JSON.stringify(table)}`, '/dev/null'], { env: baseEnv({ TERM: 'xterm', COLUMNS: '120' }), timeoutMs: 900_000 });
    assert.equal(r.code, 1, `the unpatched sample fails scenarios\n${show(r)}`);
    const stdout = readFileSync(table, 'utf8');
    assert.doesNotMatch(stdout, /\x1b/, 'no colour codes when stdout is not a terminal');
    // COLUMNS=120: the table fits it (without COLUMNS, a file gets 100)
    for (const line of stdout.split('\n')) assert.ok(line.length <= 120, `over 120 columns: ${line}`);
    assert.match(stdout, /^scenario\s+proves\s+result$/m, stdout);
    const progress = r.stdout.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '').trim().split('\n');
    // the compile step with the tree's flags first, then the sanitizer build
    assert.match(progress[0]!, /^\[tree\] compiling with g\+\+ and clang\+\+ \(Makefile's flags, ABI 3\) \.\.\.$/, progress.join('\n'));
    assert.ok(progress.some((l) => /^\[tree\] building with ASan\+UBSan \.\.\.$/.test(l)), progress.join('\n'));
    const scenarioLines = progress.slice(1).filter((l) => /^\[tree\] (pass|FAIL) /.test(l));
    const names = stdout.split('\n').filter((l) => /^[a-z][a-z0-9-]+\s{2,}\S/.test(l) && !l.startsWith('scenario')).map((l) => l.split(/\s+/)[0]);
    assert.ok(names.length >= 13, stdout);
    assert.deepEqual(scenarioLines.map((l) => l.split(' ')[2]!.replace(/:$/, '')).sort(), [...names].sort(), 'a progress line per scenario');
    for (const l of progress) assert.ok(l.length <= 120, `progress lines fit the terminal: ${l}`);
  });
});

