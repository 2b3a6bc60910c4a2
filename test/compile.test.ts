/**
 * Upstream's build is C++14 (`-std=c++14`, BUILD_CONFIG.md): the history of shapes the codemods
 * accept (the sample, upstream's earliest shape laid out as a libtorrent-go checkout, and HEAD's)
 * compiles after every fix of the series with `-std=c++14 -pedantic-errors`, with g++ and clang++.
 * Restyled, renamed and CRLF/BOM/tab variants are compiled the same way in clang-format.test.ts,
 * names.test.ts and layout.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree } from '../src/workspace.ts';
import { compileCheck, compileCheckAsync } from '../src/verify/run.ts';
import { assertSeriesCompiles } from './compile-lib.ts';
import { repoRoot } from './scenario-lib.ts';

const have = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
const toolchain = have('g++') && have('clang++') && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++, clang++ or libtorrent-rasterbar-dev missing (apt-get install -y g++ clang libtorrent-rasterbar-dev)' : false;
const mods = await loadCodemods();

for (const shape of ['fixtures/sample', 'fixtures/shapes/early', 'fixtures/shapes/head']) {
  test(`${shape}: every prefix of the series compiles (C++14, -pedantic-errors, g++ and clang++)`, { skip, timeout: 600_000 }, async () => {
    await assertSeriesCompiles(shape, readTree(join(repoRoot, shape)), mods, { minPrefixes: mods.length });
  });
}

test('the check is strict: a C++17 inline variable in the patched header fails it, with each compiler', { skip, timeout: 600_000 }, async () => {
  const fixed = (await plan(readTree(join(repoRoot, 'fixtures/sample')), mods)).tree;
  const header = 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp';
  const text = fixed.get(header)!;
  const at = text.indexOf('namespace libtorrent {') + 'namespace libtorrent {'.length;
  const cxx17 = new Map(fixed).set(header, `${text.slice(0, at)}\ninline int memfix_cxx17_probe = 0;${text.slice(at)}`);
  const [gxx, clang] = await Promise.all(['g++', 'clang++'].map((c) => compileCheckAsync(cxx17, { compilers: [c] })));
  assert.match(gxx ?? 'compiled', /^g\+\+: .*memory_disk_io\.hpp:\d+:\d+: error: inline variables/);
  assert.match(clang ?? 'compiled', /^clang\+\+: .*memory_disk_io\.hpp:\d+:\d+: error: inline variables/);
  // and a C++17 build accepts it: the standard is what fails it
  assert.equal(compileCheck(cxx17, { std: 'c++17' }), null);
});
