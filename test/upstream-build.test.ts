/**
 * upstream's build is its Makefile: `-std=c++14 -DTORRENT_USE_OPENSSL=1 -DTORRENT_ABI_VERSION=3
 * -DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_ASIO_ENABLE_CANCELIO` (plus libtorrent's own
 * pkg-config flags, which set no ABI). Proven by compiling, with g++ and clang++ and
 * -pedantic-errors, in ABI 3 and in pkg-config's ABI 1:
 * - each upstream shape's header fails in ABI 3 before the series (upstream's own errors), and
 *   HEAD's glue fails in any ABI;
 * - after upstream-build alone (the first patch) and after the whole series, the header and the
 *   glue compile in both ABIs, and after every patch between in ABI 3 (test/compile.test.ts
 *   compiles every prefix in ABI 1);
 * - a program shaped like libtorrent's custom storage example (the disk I/O in a header, main in a
 *   .cpp) compiles after atomic-state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree, type Tree } from '../src/workspace.ts';
import { completeGroup, glueOf, writeTree } from '../src/verify/run.ts';
import { harnessDir } from '../src/verify/build.ts';
import { repoRoot } from './scenario-lib.ts';
import { seriesPrefixes } from './compile-lib.ts';

const have = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
const toolchain = have('g++') && have('clang++') && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++, clang++ or libtorrent-rasterbar-dev missing' : false;
const mods = await loadCodemods();

const pkg = toolchain ? spawnSync('pkg-config', ['--cflags', 'libtorrent-rasterbar'], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean) : [];
/** upstream-go's Makefile CXXFLAGS that decide what compiles (not -O2, -fPIC, -Wall) */
export const MAKEFILE_FLAGS = ['-std=c++14', '-DTORRENT_USE_OPENSSL=1', '-DTORRENT_ABI_VERSION=3', '-DBOOST_ASIO_SEPARATE_COMPILATION', '-DBOOST_ASIO_ENABLE_CANCELIO'];
const FLAGS = {
  abi1: ['-std=c++14', ...pkg],
  abi3: [...MAKEFILE_FLAGS, ...pkg.filter((f) => !/^-DTORRENT_ABI_VERSION=/.test(f))],
};
type Abi = keyof typeof FLAGS;
const COMPILERS = ['g++', 'clang++'];

/** Two compiles at a time: the machine has two cores. */
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => queue.push(r));
  running++;
  try { return await fn(); } finally { running--; queue.shift()?.(); }
}

/** Compile one translation unit of a tree: null, or the compiler's error lines (paths relative to the tree). */
async function compile(tree: Tree, cxx: string, abi: Abi, what: 'header' | 'glue' | { file: string }): Promise<string | null> {
  const work = mkdtempSync(join(tmpdir(), 'memfix-ub-'));
  try {
    const treeDir = join(work, 'tree');
    writeTree(tree, treeDir);
    let tu: string;
    const includes: string[] = ['-I', join(harnessDir, 'shim')];
    if (typeof what === 'object') {
      tu = join(treeDir, what.file);
    } else {
      const header = completeGroup(tree).files.header!.path;
      includes.push('-I', join(treeDir, dirname(header)));
      tu = join(work, 'tu.cpp');
      writeFileSync(tu, what === 'header' ? `#include "${header.split('/').pop()}"\nint main() {}\n` : glueOf(tree).source);
    }
    const stderr = await slot(() => new Promise<string | null>((resolve) => {
      const child = spawn(cxx, [...FLAGS[abi], '-pedantic-errors', '-fsyntax-only', ...includes, tu], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => { err += d; });
      child.on('close', (code) => resolve(code === 0 ? null : err || `exit ${code}`));
    }));
    if (stderr === null) return null;
    const errors = stderr.split('\n').filter((l) => / error: /.test(l));
    return (errors.length ? errors : stderr.split('\n').slice(0, 1)).join('\n').split(treeDir + '/').join('');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every compiler and ABI at once; fails naming each one that does not compile. */
async function assertCompiles(what: string, tree: Tree, tu: 'header' | 'glue' | { file: string } = 'glue', abis: Abi[] = ['abi1', 'abi3']): Promise<void> {
  const runs = COMPILERS.flatMap((cxx) => abis.map((abi) => ({ cxx, abi })));
  const errors = await Promise.all(runs.map(({ cxx, abi }) => compile(tree, cxx, abi, tu)));
  const failed = runs.map((r, i) => (errors[i] ? `${r.cxx} ${r.abi}: ${errors[i]}` : '')).filter(Boolean);
  assert.deepEqual(failed, [], `${what} does not compile`);
}

const SHAPES = ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head'];

test('upstream-build comes first in the series', () => {
  assert.equal(mods[0]!.meta.id, 'upstream-build');
});

for (const shape of SHAPES) {
  test(`${shape}: upstream's own header fails in ABI 3 (an invalid cast from a strong typedef), with each compiler`, { skip, timeout: 600_000 }, async () => {
    const input = readTree(join(repoRoot, shape));
    for (const cxx of COMPILERS) {
      const err = await compile(input, cxx, 'abi3', 'header');
      assert.match(err ?? 'compiled', /memory_disk_io\.hpp:\d+:\d+: error: .*(invalid cast|cannot convert|static_cast|no matching conversion)/m, `${cxx}: ${err}`);
      assert.equal(await compile(input, cxx, 'abi1', 'header'), null, `${cxx}: the header compiles in ABI 1`);
    }
  });

  test(`${shape}: after upstream-build (patch 1), after each later patch and after the whole series, the header and the glue compile in ABI 3 (and ABI 1), g++ and clang++`, { skip, timeout: 1_800_000 }, async () => {
    const prefixes = await seriesPrefixes(readTree(join(repoRoot, shape)), mods);
    assert.equal(prefixes[0]!.after, 'upstream-build');
    assert.equal(prefixes.length, mods.length, 'every fix applies');
    // ABI 1 for each prefix is test/compile.test.ts's; here both ABIs after the first and the last patch
    await assertCompiles(`${shape} after upstream-build`, prefixes[0]!.tree);
    for (const p of prefixes.slice(1, -1)) await assertCompiles(`${shape} after ${p.after}`, p.tree, 'glue', ['abi3']);
    await assertCompiles(`${shape} after the series`, prefixes.at(-1)!.tree);
  });
}

test('fixtures/shapes/head: the glue does not compile at the base (the shared_ptr lambda), in either ABI', { skip, timeout: 600_000 }, async () => {
  const input = readTree(join(repoRoot, 'fixtures/shapes/head'));
  for (const abi of ['abi1', 'abi3'] as Abi[]) assert.match((await compile(input, 'g++', abi, 'glue')) ?? 'compiled', /^upgrade_2\.0\.x\/libtorrent-go\/interfaces\/session\.i:\d+:\d+: error/m);
});

test('the custom storage example (its disk I/O in a header, main in a .cpp) compiles, and still does after atomic-state, which inlines only the external free function', { skip, timeout: 600_000 }, async () => {
  const base = readTree(join(repoRoot, 'fixtures/shapes/custom-storage'));
  await assertCompiles('custom_storage.cpp', base, { file: 'custom_storage.cpp' });
  const { steps, tree } = await plan(base, mods.filter((m) => m.meta.id === 'atomic-state'));
  assert.equal(steps[0]!.outcome.status, 'apply');
  assert.equal(tree.get('custom_storage.cpp'), base.get('custom_storage.cpp'), 'the .cpp with main is no target');
  const added = (tree.get('scratch_disk_io.hpp')!.match(/^inline .*$/gm) ?? []);
  assert.deepEqual(added, ['inline std::unique_ptr<lt::disk_interface> scratch_disk_constructor(lt::io_context& ioc'], 'inline on the external free function only');
  await assertCompiles('custom_storage.cpp after atomic-state', tree, { file: 'custom_storage.cpp' });
});
