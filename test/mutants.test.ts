/**
 * A proof that can fail: `memfix verify --mutants` derives, from the fixed sample, mutants that
 * each undo a fix in one place (every codemod's mutants.ts), and every one must be killed by a
 * scenario. Also: what the command says and exits with when one survives, that a mutant that
 * does not build counts as a survivor (it proves nothing), and that a build the machine did not
 * finish (a compiler killed) is run again, then fails the run instead of naming a survivor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree } from '../src/workspace.ts';
import { deriveMutants, killMutant } from '../src/verify/mutants.ts';
import { mutantsVerdict, verifyReport } from '../src/commands/verify.ts';
import { mutantsText } from '../src/render/text.ts';
import { renderJunit } from '../src/render/junit.ts';
import { renderGithub } from '../src/render/github.ts';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { isUnfinishedBuild, runBuild, type RunResult, type ScenarioResult } from '../src/verify/build.ts';
import { repoRoot } from './scenario-lib.ts';

const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing' : false;
const mods = await loadCodemods();
const withMutants = readdirSync(join(repoRoot, 'codemods')).filter((d) => existsSync(join(repoRoot, 'codemods', d, 'mutants.ts'))).sort();
const sample = readTree(join(repoRoot, 'fixtures/sample'));
const memfix = fileURLToPath(new URL('../bin/memfix.js', import.meta.url));
const Ajv = createRequire(import.meta.url)('ajv').default as typeof import('ajv').default;
const validateReport = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(repoRoot, 'docs/report.schema.json'), 'utf8')));

test('every codemod with a mutants.ts derives mutants from the fixed sample, each a real change with a unique id', async () => {
  const fixed = (await plan(sample, mods)).tree;
  const all = await deriveMutants(fixed, mods);
  for (const id of withMutants) assert.ok(all.some((m) => m.codemod.meta.id === id), `${id}: no mutant`);
  const ids = all.map((m) => `${m.codemod.meta.id}/${m.mutant.id}`);
  assert.equal(new Set(ids).size, ids.length);
  // the ones the proof is known to need: buffers released, the copy, a wrapper's lock, the unregistration, a generation check
  for (const id of ['free-disk-buffer/free-releases-nothing', 'copy-on-read/span-handed-over', 'guarded-global/wrapper-unlocked', 'guarded-global/no-unregistration', 'storage-generation/async-read-unchecked'])
    assert.ok(ids.includes(id), `${id} missing from ${ids.join(', ')}`);
});

test('verify --mutants on the sample: the fixed tree passes, every mutant is killed, exit 0', { skip, timeout: 3_600_000 }, () => {
  const r = spawnSync(process.execPath, [memfix, 'verify', join(repoRoot, 'fixtures/sample'), '--mutants'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 3_500_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const m = /^mutants killed (\d+) of (\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1], m[2], r.stdout);
  assert.ok(Number(m[2]) >= 17, r.stdout);
  assert.doesNotMatch(r.stdout, /SURVIVED/);
  // a mutant's line, its description wrapped at 100 columns, then `by SCENARIO: why`
  for (const id of withMutants) assert.match(r.stdout, new RegExp(`^  killed\\s+${id}/\\S+: .*\\n(?: {12}(?!by ).*\\n)* {12}by \\S+`, 'm'), `${id}: no mutant killed`);
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, `over 100 columns: ${line}`);
});

const result = (name: string, pass: boolean): ScenarioResult => ({ name, pass, summary: pass ? 'pass' : 'FAIL' });
const baseline = { scenarios: [], results: [result('a', true)] };

test('a survivor is named and makes the exit code 1; a fixed tree that fails runs no mutant; every format says so', () => {
  const killed = { codemod: 'x', id: 'm1', description: 'd', killed: true, by: 'a', summary: 's' };
  const survived = { codemod: 'x', id: 'm2', description: 'd', killed: false, summary: 'every scenario passes' };
  const one = mutantsVerdict({ baseline, results: [killed] });
  assert.equal(one.exitCode, 0);
  assert.deepEqual(mutantsText(one.mutants).slice(-1), ['mutants killed 1 of 1']);
  const two = mutantsVerdict({ baseline, results: [killed, survived] });
  assert.equal(two.exitCode, 1);
  assert.deepEqual(mutantsText(two.mutants).slice(-2), ['mutants killed 1 of 2', 'survivors: x/m2']);
  assert.match(mutantsText(two.mutants).join('\n'), /^  SURVIVED  x\/m2: d\n\s+every scenario passes$/m);
  assert.equal(mutantsVerdict({ baseline, results: [] }).exitCode, 1);
  assert.match(mutantsText(mutantsVerdict({ baseline, results: [] }).mutants).join('\n'), /nothing proves the proof/);
  const bad = mutantsVerdict({ baseline: { scenarios: [], results: [result('a', false)] }, results: [] });
  assert.equal(bad.exitCode, 1);
  assert.deepEqual(mutantsText(bad.mutants), ['the fixed tree fails a (FAIL): no mutant was run']);
  // the report: json keeps every mutant, junit fails the survivor, github annotates it
  const report = { ...verifyReport('d', [{ title: 'fixed', verdict: baseline }]), mutants: two.mutants, exitCode: two.exitCode };
  assert.ok(validateReport(JSON.parse(JSON.stringify(report))), JSON.stringify(validateReport.errors));
  assert.deepEqual(JSON.parse(JSON.stringify(report)).mutants, { killed: 1, results: [{ fix: 'x', id: 'm1', description: 'd', killed: true, by: 'a', summary: 's' }, { fix: 'x', id: 'm2', description: 'd', killed: false, summary: 'every scenario passes' }] });
  assert.match(renderJunit(report), /<testcase classname="memfix\.verify\.mutants\.x" name="m2">\s*<failure type="survived"/);
  assert.doesNotMatch(renderJunit(report), /name="m1">\s*<failure/);
  assert.match(renderGithub(report), /^::error title=memfix verify%3A x::mutant x\/m2 survived/m);
});

test('a mutant that does not build is not killed: it proves nothing', { skip, timeout: 900_000 }, async () => {
  const fixed = (await plan(sample, mods)).tree;
  const header = 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp';
  const r = await killMutant(new Map(fixed).set(header, fixed.get(header)! + '\n#error memfix: a broken mutant\n'), 'x', { id: 'broken', description: 'd', edits: [] });
  assert.equal(r.killed, false);
  assert.match(r.summary, /^the mutant does not build \(.*a broken mutant/);
});

test('a build killed or silent is run once more; unfinished twice, it fails marked as such; a compile error is not retried', async () => {
  const result = (o: Partial<RunResult>): RunResult => ({ code: 0, signal: null, stdout: '', stderr: '', timedOut: false, ...o });
  const builds = (...rs: RunResult[]) => {
    const calls = { n: 0 };
    return { calls, build: async () => rs[calls.n++]! };
  };
  const killed = result({ code: 137 });
  const boom = result({ code: 1, stderr: 'In file included from x.cpp:1:\nx.hpp:2:3: error: boom\n' });
  const failure = async (b: { build: () => Promise<RunResult> }) => runBuild(b.build).then(() => assert.fail('the build passed'), (e: Error) => e);

  let b = builds(killed, result({}));
  await runBuild(b.build);
  assert.equal(b.calls.n, 2, 'a killed build is run again');

  b = builds(killed, boom);
  let e = await failure(b);
  assert.equal(e.message, 'cannot build: x.hpp:2:3: error: boom');
  assert.equal(isUnfinishedBuild(e), false);
  assert.equal(b.calls.n, 2);

  b = builds(boom, result({}));
  e = await failure(b);
  assert.equal(e.message, 'cannot build: x.hpp:2:3: error: boom');
  assert.equal(b.calls.n, 1, 'a compile error is not retried');

  b = builds(result({ code: null, signal: 'SIGKILL' }), result({ code: null, signal: 'SIGKILL' }));
  e = await failure(b);
  assert.equal(e.message, 'cannot build: the build did not finish (killed by SIGKILL, twice)');
  assert.equal(isUnfinishedBuild(e), true);

  b = builds(result({ code: 1, stderr: 'mktemp: failed to create file via template\n' }), result({ code: 1, stderr: 'mktemp: failed to create file via template\n' }));
  e = await failure(b);
  assert.equal(e.message, 'cannot build: the build did not finish (exit 1: mktemp: failed to create file via template, twice)');
  assert.equal(b.calls.n, 2);

  b = builds(result({ code: null, signal: 'SIGKILL', timedOut: true }), result({}));
  e = await failure(b);
  assert.equal(e.message, 'cannot build: the build did not finish (timed out after 15 minutes)');
  assert.equal(b.calls.n, 1, 'a build that ran out of time is not run again');
  assert.equal(isUnfinishedBuild(e), true);
});

test('a mutant whose compiler is killed at every run fails the run: no survivor is named for it', { skip, timeout: 300_000 }, async () => {
  const fixed = (await plan(sample, mods)).tree;
  const dir = mkdtempSync(join(tmpdir(), 'memfix-killed-cxx-'));
  const cxx = join(dir, 'c++');
  writeFileSync(cxx, '#!/bin/sh\nkill -KILL $$\n');
  chmodSync(cxx, 0o755);
  const saved = process.env.CXX;
  process.env.CXX = cxx;
  try {
    const header = 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp';
    const mutant = { id: 'oom', description: 'd', edits: [] };
    await assert.rejects(killMutant(new Map(fixed).set(header, fixed.get(header)! + '\n// a mutant\n'), 'x', mutant), (err: Error) => {
      assert.match(err.message, /^mutant oom: cannot build: the build did not finish \(.*, twice\)$/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.CXX;
    else process.env.CXX = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
