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
    for (const f of ['bin/memfix.js', 'bin/package.json', 'dist/src/cli.cjs', 'package.json', 'README.md', 'docs/FIXES.md', 'docs/github-workflow.yml', 'harness/build.sh', 'harness/scenarios.cpp', 'templates/commit-message.txt', 'src/roles/header.scm', 'src/queries/method.scm']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    for (const f of ['dist/src/cli.cjs', 'dist/src/commands/index.cjs', 'dist/src/commands/list.cjs', 'dist/src/commands/new.cjs']) assert.ok(files.includes(f), `the bundles: ${f} is in the tarball`);
    const bundle = readFileSync(join(REPO, 'dist/src/commands/engine.cjs'), 'utf8');
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
    for (const f of ['docs/FIXES.md', 'docs/formats.md', 'docs/github-workflow.yml']) assert.ok(readme.includes(`](${f})`), `README links ${f}`);
    assert.match(readme, /npm install -g \.\//, 'install from a tarball');
    assert.match(readme, /npx \/path\/to\/memfix/, 'npx with a path');
  });

  const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
  const skip = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing' : false;

  test('the GitHub workflow in docs/: its steps, run here, check and verify the sample and leave valid SARIF and JUnit', { skip, timeout: 900_000 }, async () => {
    const wf = parseYaml(readFileSync(join(REPO, 'docs/github-workflow.yml'), 'utf8')) as {
      env: Record<string, string>;
      jobs: Record<string, { steps: { name?: string; uses?: string; run?: string; with?: Record<string, string> }[] }>;
    };
    const steps = Object.values(wf.jobs)[0]!.steps;
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
    });
    // under `npm test`, npm passes its own settings down as npm_config_* (its global prefix among them): not to the workflow's npm
    for (const k of Object.keys(env)) if (/^npm_config_/.test(k)) delete env[k];
    env.npm_config_prefix = ghPrefix;
    const ran: string[] = [];
    for (const step of steps) {
      if (step.uses) {
        if (step.uses.startsWith('github/codeql-action/upload-sarif')) {
          const sarif = join(work, step.with!.sarif_file!);
          assert.ok(existsSync(sarif), `${step.with!.sarif_file} was written for upload-sarif`);
          assert.ok(validateSarif(JSON.parse(readFileSync(sarif, 'utf8'))), JSON.stringify(validateSarif.errors));
        } else if (step.uses.startsWith('actions/upload-artifact')) {
          // a one-folder glob, as the workflow uses (node 20 has no fs.globSync)
          const re = new RegExp(`^${step.with!.path!.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
          const matched = readdirSync(work).filter((f) => re.test(f));
          assert.ok(matched.length >= 2, `upload-artifact's path ${step.with!.path} matches the JUnit files: ${matched}`);
          const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) });
          for (const f of matched) assert.ok(xml.parse(readFileSync(join(work, f), 'utf8')).testsuites.testsuite.length >= 1, f);
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
      assert.doesNotMatch(r.stderr, /\[(tree|before|after)\] /, 'no progress lines when stderr is not a terminal');
      ran.push(step.name ?? script);
    }
    assert.ok(ran.some((n) => /check/i.test(n)) && ran.some((n) => /verify/i.test(n)), `the workflow runs check and verify: ${ran}`);
    assert.ok(existsSync(join(ghPrefix, 'bin', 'memfix')), 'the workflow installed memfix with npm install -g');
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) })
      .parse(readFileSync(join(work, 'memfix-verify.xml'), 'utf8'));
    const cases = junit.testsuites.testsuite[0].testcase as { name: string; failure?: unknown }[];
    assert.ok(cases.length >= 13, 'a test case per scenario');
    assert.deepEqual(cases.filter((c) => c.failure).map((c) => c.name), [], 'with the fixes every scenario passes');
  });
});
