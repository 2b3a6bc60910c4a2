/**
 * harness/build.sh's object cache is shared by every build on the machine (memfix verify, the
 * mutants, other checkouts): two builds of the same tree at once must both succeed, compile each
 * object once (the other waits for it), leave one object per content and no temporary or lock
 * file, and a later build must reuse the objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree } from '../src/workspace.ts';
import { glueOf, writeTree } from '../src/verify/run.ts';
import { repoRoot } from './scenario-lib.ts';

const toolchain = spawnSync('g++', ['--version']).status === 0 && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++ or libtorrent-rasterbar-dev missing' : false;

const build = (glue: string, headerDir: string, out: string, cache: string, treeDir: string, cxx = 'g++') => new Promise<{ code: number | null; stderr: string }>((resolve) => {
  const child = spawn('bash', [join(repoRoot, 'harness/build.sh'), glue, headerDir, out], { env: { ...process.env, CACHE_DIR: cache, CXX: cxx, PREFIX_MAP: `${treeDir}/=` }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('close', (code) => resolve({ code, stderr }));
});

test('two builds at once share the cache: both link, each object compiled once, no temporary or lock left; a third, of the same tree written elsewhere, reuses them', { skip, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memfix-cache-test-'));
  try {
    const fixed = (await plan(readTree(join(repoRoot, 'fixtures/sample')), await loadCodemods())).tree;
    writeTree(fixed, join(dir, 'tree'));
    writeTree(fixed, join(dir, 'elsewhere'));
    const glue = glueOf(fixed);
    writeFileSync(join(dir, 'glue.cpp'), glue.source);
    const cache = join(dir, 'cache');
    const headerDir = join(dir, 'tree', glue.headerDir);
    // g++, counting what it compiles (-c) in a log
    const cxx = join(dir, 'cxx');
    writeFileSync(cxx, `#!/bin/sh\ncase " $* " in *" -c "*) echo "$*" >> '${join(dir, 'compiled')}';; esac\nexec g++ "$@"\n`);
    chmodSync(cxx, 0o755);
    const tree = join(dir, 'tree');
    const [a, b] = await Promise.all([build(join(dir, 'glue.cpp'), headerDir, join(dir, 'a'), cache, tree, cxx), build(join(dir, 'glue.cpp'), headerDir, join(dir, 'b'), cache, tree, cxx)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const compiled = readFileSync(join(dir, 'compiled'), 'utf8').trim().split('\n');
    assert.equal(compiled.length, 2, `the harness and the glue, once each:\n${compiled.join('\n')}`);
    const files = readdirSync(cache).sort();
    assert.deepEqual(files.map((f) => f.replace(/-[0-9a-f]{24}\.o$/, '.o')), ['glue.o', 'harness.o'], files.join(', '));
    const before = files.map((f) => statSync(join(cache, f)).ino);
    const c = await build(join(dir, 'glue.cpp'), join(dir, 'elsewhere', glue.headerDir), join(dir, 'c'), cache, join(dir, 'elsewhere'));
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(readdirSync(cache).sort(), files, 'the third build compiled again');
    assert.deepEqual(files.map((f) => statSync(join(cache, f)).ino), before, 'the third build replaced an object');
    assert.equal(spawnSync(join(dir, 'c'), ['--list']).status, 0);
    // a header that does not preprocess (an #error) preprocesses to the text without the line: that
    // text's object is in the cache, and must not be taken for it
    const broken = join(dir, 'broken');
    writeTree(new Map(fixed).set(glue.headerDir + '/memory_disk_io.hpp', fixed.get(glue.headerDir + '/memory_disk_io.hpp') + '\n#error memfix: broken\n'), broken);
    const d = await build(join(dir, 'glue.cpp'), join(broken, glue.headerDir), join(dir, 'd'), cache, broken);
    assert.notEqual(d.code, 0, 'a header with #error built from the cache');
    assert.match(d.stderr, /#error memfix: broken/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
