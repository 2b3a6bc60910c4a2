/**
 * memfix as users get it: `npm pack` gives a tarball that installs with `npm install -g` into a
 * temporary prefix and runs from any directory; and the GitHub workflow shipped in docs/ works:
 * its steps, read from the workflow file itself, run here as they would on GitHub (the apt-get
 * step is checked, not run; `uses:` steps are checked against the files the run steps leave).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { XMLParser } from 'fast-xml-parser';
import { REPO, SAMPLE, IDS, baseEnv, copyTree, gitInit, run, show, tempRoot, type RunResult } from './e2e-helpers.ts';

const tmp = tempRoot('memfix-package-');
after(() => tmp.cleanup());

const require = createRequire(import.meta.url);
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;
const ajv = new AjvDraft04({ strict: false });
addFormats(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(join(REPO, 'test/data/sarif-schema-2.1.0.json'), 'utf8')));

let tarball = '';
let files: string[] = [];
let prefix = '';
let installed = '';
before(async () => {
  assert.ok(existsSync(join(REPO, 'dist/src/cli.cjs')), 'npm test builds dist/ first');
  // --ignore-scripts: dist/ is built already (prepare runs on a plain `npm pack`); rebuilding it here would race the other test files
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.root], { cwd: REPO });
  assert.equal(pack.code, 0, show(pack));
  const info = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp.root, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);
  prefix = join(tmp.root, 'prefix');
  const inst = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: tmp.root, timeoutMs: 600_000 });
  assert.equal(inst.code, 0, show(inst));
  installed = join(prefix, 'bin', 'memfix');
});

const memfixAt = (args: string[], cwd: string): Promise<RunResult> => run(installed, args, { cwd, env: baseEnv() });

describe('package', { concurrency: 1, timeout: 900_000 }, () => {
  test('the tarball holds the build, the data and the docs, and nothing of the tests', () => {
    for (const f of ['bin/memfix.js', 'bin/package.json', 'dist/src/cli.cjs', 'package.json', 'README.md', 'docs/FIXES.md', 'docs/github-workflow.yml', 'harness/build.sh', 'harness/main.cpp', 'harness/harness.hpp', 'templates/commit-message.txt', 'src/roles/header.scm', 'src/queries/member-call.scm']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    for (const f of ['dist/src/cli.cjs', 'dist/src/commands/index.cjs', 'dist/src/commands/list.cjs', 'dist/src/commands/new.cjs']) assert.ok(files.includes(f), `the bundles: ${f} is in the tarball`);
    const bundle = readFileSync(join(REPO, 'dist/src/commands/index.cjs'), 'utf8');
    for (const id of IDS) {
      assert.ok(files.includes(`codemods/${id}/meta.json`), `${id}/meta.json`);
      // built into the engine's bundle, registered by source path (build.mjs)
      assert.ok(bundle.includes(JSON.stringify(`codemods/${id}/transform.ts`)), `${id}'s compiled transform`);
      for (const q of readdirSync(join(REPO, 'codemods', id)).filter((f) => f.endsWith('.scm'))) assert.ok(files.includes(`codemods/${id}/${q}`), `${id}'s ${q}`);
    }
    const unwanted = files.filter((f) => /^(test|fixtures|bench)\//.test(f) || /\/scenarios\//.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts')));
    assert.deepEqual(unwanted, []);
  });

  test('installed with npm install -g into a prefix, it runs from another directory', async () => {
    const elsewhere = tmp.dir('elsewhere');
    const v = await memfixAt(['--version'], elsewhere);
    assert.equal(v.code, 0, show(v));
    assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
    const tree = copyTree(SAMPLE, join(elsewhere, 'tree'));
    const s = await memfixAt(['scan', 'tree'], elsewhere);
    assert.equal(s.code, 1, show(s));
    assert.equal(s.stdout.split('\n').filter((l) => /^\s+apply\s/.test(l)).length, IDS.length, show(s));
    const p = await memfixAt(['series', 'tree', '-o', 'patches', '--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z'], elsewhere);
    assert.equal(p.code, 0, show(p));
    const c = await memfixAt(['check', 'tree', '--patches', 'patches'], elsewhere);
    assert.equal(c.code, 0, show(c));
    const a = await memfixAt(['apply', tree, '--yes'], elsewhere);
    assert.equal(a.code, 0, show(a));
    assert.ok(!files.some((f) => f.includes('.memfix')), 'nothing of a run in the package');
  });

  test('the README: the set-up commands first, install lines that work, links into the project', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const first = /```sh\n([\s\S]*?)```/.exec(readme)![1]!.trim().split('\n');
    assert.match(first[0]!, /^npm ci && npm start\b/);
    assert.match(first[1]!, /apt-get install .* && npm ci && npm test$/);
    assert.doesNotMatch(readme, /npx memfix\b/, 'memfix is not on the registry: `npx memfix` fails outside a checkout');
    assert.doesNotMatch(readme, /\.\.\/shared/, 'a clone has no ../shared');
    for (const [, link] of readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) assert.ok(existsSync(join(REPO, link!)), `README links to ${link}, which exists`);
    for (const f of ['docs/FIXES.md', 'docs/formats.md', 'docs/github-workflow.yml', 'docs/gitlab-ci.yml']) assert.ok(readme.includes(`](${f})`), `README links ${f}`);
    // the five target files, in the README and in the fix contract
    const fixes = readFileSync(join(REPO, 'docs/FIXES.md'), 'utf8').split('## Known upstream shapes')[0]!;
    for (const f of ['memory_disk_io.hpp', 'interfaces/disk_interface.i', 'interfaces/session.i', 'interfaces/session_params.i', 'interfaces/libtorrent.i']) {
      assert.ok(readme.includes(`\`${f}\``), `the README names ${f}`);
      assert.ok(fixes.includes(`\`${f}\``), `docs/FIXES.md's introduction names ${f}`);
    }
    // what Elementum zips with git archive must not carry memfix: the install advice keeps the tarball outside, the patches export-ignored
    assert.match(readme, /^patches\/ export-ignore$/m);
    const install = readme.split('## Install')[1]!.split('\n## ')[0]!;
    assert.match(install, /git archive/);
    assert.match(install, /npm pack --pack-destination ~\//, 'the tarball is made outside the repository');
    assert.match(readme, /npm install -g \.\//, 'install from a tarball');
    assert.match(readme, /npx \/path\/to\/memfix/, 'npx with a path');
  });

  const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
  const skip = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing' : false;

  /** A minimatch-like test of a path against a GitHub/GitLab path glob (`**` any folders, `*` within one). */
  const globMatch = (glob: string, path: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\u0000').replace(/\*\*/g, '.*').replace(/\*/g, '[^/]*').replace(/\u0000/g, '(.*/)?')}$`).test(path);
  /** The five target files of the sample, from its top, and a file of the patches folder: what the path filters must catch. */
  const TARGETS = ['memory_disk_io.hpp', 'interfaces/disk_interface.i', 'interfaces/session.i', 'interfaces/session_params.i', 'interfaces/libtorrent.i'].map((f) => `upgrade_2.0.x/libtorrent-go/${f}`);
  const assertFilters = (globs: string[], patches: string, what: string) => {
    for (const f of [...TARGETS, `${patches}/0001-x.patch`, `${patches}/series`]) assert.ok(globs.some((g) => globMatch(g, f)), `${what} catches ${f}: ${globs}`);
    for (const f of ['README.md', 'src/other.cpp', 'upgrade_2.0.x/libtorrent-go/Makefile']) assert.ok(!globs.some((g) => globMatch(g, f)), `${what} ignores ${f}`);
  };
  const junitCases = (file: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) })
    .parse(readFileSync(file, 'utf8')).testsuites.testsuite.flatMap((s: { testcase?: unknown[] }) => s.testcase ?? []) as { name: string; failure?: unknown }[];

  test('the GitHub workflow in docs/: path filters on the targets and the patches, verify on demand or on schedule; its steps, run here, check and verify the sample and leave valid SARIF and JUnit', { skip, timeout: 900_000 }, async () => {
    const wf = parseYaml(readFileSync(join(REPO, 'docs/github-workflow.yml'), 'utf8')) as {
      on: { push: { paths: string[] }; pull_request: { paths: string[] }; workflow_dispatch: unknown; schedule: { cron: string }[] };
      env: Record<string, string>;
      jobs: Record<string, { if?: string; steps: { name?: string; uses?: string; run?: string; with?: Record<string, string> }[] }>;
    };
    assertFilters(wf.on.push.paths, wf.env.MEMFIX_PATCHES!, 'on.push.paths');
    assert.deepEqual(wf.on.pull_request.paths, wf.on.push.paths, 'pull requests filtered alike');
    assert.ok('workflow_dispatch' in wf.on && wf.on.schedule.length >= 1, 'a manual and a scheduled trigger');
    const verifyJob = Object.values(wf.jobs).find((j) => j.steps.some((s) => /memfix verify/.test(s.run ?? '')))!;
    const checkJob = Object.values(wf.jobs).find((j) => j.steps.some((s) => /memfix check/.test(s.run ?? '')))!;
    assert.ok(verifyJob && checkJob && verifyJob !== checkJob, 'check and verify in jobs of their own');
    assert.match(verifyJob.if ?? '', /workflow_dispatch/);
    assert.match(verifyJob.if ?? '', /schedule/);
    assert.doesNotMatch(checkJob.if ?? '', /workflow_dispatch'$/, 'check runs on every filtered push');
    const work = join(tmp.root, 'repo');
    copyTree(SAMPLE, work);
    await gitInit(work);
    // the series the workflow checks, as a user would have written and committed it
    const made = await memfixAt(['series', '.', '-o', wf.env.MEMFIX_PATCHES!], work);
    assert.equal(made.code, 0, show(made));
    const ghPrefix = join(tmp.root, 'gh-prefix');
    const env = baseEnv({
      ...wf.env,
      MEMFIX_PACKAGE: tarball,
      NPM_CONFIG_PREFIX: ghPrefix, // where `npm install -g` puts memfix on this machine
      PATH: `${join(ghPrefix, 'bin')}:${process.env.PATH}`,
      GITHUB_ACTIONS: 'true',
    });
    delete env.GITLAB_CI;
    // under `npm test`, npm passes its own settings down as npm_config_* (its global prefix among them): not to the workflow's npm
    for (const k of Object.keys(env)) if (/^npm_config_/.test(k)) delete env[k];
    env.npm_config_prefix = ghPrefix;
    const ran: string[] = [];
    for (const job of Object.values(wf.jobs)) for (const step of job.steps) {
      if (step.uses) {
        if (step.uses.startsWith('github/codeql-action/upload-sarif')) {
          const sarif = join(work, step.with!.sarif_file!);
          assert.ok(existsSync(sarif), `${step.with!.sarif_file} was written for upload-sarif`);
          assert.ok(validateSarif(JSON.parse(readFileSync(sarif, 'utf8'))), JSON.stringify(validateSarif.errors));
        } else if (step.uses.startsWith('actions/upload-artifact')) {
          // a one-folder glob, as the workflow uses (node 20 has no fs.globSync)
          const re = new RegExp(`^${step.with!.path!.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
          const matched = readdirSync(work).filter((f) => re.test(f));
          assert.ok(matched.length >= 1, `upload-artifact's path ${step.with!.path} matches a JUnit file: ${matched}`);
          for (const f of matched) assert.ok(junitCases(join(work, f)).length >= 1, f);
        }
        continue;
      }
      const script = step.run!;
      if (/apt-get install/.test(script)) {
        // not run here (no sudo, no network): what it installs is what memfix needs, and it is installed
        for (const pkg of ['g++', 'pkg-config', 'libtorrent-rasterbar-dev']) {
          assert.match(script, new RegExp(`\\s${pkg.replace(/\+/g, '\\+')}(\\s|$)`), `the workflow installs ${pkg}`);
          assert.equal(spawnSync('dpkg', ['-s', pkg]).status, 0, `${pkg} is installed here`);
        }
        continue;
      }
      const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd: work, env, timeoutMs: 900_000 });
      assert.equal(r.code, 0, `step "${step.name}" failed\n${script}\n${show(r)}`);
      if (/memfix verify/.test(script)) {
        // a CI log: a line per step, folded per tree, and the summary
        assert.match(r.stderr, /^::group::before$/m, r.stderr);
        assert.match(r.stderr, /^::endgroup::$/m);
        assert.match(r.stderr, /^\[after\] ASan\+UBSan scenarios: (\d+) of \1 pass$/m, r.stderr);
        assert.match(r.stderr, /^memfix verify: ok: after: (\d+) of \1 scenarios pass; before: /m, r.stderr);
      }
      ran.push(step.name ?? script);
    }
    assert.ok(ran.some((n) => /check/i.test(n)) && ran.some((n) => /verify/i.test(n)), `the workflow runs check and verify: ${ran}`);
    assert.ok(existsSync(join(ghPrefix, 'bin', 'memfix')), 'the workflow installed memfix with npm install -g');
    const cases = junitCases(join(work, 'memfix-verify.xml'));
    assert.ok(cases.length >= 13, 'a test case per scenario');
    assert.deepEqual(cases.filter((c) => c.failure).map((c) => c.name), [], 'with the fixes every scenario passes');
  });

  test('the GitLab CI template in docs/: rules on the targets and the patches, memfix outside the work tree; its script lines, run here, leave Code Quality and JUnit reports', { skip, timeout: 900_000 }, async () => {
    interface Job { extends?: string; image?: string; before_script?: string[]; script?: string[]; rules?: { if?: string; changes?: { paths: string[] } | string[]; when?: string }[]; artifacts?: { when?: string; reports?: { codequality?: string; junit?: string } } }
    const ci = parseYaml(readFileSync(join(REPO, 'docs/gitlab-ci.yml'), 'utf8')) as Record<string, Job> & { variables: Record<string, string> };
    const vars = ci.variables;
    const jobs = Object.entries(ci).filter(([k, v]) => !k.startsWith('.') && k !== 'variables' && typeof v === 'object' && 'script' in v) as [string, Job][];
    const resolved = (j: Job): Job => (j.extends ? { ...resolved(ci[j.extends]!), ...j } : j);
    const checkJob = jobs.find(([, j]) => j.script!.some((l) => /memfix check/.test(l)));
    const verifyJob = jobs.find(([, j]) => j.script!.some((l) => /memfix verify/.test(l)));
    assert.ok(checkJob && verifyJob && checkJob !== verifyJob, 'check and verify in jobs of their own');
    const expand = (s: string) => s.replace(/\$\{?([A-Z_]+)\}?/g, (_, k: string) => vars[k] ?? `$${k}`);
    for (const [name, j] of [checkJob, verifyJob]) {
      const changes = j.rules!.flatMap((r) => (Array.isArray(r.changes) ? r.changes : r.changes?.paths ?? []));
      assertFilters(changes.map(expand), vars.MEMFIX_PATCHES!, `${name}'s rules: changes`);
      assert.ok(j.artifacts?.reports?.codequality && j.artifacts.reports.junit, `${name} hands GitLab codequality and junit reports`);
      assert.equal(j.artifacts.when, 'always', `${name}'s reports are uploaded when it fails too`);
    }
    assert.ok(!checkJob[1].rules!.some((r) => r.when === 'manual'), 'check runs on every change by itself');
    assert.ok(verifyJob[1].rules!.some((r) => r.when === 'manual') && verifyJob[1].rules!.some((r) => /schedule/.test(r.if ?? '')), 'verify: by hand on a change, or on a schedule');
    assert.ok(!vars.MEMFIX_HOME!.startsWith('$CI_PROJECT_DIR') && vars.MEMFIX_HOME!.startsWith('/'), 'memfix is installed outside the work tree');
    assert.doesNotMatch(vars.MEMFIX_PACKAGE!, /^\.{0,2}\/?[^:]*$/, 'memfix comes from a URL, not from a file in the repository');

    const work = join(tmp.root, 'gitlab-repo');
    copyTree(SAMPLE, work);
    const made = await memfixAt(['series', '.', '-o', vars.MEMFIX_PATCHES!, '--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z'], work);
    assert.equal(made.code, 0, show(made));
    await gitInit(work);
    const home = join(tmp.root, 'gitlab-memfix-home');
    const env = baseEnv({ ...vars, MEMFIX_PACKAGE: tarball, MEMFIX_HOME: home, CI_PROJECT_DIR: work, GITLAB_CI: 'true', CI_PIPELINE_SOURCE: 'push' });
    delete env.GITHUB_ACTIONS;
    for (const k of Object.keys(env)) if (/^npm_config_/.test(k)) delete env[k];
    for (const [name, raw] of [checkJob, verifyJob]) {
      const j = resolved(raw);
      const lines: string[] = [];
      for (const l of [...(j.before_script ?? []), ...j.script!]) {
        if (/apt-get install/.test(l)) {
          for (const pkg of ['g++', 'pkg-config', 'libtorrent-rasterbar-dev']) {
            assert.match(l, new RegExp(`\\s${pkg.replace(/\+/g, '\\+')}(\\s|$)`), `${name} installs ${pkg}`);
            assert.equal(spawnSync('dpkg', ['-s', pkg]).status, 0, `${pkg} is installed here`);
          }
          continue;
        }
        lines.push(l);
      }
      // as a GitLab runner does: the lines in one shell, stopping at the first that fails
      const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', lines.join('\n')], { cwd: work, env, timeoutMs: 900_000 });
      assert.equal(r.code, 0, `job ${name} failed\n${lines.join('\n')}\n${show(r)}`);
      const cq = JSON.parse(readFileSync(join(work, j.artifacts!.reports!.codequality!), 'utf8')) as unknown[];
      assert.deepEqual(cq, [], `${name}: a clean run reports no Code Quality issue`);
      assert.ok(junitCases(join(work, j.artifacts!.reports!.junit!)).length >= 1, `${name}: JUnit with test cases`);
      if (name === verifyJob[0]) {
        // eslint-disable-next-line no-control-regex
        assert.match(r.stderr, /\x1b\[0Ksection_start:\d+:[\w.-]+\[collapsed=true\]\r\x1b\[0Kbefore/, 'steps folded in GitLab sections');
        assert.match(r.stderr, /^memfix verify: ok: /m, r.stderr);
        assert.deepEqual(junitCases(join(work, j.artifacts!.reports!.junit!)).filter((c) => c.failure).map((c) => c.name), [], 'with the fixes every scenario passes');
      }
    }
    assert.ok(existsSync(join(home, 'bin', 'memfix')), 'memfix installed in MEMFIX_HOME');
    // what git archive would ship is what was committed: the jobs left only their reports, untracked, in the work tree
    const status = spawnSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], { cwd: work, encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.slice(3)).sort();
    const reports = [checkJob, verifyJob].flatMap(([, j]) => [j.artifacts!.reports!.codequality!, j.artifacts!.reports!.junit!]).sort();
    assert.deepEqual(status, reports, 'nothing of memfix in the work tree');
  });
});
