/**
 * The build flags a tree declares (src/verify/build-flags.ts): read from a Makefile or a
 * CMakeLists.txt without running anything, only -std/-D/-U/-f[no-]exceptions/-f[no-]rtti taken,
 * each with its file:line; hostile input (include paths, forced includes, $(shell ...), include
 * directives, self-referencing variables) is never followed. Then the compile step
 * (src/verify/compile-step.ts) on small hand-written headers: a header only ABI 1 accepts fails
 * with the Makefile's flags (ABI 3), naming its file and line, and makes verify's report exit 1; a
 * header that compiles in both ABIs passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, parseCMakeLists, parseMakefile, readBuildFlags, shellWords } from '../src/verify/build-flags.ts';
import { abiOf, changedCppFiles, compileTree, failureLine, flagSets, noLongerCompiles, treeSet } from '../src/verify/compile-step.ts';
import { buildReport, verifyReport, compileColumn } from '../src/commands/verify.ts';
import { renderText } from '../src/render/text.ts';
import { renderGithub } from '../src/render/github.ts';
import { readTree } from '../src/workspace.ts';
import { repoRoot } from './scenario-lib.ts';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const Ajv = createRequire(import.meta.url)('ajv').default as typeof import('ajv').default;
const validateReport = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(repoRoot, 'docs/report.schema.json'), 'utf8')));

const taken = (f: { std: { flag: string; at: string }; flags: { flag: string; at: string }[] }) => [f.std, ...f.flags].map((x) => `${x.flag} @${x.at}`);

test('Makefile: variables, +=, continuation lines, platform conditionals; only what changes what compiles, each with its line', () => {
  const mk = [
    '# our own, in the shape of a libtorrent-go Makefile', // 1
    'BASE_STD = -std=c++14', // 2
    'CXXFLAGS = $(BASE_STD) -fPIC -O2 -Wall -DNDEBUG', // 3
    'CXXFLAGS += -DTORRENT_ABI_VERSION=3 \\', // 4
    '            -DTORRENT_USE_OPENSSL=1', // 5
    'OS := $(shell uname -s)', // 6
    'ifeq ($(OS),Linux)', // 7
    '    CXXFLAGS += -DON_LINUX', // 8
    'else ifeq ($(OS),Darwin)', // 9
    '    CXXFLAGS += -DON_DARWIN', // 10
    'else', // 11
    '    CXXFLAGS += -DON_OTHER', // 12
    'endif', // 13
    'ifdef NOT_SET', // 14
    'CXXFLAGS += -DNEVER', // 15
    'endif', // 16
    'INCLUDES = -I/usr/include $(shell pkg-config --cflags libtorrent-rasterbar)', // 17
    'CPPFLAGS ?= -DFROM_CPPFLAGS', // 18
    'all: lib', // 19
    '\t$(CXX) $(CXXFLAGS) -DIN_A_RECIPE -c x.cpp', // 20
    'debug: CXXFLAGS = -std=c++17 -g', // 21
    'BASE_STD = -std=gnu++14', // 22: a recursive variable is expanded when used: this one wins
  ].join('\n');
  const f = parseMakefile(mk, 'lt/Makefile');
  assert.equal(f.source, 'Makefile');
  const linux = process.platform === 'linux' ? '-DON_LINUX @lt/Makefile:8' : process.platform === 'darwin' ? '-DON_DARWIN @lt/Makefile:10' : '-DON_OTHER @lt/Makefile:12';
  assert.deepEqual(taken(f), ['-std=gnu++14 @lt/Makefile:3', '-DFROM_CPPFLAGS @lt/Makefile:18', '-DNDEBUG @lt/Makefile:3', '-DTORRENT_ABI_VERSION=3 @lt/Makefile:4', '-DTORRENT_USE_OPENSSL=1 @lt/Makefile:4', linux]);
  assert.deepEqual(f.ignored.map((x) => x.flag), ['-fPIC', '-O2', '-Wall']);
  assert.ok(f.notes.some((n) => /Makefile:21: CXXFLAGS for a target only \(debug\)/.test(n)), f.notes.join('\n'));
  // := expands at once, = when used
  const g = parseMakefile('A = -DLATE=1\nB := $(A)\nA = -DLATER=2\nCXXFLAGS = $(B) $(A)\n', 'Makefile');
  assert.deepEqual(g.flags.map((x) => x.flag), ['-DLATE=1', '-DLATER=2']);
  // what a variable could not know is said where it reaches the flags
  const h = parseMakefile('DEPS := $(shell pkg-config --cflags x)\nCXXFLAGS = -DA $(DEPS)\nCXXFLAGS += $(DEPS)\n', 'Makefile');
  assert.deepEqual(h.notes.filter((n) => /pkg-config/.test(n)), ['Makefile:2: $(shell pkg-config --cflags x) is not run (line 1)', 'Makefile:3: $(shell pkg-config --cflags x) is not run (line 1)']);
  assert.match(g.notes.join('\n'), /no -std=: memfix's default -std=c\+\+14/);
  assert.equal(g.std.at, 'memfix default');
});

test('Makefile, hostile: nothing is run, no include is followed, no path or file is taken, nothing loops', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memfix-flags-'));
  try {
    const witness = join(dir, 'ran');
    const mk = [
      `CXXFLAGS = -DGOOD=1 -I/etc -isystem /etc -include /etc/passwd -imacros /etc/hosts @/etc/shadow -fplugin=/tmp/evil.so -Xclang -load -B/tmp -specs=/tmp/x`,
      `CXXFLAGS += $(shell touch ${witness}) $(shell rm -rf /)`,
      `CXXFLAGS += -D 'MSG="two words"' -U OLD -fno-exceptions -fno-rtti -std=c++17; -D1BAD -D'X;rm -rf /'`,
      `include /etc/passwd`,
      `-include ${witness}.mk`,
      `LOOP = $(LOOP) x`,
      `CXXFLAGS += $(LOOP)`,
      `ifeq ($(shell cat /etc/hostname),box)`,
      `CXXFLAGS += -DUNDECIDED`,
      `endif`,
      `define CXXFLAGS`,
      `-DIN_DEFINE`,
      `endef`,
      `OTHER != touch ${witness}`,
      `$(shell touch ${witness}): ; touch ${witness}`,
    ].join('\n');
    const f = parseMakefile(mk, 'Makefile');
    assert.equal(existsSync(witness), false, 'a $(shell) ran');
    assert.deepEqual(f.flags.map((x) => x.flag), ['-DGOOD=1', '-DMSG="two words"', '-UOLD', '-fno-exceptions', '-fno-rtti']);
    assert.equal(f.std.flag, '-std=c++14', 'a -std= that is not a standard is not taken');
    const ignored = f.ignored.map((x) => x.flag);
    for (const bad of ['-I/etc', '-isystem /etc', '-include /etc/passwd', '-imacros /etc/hosts', '@/etc/shadow', '-fplugin=/tmp/evil.so', '-Xclang -load', '-B/tmp', '-specs=/tmp/x', '-std=c++17;', '-D1BAD', '-DX;rm -rf /'])
      assert.ok(ignored.includes(bad), `${bad} not in ${JSON.stringify(ignored)}`);
    const notes = f.notes.join('\n');
    assert.match(notes, /Makefile:2: \$\(shell touch .*\) is not run/);
    assert.match(notes, /Makefile:4: include is not followed/);
    assert.match(notes, /Makefile:5: -include is not followed/);
    assert.match(notes, /a variable that refers to itself/);
    assert.match(notes, /Makefile:9: not taken: in a conditional \(line 8\) memfix cannot decide/);
    assert.match(notes, /Makefile:11: CXXFLAGS defined with define \.\.\. endef: not read/);
    assert.ok(!f.flags.some((x) => /UNDECIDED|IN_DEFINE/.test(x.flag)));
    // a huge or deeply nested value ends
    const deep = 'V0 = x\n' + Array.from({ length: 60 }, (_, i) => `V${i + 1} = $(V${i}) $(V${i})`).join('\n') + '\nCXXFLAGS = -DOK $(V60)\n';
    const t = Date.now();
    assert.deepEqual(parseMakefile(deep, 'Makefile').flags.map((x) => x.flag), ['-DOK']);
    assert.ok(Date.now() - t < 5000, 'the expansion is bounded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the words of a flags value split as a shell does, and each is judged on its own', () => {
  assert.deepEqual(shellWords(`-DA=1  '-DB=two words' "-DC=\\"q\\"" -DD=a\\ b`), ['-DA=1', '-DB=two words', '-DC="q"', '-DD=a b']);
  assert.ok('take' in classify('-DTORRENT_ABI_VERSION=3'));
  assert.ok('take' in classify('-DF(x)=x'));
  assert.ok('take' in classify('-std=gnu++14'));
  for (const w of ['-I/etc', '-include', '-fplugin=x.so', '@args', '-std=c++14 -I/x', '-Wl,-rpath,/tmp', '-O3']) assert.ok('why' in classify(w), w);
});

test('CMakeLists.txt: the standard (extensions on by default), definitions of targets and directories, the build type\'s flags', () => {
  const cm = [
    'cmake_minimum_required(VERSION 3.14)', // 1
    'project(bindings CXX)', // 2
    'set(CMAKE_CXX_STANDARD 14)', // 3
    'set(CMAKE_CXX_EXTENSIONS OFF) # strict', // 4
    'if(NOT CMAKE_BUILD_TYPE)', // 5
    '  set(CMAKE_BUILD_TYPE Release)', // 6
    'endif()', // 7
    'set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} -fPIC -Wall")', // 8
    'set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG")', // 9
    'add_definitions(-DDIR_WIDE -I/etc)', // 10
    'if(WIN32)', // 11
    '  add_definitions(-DON_WINDOWS)', // 12
    'endif()', // 13
    'if(SOME_OPTION STREQUAL "x")', // 14
    '  add_compile_definitions(UNDECIDED)', // 15
    'endif()', // 16
    'target_compile_definitions(bindings PRIVATE', // 17
    '    TORRENT_ABI_VERSION=3', // 18
    '    $<$<CONFIG:Debug>:TORRENT_DEBUG>', // 19
    '    ${UNKNOWN_DEFS}', // 20
    '    TORRENT_USE_OPENSSL=1)', // 21
    '#[[ a bracket comment', // 22
    'add_definitions(-DIN_COMMENT)', // 23
    ']]', // 24
    'include(Elsewhere)', // 25
  ].join('\n');
  const f = parseCMakeLists(cm, 'CMakeLists.txt');
  assert.deepEqual(taken(f), ['-std=c++14 @CMakeLists.txt:3', '-DDIR_WIDE @CMakeLists.txt:10', '-DTORRENT_ABI_VERSION=3 @CMakeLists.txt:18', '-DTORRENT_USE_OPENSSL=1 @CMakeLists.txt:21', '-DNDEBUG @CMakeLists.txt:9']);
  assert.deepEqual(f.ignored.map((x) => x.flag), ['-fPIC', '-Wall', '-I/etc', '-O2']);
  assert.ok(!f.flags.some((x) => x.flag.includes('TORRENT_DEBUG')));
  const notes = f.notes.join('\n');
  assert.match(notes, /CMakeLists\.txt:15: not taken: in an if\(\) \(line 14\) memfix cannot decide/);
  assert.match(notes, /a generator expression/);
  assert.match(notes, /\$\{UNKNOWN_DEFS\} is not known without running CMake/);
  assert.match(notes, /include\(\) is not followed/);
  // CMake's default: extensions on, -std=gnu++NN
  assert.equal(parseCMakeLists('set(CMAKE_CXX_STANDARD 17)\n', 'CMakeLists.txt').std.flag, '-std=gnu++17');
  assert.equal(parseCMakeLists('project(x)\n', 'CMakeLists.txt').std.at, 'memfix default');
});

test('the build file: the nearest to the target\'s folder, the Makefile before CMakeLists.txt; a link is not read; else the defaults', () => {
  const root = mkdtempSync(join(tmpdir(), 'memfix-flags-'));
  try {
    mkdirSync(join(root, 'a/lt'), { recursive: true });
    writeFileSync(join(root, 'Makefile'), 'CXXFLAGS = -DTOP\n');
    assert.deepEqual(readBuildFlags(root, 'a/lt').flags.map((x) => x.flag + '@' + x.at), ['-DTOP@Makefile:1']);
    writeFileSync(join(root, 'a/lt/CMakeLists.txt'), 'add_definitions(-DFROM_CMAKE)\n');
    assert.deepEqual(readBuildFlags(root, 'a/lt').flags.map((x) => x.flag + '@' + x.at), ['-DFROM_CMAKE@a/lt/CMakeLists.txt:1']);
    writeFileSync(join(root, 'a/lt/Makefile'), 'CXXFLAGS = -std=c++14 -DFROM_MAKE\n');
    const f = readBuildFlags(root, 'a/lt');
    assert.deepEqual(taken(f), ['-std=c++14 @a/lt/Makefile:1', '-DFROM_MAKE @a/lt/Makefile:1']);
    assert.match(f.notes.join('\n'), /a\/lt\/CMakeLists\.txt is not read: the Makefile is the build/);
    rmSync(join(root, 'a/lt/Makefile'));
    symlinkSync('/etc/passwd', join(root, 'a/lt/Makefile'));
    const l = readBuildFlags(root, 'a/lt');
    assert.match(l.notes.join('\n'), /a\/lt\/Makefile: not a regular file: not read/);
    assert.equal(l.source, 'CMakeLists.txt');
    const empty = mkdtempSync(join(tmpdir(), 'memfix-flags-'));
    const d = readBuildFlags(empty, 'x');
    rmSync(empty, { recursive: true });
    assert.equal(d.source, 'default');
    assert.equal(d.std.flag, '-std=c++14');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// ---- the compile step, on hand-written headers ----

const have = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
const toolchain = have('g++') && have('clang++') && spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar']).status === 0;
const skip = !toolchain && process.env.CI !== 'true' ? 'g++, clang++ or libtorrent-rasterbar-dev missing' : false;

/** A header of ours with the target's shape; `cast` is how it turns a storage_index_t into an index. */
const header = (cast: string) => [
  '#pragma once',
  '#include <cstddef>',
  '#include <cstdint>',
  '#include <libtorrent/disk_interface.hpp>',
  '',
  'namespace libtorrent {',
  '',
  'struct memory_disk_io : disk_interface, buffer_allocator_interface',
  '{',
  `    static std::size_t slot_of(storage_index_t const s) { return ${cast}; }`, // line 10
  '};',
  '',
  '}',
  '',
].join('\n');

const MAKEFILE = 'CXXFLAGS = -std=c++14 -O2 -DTORRENT_ABI_VERSION=3\n';

test('the compile step: a header only ABI 1 accepts fails with the Makefile\'s flags (ABI 3), naming file and line; one that compiles in both passes', { skip, timeout: 600_000 }, async () => {
  const cache = mkdtempSync(join(tmpdir(), 'memfix-flags-cache-'));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache; // no verdict remembered from an earlier run
  try {
    const bf = parseMakefile(MAKEFILE, 'lt/Makefile');
    const sets = flagSets(bf);
    assert.deepEqual(sets.map((s) => s.name), ["pkg-config's flags, ABI 1", "Makefile's flags, ABI 3"]);
    assert.equal(abiOf(sets[1]!.args), '3');
    assert.ok(sets[1]!.args.includes('-DTORRENT_ABI_VERSION=3') && !sets[0]!.args.some((a) => a.startsWith('-DTORRENT_ABI_VERSION')));
    const abi1Only = new Map([['lt/memory_disk_io.hpp', header('static_cast<std::size_t>(s)')]]);
    const both = new Map([['lt/memory_disk_io.hpp', header('static_cast<std::size_t>(static_cast<std::uint32_t>(s))')]]);
    const [bad, good] = await Promise.all([compileTree(abi1Only, sets), compileTree(both, sets)]);
    assert.equal(bad.compiles, 4);
    assert.deepEqual(bad.failures.map((f) => `${f.compiler} ${f.set} ${f.file}:${f.line}`), ["g++ Makefile's flags, ABI 3 lt/memory_disk_io.hpp:10", "clang++ Makefile's flags, ABI 3 lt/memory_disk_io.hpp:10"]);
    assert.match(failureLine(bad.failures[0]!), /^lt\/memory_disk_io\.hpp:10: g\+\+ \(Makefile's flags, ABI 3\): .*error: invalid .static_cast. from type/);
    assert.match(failureLine(bad.failures[1]!), /^lt\/memory_disk_io\.hpp:10: clang\+\+ \(Makefile's flags, ABI 3\): .*error: cannot convert/);
    assert.deepEqual(good.failures, []);
    // a unit known to compile is not compiled again
    assert.equal((await compileTree(both, sets)).cached, 4);

    // verify's report: the compile row names the file and line, the last column's failure is exit 1
    const set = treeSet(bf);
    const none = { scenarios: [{ name: 'read-leak', fix: 'free-disk-buffer', sanitizers: ['asan' as const], description: '' }], results: [{ name: 'read-leak', pass: true, summary: 'pass' }] };
    const badCol = compileColumn({ ...bad, failures: bad.failures.filter((f) => f.set === set.name) });
    const report = verifyReport('t', [{ title: 'result', verdict: none, compile: badCol }], 'c++14', buildReport(bf, set, 'c++14'));
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.scenarios[0]!.results[0], { pass: false, summary: badCol.summary, file: 'lt/memory_disk_io.hpp', line: 10 });
    const text = renderText(report, false).stdout;
    assert.match(text, /^compile\s+build\s+lt\/memory_disk_io\.hpp:10: g\+\+ \(Makefile's flags, ABI 3\)/m);
    assert.match(text, /flags of lt\/Makefile: -std=c\+\+14 \(lt\/Makefile:1\) -DTORRENT_ABI_VERSION=3 \(lt\/Makefile:1\)/);
    assert.match(text, /not taken from lt\/Makefile: -O2/);
    assert.match(renderGithub(report), /::error file=lt\/memory_disk_io\.hpp,line=10/);
    const json = JSON.parse(JSON.stringify(report)) as { build: { file: string; flags: unknown[] } };
    assert.ok(validateReport(json), JSON.stringify(validateReport.errors, null, 2));
    assert.equal(json.build.file, 'lt/Makefile');
    assert.deepEqual(json.build.flags, [{ flag: '-DTORRENT_ABI_VERSION=3', at: 'lt/Makefile:1' }]);
    const goodReport = verifyReport('t', [{ title: 'result', verdict: none, compile: compileColumn(good) }], 'c++14', buildReport(bf, set, 'c++14'));
    assert.equal(goodReport.exitCode, 0);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});

test('the compile step names a C++ file memfix changed that no longer compiles (an inline main), and a glue error by its .i file and line', { skip, timeout: 600_000 }, async () => {
  const before = new Map([
    ['lt/memory_disk_io.hpp', header('static_cast<std::size_t>(static_cast<std::uint32_t>(s))')],
    ['lt/example.cpp', '#include "memory_disk_io.hpp"\nint main() { return 0; }\n'],
  ]);
  const after = new Map(before).set('lt/example.cpp', '#include "memory_disk_io.hpp"\ninline int main() { return 0; }\n');
  const sets = flagSets(parseMakefile(MAKEFILE, 'lt/Makefile')).slice(1);
  const files = changedCppFiles(before, after);
  assert.deepEqual(files, ['lt/example.cpp']);
  const was = await compileTree(before, sets, { files });
  const r = await compileTree(after, sets, { files });
  assert.deepEqual(was.failures, []);
  assert.deepEqual(r.failures.map((f) => `${f.compiler} ${f.unit} ${f.file}:${f.line}`), ['g++ lt/example.cpp lt/example.cpp:2', 'clang++ lt/example.cpp lt/example.cpp:2']);
  const named = noLongerCompiles(before, after, was, r);
  assert.equal(named.length, 1);
  assert.match(named[0]!, /^memfix changed lt\/example\.cpp, which compiled before and no longer does: lt\/example\.cpp:2: g\+\+ \(Makefile's flags, ABI 3\): .*main/);
  // a file that did not compile before either is not memfix's doing
  assert.deepEqual(noLongerCompiles(before, after, r, r), []);
  // the glue's #line directives name the .i file: an error in a %{ %} body of the sample's disk_interface.i
  const sample = readTree(join(repoRoot, 'fixtures/sample'));
  const di = 'upgrade_2.0.x/libtorrent-go/interfaces/disk_interface.i';
  const text = sample.get(di)!;
  const at = text.indexOf('%{') + 2;
  const broken = new Map(sample).set(di, `${text.slice(0, at)}\nint memfix_probe() { return memfix_undeclared; }${text.slice(at)}`);
  const line = text.slice(0, at).split('\n').length + 1;
  const pkg = flagSets(parseMakefile('', 'Makefile'));
  assert.equal(pkg.length, 1);
  const g = await compileTree(broken, pkg, { compilers: ['g++'] });
  assert.deepEqual(g.failures.map((f) => `${f.file}:${f.line}`), [`${di}:${line}`]);
});
