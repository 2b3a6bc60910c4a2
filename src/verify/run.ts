/** verify's pipeline on one tree: write it to a build folder, extract the glue, build, run. */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MemfixError } from '../errors.ts';
import { discoverTargets, type TargetGroup } from '../roles.ts';
import { sources, type Tree } from '../workspace.ts';
import { extractGlue, type Glue } from './glue.ts';
import { buildHarness, cacheDir, DEFAULT_STD, firstError, harnessDir, listScenarios, runAll, type ScenarioInfo, type ScenarioResult } from './build.ts';

export function completeGroup(tree: Tree): TargetGroup {
  const groups = discoverTargets(sources(tree));
  const g = groups.find((x) => x.files.header && x.files['disk-interface'] && x.files.session) ?? groups.find((x) => x.files.header && x.files['disk-interface']) ?? groups[0];
  if (!g) throw new MemfixError('cannot build: no memory_disk_io header or SWIG interface files in this tree');
  return g;
}

/** The glue of a tree (see glue.ts); `dropped: false` leaves out the setters SWIG drops. */
export function glueOf(tree: Tree, opts: { dropped?: boolean } = {}): Glue {
  return extractGlue(completeGroup(tree), sources(tree), opts);
}

export function writeTree(tree: Tree, dir: string): void {
  for (const [p, t] of tree) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
}

/**
 * One tree's verdict. `scenarios` are the runs in table order: every scenario meant for ASan+UBSan,
 * then (with `tsan`) every scenario meant for ThreadSanitizer, named `<name> (tsan)`; `results`
 * holds their outcomes in the same order. `glue` says which setter definition the build used
 * (SWIG keeps the first of several), and what it left out.
 */
export interface TreeVerdict { scenarios: ScenarioInfo[]; results: ScenarioResult[]; /** set when the tree did not build */ buildError?: string; glue?: string[] }

/** What verify is doing, for a progress display: a build starting, a scenario finished. */
export type VerifyProgress =
  | { kind: 'build'; label: string; sanitizer: 'ASan+UBSan' | 'TSan' }
  | { kind: 'scenario'; label: string; name: string; pass: boolean; summary: string };

export interface VerifyOptions { tsan?: boolean; keep?: boolean; label?: string; std?: string; onProgress?: (p: VerifyProgress) => void }

/** A tree written to a build folder, with its glue: what verify and the mutant runner build from. */
export interface BuiltTree {
  work: string;
  glue: Glue;
  /** lines that say how the glue was made */
  notes: string[];
  /** the harness binary for a sanitizer, built on first use */
  binary(sanitize: 'asan' | 'tsan'): Promise<string>;
  dispose(): void;
}

/** Where a compiler error points, as `file:line` in the tree. */
const errorAt = (e: string) => /^([^:\s]+):(\d+):(?:\d+:)? (?:fatal )?error/.exec(e);

/** Write a tree and build its harness; the TSan build is made only when asked for. */
export async function buildTree(tree: Tree, opts: VerifyOptions = {}): Promise<BuiltTree> {
  const work = mkdtempSync(join(tmpdir(), `memfix-verify-${opts.label ?? 'tree'}-`));
  const dispose = () => {
    if (opts.keep) process.stderr.write(`memfix: build folder kept at ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  };
  try {
    const treeDir = join(work, 'tree');
    writeTree(tree, treeDir);
    let glue = glueOf(tree);
    const notes = [`setter: ${glue.resolution}`];
    const headerDir = join(treeDir, glue.headerDir);
    // name files as they are in the user's tree, not in our build folder
    const clean = (e: unknown) => {
      if (e instanceof MemfixError) e.message = e.message.split(treeDir + '/').join('');
      return e;
    };
    const build = (sanitize: 'asan' | 'tsan', fallback?: string) => (opts.onProgress?.({ kind: 'build', label: opts.label ?? 'tree', sanitizer: sanitize === 'tsan' ? 'TSan' : 'ASan+UBSan' }),
      buildHarness(glue.source, headerDir, join(work, 'build'), { sanitize: sanitize === 'tsan' ? 'thread' : 'address,undefined', std: opts.std, treeDir, fallback }).catch((e: unknown) => { throw clean(e); }));
    // a glue whose dropped setter is known not to compile (same tree, compiler, flags): its note
    const droppedFails = join(cacheDir(), `dropped-fails-${compileKey(tree, 'g++', ['harness-glue', opts.std ?? DEFAULT_STD, glue.source])}`);
    const known = existsSync(droppedFails) ? readFileSync(droppedFails, 'utf8').split('\n')[0]!.slice(0, 2000) : '';
    if (known && glue.droppedLines.length) {
      notes.push(known);
      glue = glueOf(tree, { dropped: false });
    }
    // a setter SWIG drops is never compiled by a real build: if only it fails, the build links
    // the glue without it (compiled at once, in the same build)
    const asSwig = glue.droppedLines.length ? glueOf(tree, { dropped: false }) : null;
    const asanBuilt = await build('asan', asSwig?.source);
    if (asanBuilt.fallback !== undefined) {
      const error = asanBuilt.fallback.split(treeDir + '/').join('');
      const at = errorAt(error);
      const inDropped = at && glue.droppedLines.some((d) => d.file === at[1] && d.from <= Number(at[2]) && Number(at[2]) <= d.to);
      if (!inDropped) throw new MemfixError(`cannot build: ${error}`);
      const note = `${at![1]}:${at![2]} does not compile (${error.replace(/^\S+ /, '')}); SWIG drops that setter, so the harness runs without it`;
      notes.push(note);
      glue = asSwig!;
      // remembered, so the next run does not compile it again
      writeFileSync(droppedFails, note.replace(/\n/g, ' ') + '\n');
    }
    let tsan: Promise<string> | undefined;
    return {
      work, glue, notes, dispose,
      binary: (s) => (s === 'asan' ? Promise.resolve(asanBuilt.bin) : (tsan ??= build('tsan').then((b) => b.bin))),
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** How many ASan+UBSan scenarios run at once (most of them wait rather than compute). */
export const ASAN_PARALLEL = 4;

/** Run every scenario meant for ASan (and, with `tsan`, every one meant for TSan) on a built tree. */
export async function runTree(built: BuiltTree, opts: Pick<VerifyOptions, 'tsan' | 'label' | 'onProgress'>): Promise<TreeVerdict> {
  const label = opts.label ?? 'tree';
  const progress = (suffix: string) => (r: ScenarioResult) => opts.onProgress?.({ kind: 'scenario', label, name: r.name + suffix, pass: r.pass, summary: r.summary });
  const bin = await built.binary('asan');
  const listed = await listScenarios(bin);
  const asan = listed.filter((s) => s.sanitizers.includes('asan'));
  const scenarios = [...asan];
  // the real sessions (scenarios named session-*) mostly wait (on peers, timers, rate limits):
  // they start first, and more run at once than there are cores; the scenarios driven by hand,
  // which compute, fill in beside them
  const start = [...asan.filter((s) => s.name.startsWith('session-')), ...asan.filter((s) => !s.name.startsWith('session-'))].map((s) => s.name);
  const ran = await runAll(bin, start, ASAN_PARALLEL, progress(''));
  const results = asan.map((s) => ran[start.indexOf(s.name)]!);
  if (opts.tsan) {
    const tsan = listed.filter((s) => s.sanitizers.includes('tsan'));
    const tres = await runAll(await built.binary('tsan'), tsan.map((s) => s.name), 1, progress(' (tsan)'));
    scenarios.push(...tsan.map((s) => ({ ...s, name: `${s.name} (tsan)` })));
    results.push(...tres.map((r) => ({ ...r, name: `${r.name} (tsan)` })));
  }
  return { scenarios, results, glue: built.notes };
}

export async function verifyTree(tree: Tree, opts: VerifyOptions = {}): Promise<TreeVerdict> {
  const built = await buildTree(tree, opts);
  try {
    return await runTree(built, opts);
  } finally {
    built.dispose();
  }
}

// ---- compile checks: does the tree build in upstream's standard, with both compilers? ----

export const COMPILERS = ['g++', 'clang++'];

export interface CompileOptions {
  /** default c++14; always with -pedantic-errors */
  std?: string;
  compilers?: string[];
  /** only a translation unit that includes the header (default: the glue, whose first line includes the header) */
  headerOnly?: boolean;
}

let ltCflags: string[] | undefined;
/** pkg-config's flags for the system libtorrent. */
export function cflags(): string[] {
  ltCflags ??= (spawnSync('pkg-config', ['--cflags', 'libtorrent-rasterbar'], { encoding: 'utf8' }).stdout ?? '').trim().split(/\s+/).filter(Boolean);
  return ltCflags;
}

const toolVersions = new Map<string, string>();
function versionOf(cmd: string, args: string[]): string {
  const k = [cmd, ...args].join(' ');
  let v = toolVersions.get(k);
  if (v === undefined) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    v = r.error ? `${cmd}: missing` : `${r.stdout}${r.stderr}`;
    toolVersions.set(k, v);
  }
  return v;
}

/**
 * A tree that compiled is remembered (like ccache), by a hash of everything that decides it: the
 * tree's C, C++ and SWIG files, the compiler and its version, the flags, libtorrent's version.
 */
export function compileKey(tree: Tree, cxx: string, argsWithoutPaths: string[]): string {
  const h = createHash('sha256');
  for (const [p, text] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(p).update('\0').update(text).update('\0');
  h.update(versionOf(cxx, ['--version'])).update(versionOf('pkg-config', ['--modversion', 'libtorrent-rasterbar']));
  h.update(argsWithoutPaths.join('\0')).update(readFileSync(join(harnessDir, 'shim', 'libtorrent', 'bandwidth_limit.hpp')));
  for (const dep of ['/usr/include/boost/version.hpp', '/usr/include/libtorrent/version.hpp']) if (existsSync(dep)) h.update(readFileSync(dep));
  return h.digest('hex').slice(0, 32);
}
export const okFile = (key: string) => join(cacheDir(), `compiles-${key}`);

/** Write the TU to check; returns the command lines (one per compiler not known to pass already). */
function prepareCompile(tree: Tree, o: CompileOptions): { work: string; commands: string[][]; keys: string[]; treeDir: string } {
  const work = mkdtempSync(join(tmpdir(), 'memfix-compile-'));
  try {
    const treeDir = join(work, 'tree');
    writeTree(tree, treeDir);
    const group = completeGroup(tree);
    if (!group.files.header) throw new MemfixError('cannot build: no memory_disk_io header in this tree');
    const headerDir = join(treeDir, dirname(group.files.header.path));
    const tu = join(work, 'tu.cpp');
    if (o.headerOnly) writeFileSync(tu, `#include "${group.files.header.path.split('/').pop()}"\nint main() {}\n`);
    else writeFileSync(tu, glueOf(tree).source);
    const flags = [`-std=${o.std ?? DEFAULT_STD}`, '-pedantic-errors', '-fsyntax-only', ...cflags()];
    const todo = (o.compilers ?? COMPILERS).map((cxx) => ({ cxx, key: compileKey(tree, cxx, [...flags, o.headerOnly ? 'header-only' : 'glue']) })).filter((c) => !existsSync(okFile(c.key)));
    const commands = todo.map(({ cxx }) => [cxx, ...flags, '-I', headerDir, '-I', join(harnessDir, 'shim'), tu]);
    return { work, commands, keys: todo.map((c) => c.key), treeDir };
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

const verdictOf = (results: { cxx: string; status: number | null; stderr: string; error?: string }[], keys: string[], treeDir: string): string | null => {
  for (const r of results) {
    if (r.error) throw new MemfixError(`cannot compile: ${r.cxx} not found (${r.error}); install with: apt-get install -y g++ clang`);
  }
  results.forEach((r, i) => { if (r.status === 0) writeFileSync(okFile(keys[i]!), ''); });
  for (const r of results) if (r.status !== 0) return `${r.cxx}: ${firstError(r.stderr).split(treeDir + '/').join('')}`;
  return null;
};

/**
 * Does the tree compile? With -fsyntax-only, every compiler at once (in parallel), the glue (its
 * first line includes the header, so this also shows the header is self-contained) or, with
 * headerOnly, a TU that includes only the header. Returns null or `compiler: first error`.
 */
export function compileCheck(tree: Tree, o: CompileOptions = {}): string | null {
  const { work, commands, keys, treeDir } = prepareCompile(tree, o);
  try {
    if (!commands.length) return null;
    // one synchronous call, the compilers in parallel: a shell runs them in the background
    const script = commands.map((c, i) => `${c.map(shq).join(' ')} 2>${shq(join(work, `err${i}`))}; echo $? >${shq(join(work, `rc${i}`))} &`).join('\n') + '\nwait\n';
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    if (r.error) throw new MemfixError(`cannot run bash: ${r.error.message}`);
    return verdictOf(commands.map((c, i) => {
      const status = Number(readFileSync(join(work, `rc${i}`), 'utf8').trim());
      const stderr = readFileSync(join(work, `err${i}`), 'utf8');
      return { cxx: c[0]!, status, stderr, error: status === 127 ? 'command not found' : undefined };
    }), keys, treeDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** compileCheck, without blocking the event loop (tests run several at once). */
export async function compileCheckAsync(tree: Tree, o: CompileOptions = {}): Promise<string | null> {
  const { work, commands, keys, treeDir } = prepareCompile(tree, o);
  try {
    const results = await Promise.all(commands.map((c) => new Promise<{ cxx: string; status: number | null; stderr: string; error?: string }>((resolve) => {
      const child = spawn(c[0]!, c.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d; });
      child.on('error', (e) => resolve({ cxx: c[0]!, status: null, stderr, error: e.message }));
      child.on('close', (status) => resolve({ cxx: c[0]!, status, stderr }));
    })));
    return verdictOf(results, keys, treeDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
