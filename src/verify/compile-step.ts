/**
 * The compile step of verify and series --verify: does the tree compile as its own build compiles
 * it? The glue as SWIG compiles it (its first line includes the header, so the header is compiled
 * first and alone, then the `%{ %}` bodies in libtorrent.i's order, without the setters SWIG
 * drops) is checked with
 * `-fsyntax-only -pedantic-errors`, once per (compiler, flag set): g++ and clang++, with the tree's
 * flags (its Makefile's: ABI 3 in upstream's) and, for series --verify, pkg-config's too (the
 * system libtorrent's ABI, the one the sanitizer runs link against) when they differ. Other C++
 * files memfix changed are compiled on their own the same way. At most two compilers run at once.
 * A failure names the file and line of the compiler's first error in the tree (the glue's
 * `#line` directives point into the .i files).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { MemfixError } from '../errors.ts';
import type { Tree } from '../workspace.ts';
import { harnessDir } from './build.ts';
import { macrosOf, type BuildFlags } from './build-flags.ts';
import { cflags, COMPILERS, compileKey, completeGroup, glueOf, okFile, writeTree } from './run.ts';

/** A set of flags to compile with: a name for reports, and the arguments (standard, macros, pkg-config's). */
export interface FlagSet { name: string; args: string[] }

/** The libtorrent ABI a flag list compiles for: TORRENT_ABI_VERSION, else 3 with TORRENT_NO_DEPRECATE, else 1 (libtorrent 2.0's export.hpp). */
export function abiOf(args: string[]): string {
  let abi = '1';
  let noDeprecate = false;
  for (const a of args) {
    const m = /^-DTORRENT_ABI_VERSION(?:=(.*))?$/.exec(a);
    if (m) abi = m[1] ?? '1';
    else if (a === '-UTORRENT_ABI_VERSION') abi = '';
    if (/^-DTORRENT_NO_DEPRECATE(=|$)/.test(a)) noDeprecate = true;
  }
  return abi || (noDeprecate ? '3' : '1');
}

/**
 * The flag sets: pkg-config's (the system libtorrent's, as the sanitizer builds use), and the
 * tree's when it declares any -D/-U/-f flag: pkg-config's (for the include paths and the macros
 * the tree leaves alone; a macro the tree sets itself is left out, not defined twice) followed by
 * the tree's. Both take the tree's standard unless `std` is given.
 */
export function flagSets(bf: BuildFlags, std?: string): FlagSet[] {
  const lt = cflags();
  const stdFlag = std ? `-std=${std}` : bf.std.flag;
  const pkgArgs = [stdFlag, '-pedantic-errors', ...lt];
  const sets: FlagSet[] = [{ name: `pkg-config's flags, ABI ${abiOf(pkgArgs)}`, args: pkgArgs }];
  if (bf.source === 'default' || !bf.flags.length) return sets;
  const mine = macrosOf(bf.flags.map((f) => f.flag));
  const treeArgs = [stdFlag, '-pedantic-errors', ...lt.filter((f) => !mine.has(/^-[DU]([A-Za-z_]\w*)/.exec(f)?.[1] ?? '')), ...bf.flags.map((f) => f.flag)];
  sets.push({ name: `${posix.basename(bf.file!)}'s flags, ABI ${abiOf(treeArgs)}`, args: treeArgs });
  return sets;
}

/** The tree's own flag set (the last of flagSets): what verify's compile step uses. */
export const treeSet = (bf: BuildFlags, std?: string) => flagSets(bf, std).at(-1)!;

export interface CompileFailure {
  compiler: string;
  /** the flag set's name */
  set: string;
  /** what was compiled: `glue` (the header, then the SWIG bodies) or a file's path */
  unit: string;
  /** where the first error is, in the tree (`memfix-glue` for memfix's own part of the glue) */
  file?: string;
  line?: number;
  /** the compiler's first error line, the build folder taken out */
  message: string;
}

export interface CompileReport {
  failures: CompileFailure[];
  /** compiler runs, and how many were known to pass already (cached) */
  compiles: number;
  cached: number;
  /** wall time, milliseconds */
  ms: number;
}

const CXX_FILE = /\.(c|cc|cpp|cxx|c\+\+|h|hh|hpp|hxx|h\+\+|ipp)$/i;

/** The first error of a compiler's output: where in the tree, and what. */
export function firstErrorAt(stderr: string, treeDir: string, tu: string | null): { file?: string; line?: number; message: string } {
  const lines = stderr.split('\n');
  const rel = (f: string) => (f === tu ? 'memfix-glue' : f.startsWith(treeDir + '/') ? f.slice(treeDir.length + 1) : f);
  const clean = (s: string) => (tu ? s.split(tu).join('memfix-glue') : s).split(treeDir + '/').join('').trim();
  const i = lines.findIndex((l) => /^.*?:\d+:(?:\d+:)? (?:fatal )?error: /.test(l));
  if (i < 0) return { message: clean(lines.find((l) => /\berror\b/.test(l)) ?? lines[0] ?? 'unknown error') };
  const m = /^(.*?):(\d+):(?:\d+:)? (?:fatal )?error: /.exec(lines[i]!)!;
  const inTree = (f: string) => f.startsWith(treeDir + '/') || f === tu || !f.startsWith('/');
  if (inTree(m[1]!)) return { file: rel(m[1]!), line: Number(m[2]), message: clean(lines[i]!) };
  // an error inside a system header (libtorrent's, boost's): the place in the tree that led there
  for (const l of [...lines.slice(0, i).reverse(), ...lines.slice(i + 1)]) {
    const r = /^(.*?):(\d+):(?:\d+:)? +(?:required from|in instantiation|note: in|In instantiation)/.exec(l) ?? /^(?:In file included from|\s+from) (.*?):(\d+)/.exec(l);
    if (r && inTree(r[1]!)) return { file: rel(r[1]!), line: Number(r[2]), message: clean(lines[i]!) };
  }
  return { message: clean(lines[i]!) };
}

interface Job { cxx: string; set: FlagSet; unit: string; argv: string[]; key: string }

function runCompiler(argv: string[]): Promise<{ status: number | null; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d; });
    child.on('error', (e) => resolve({ status: null, stderr, error: e.message }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

async function pool<T>(items: T[], jobs: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { for (let i = next++; i < items.length; i = next++) await fn(items[i]!); };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}

/**
 * Compile the tree's glue (the header first), and each of `files` on its own, with every compiler
 * and flag set; at most `jobs` compilers at once. A unit known to compile (same tree, compiler,
 * version and flags) is not compiled again.
 */
export async function compileTree(tree: Tree, sets: FlagSet[], o: { compilers?: string[]; files?: string[]; jobs?: number } = {}): Promise<CompileReport> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'memfix-compile-'));
  try {
    const treeDir = join(work, 'tree');
    writeTree(tree, treeDir);
    const group = completeGroup(tree);
    if (!group.files.header) throw new MemfixError('cannot build: no memory_disk_io header in this tree');
    const header = group.files.header.path;
    const headerDir = join(treeDir, dirname(header));
    const shim = join(harnessDir, 'shim');
    const tu = join(work, 'glue.cpp');
    let glued = true;
    try {
      writeFileSync(tu, glueOf(tree, { dropped: false }).source); // as SWIG compiles it: without the setters it drops
    } catch (e) {
      if (!(e instanceof MemfixError)) throw e;
      writeFileSync(tu, `#include "${posix.basename(header)}"\n`); // no SWIG files to glue: the header alone
      glued = false;
    }
    const jobs: Job[] = [];
    const add = (cxx: string, set: FlagSet, unit: string, source: string, includes: string[]) =>
      jobs.push({ cxx, set, unit, argv: [cxx, ...set.args, '-fsyntax-only', ...includes.flatMap((d) => ['-I', d]), source], key: compileKey(tree, cxx, [...set.args, `unit:${unit}`, glued ? 'glue' : 'header']) });
    for (const set of sets) {
      for (const cxx of o.compilers ?? COMPILERS) {
        add(cxx, set, 'glue', tu, [headerDir, shim]);
        for (const f of o.files ?? []) {
          if (!CXX_FILE.test(f) || !tree.has(f)) continue;
          const abs = join(treeDir, f);
          let source = abs;
          if (!/\.(c|cc|cpp|cxx|c\+\+)$/i.test(f)) { source = join(work, `file-${jobs.length}.cpp`); writeFileSync(source, `#include "${abs}"\n`); }
          add(cxx, set, f, source, [dirname(abs), headerDir, shim]);
        }
      }
    }
    const todo = jobs.filter((j) => !existsSync(okFile(j.key)));
    const failures: CompileFailure[] = [];
    await pool(todo, o.jobs ?? 2, async (j) => {
      const r = await runCompiler(j.argv);
      if (r.error) throw new MemfixError(`cannot compile: ${j.cxx} not found (${r.error}); install with: apt-get install -y g++ clang`);
      if (r.status === 0) { writeFileSync(okFile(j.key), ''); return; }
      failures.push({ compiler: j.cxx, set: j.set.name, unit: j.unit, ...firstErrorAt(r.stderr, treeDir, j.unit === 'glue' ? j.argv.at(-1)! : null) });
    });
    // in a stable order: by unit, set, compiler, as the jobs were made
    const rank = (f: CompileFailure) => jobs.findIndex((j) => j.cxx === f.compiler && j.set.name === f.set && j.unit === f.unit);
    failures.sort((a, b) => rank(a) - rank(b));
    return { failures, compiles: jobs.length, cached: jobs.length - todo.length, ms: Date.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One line for a failure: `memory_disk_io.hpp:412: g++ (Makefile's flags, ABI 3): error: ...`. */
export function failureLine(f: CompileFailure): string {
  const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : f.unit === 'glue' ? 'the glue' : f.unit;
  const msg = f.message.replace(/^.*?:\d+:(?:\d+:)? /, '');
  return `${where}: ${f.compiler} (${f.set}): ${msg}`;
}

/** The C++ files memfix changed between two trees that the glue does not compile (not the header, not a SWIG file). */
export function changedCppFiles(before: Tree, after: Tree): string[] {
  let header: string | undefined;
  try { header = completeGroup(after).files.header?.path; } catch { /* no target: nothing to name */ }
  return [...after.keys()].filter((p) => before.get(p) !== after.get(p) && p !== header && CXX_FILE.test(p)).sort();
}

/**
 * The files memfix changed that no longer compile: a failure after the change, in a file the
 * change touched, where the same unit, compiler and flags compiled before it. One line per file.
 */
export function noLongerCompiles(before: Tree, after: Tree, was: CompileReport, now: CompileReport): string[] {
  const out = new Map<string, string>();
  for (const f of now.failures) {
    if (!f.file || out.has(f.file) || before.get(f.file) === after.get(f.file) || !after.has(f.file)) continue;
    if (was.failures.some((x) => x.unit === f.unit && x.compiler === f.compiler && x.set === f.set)) continue;
    out.set(f.file, `memfix changed ${f.file}, which compiled before and no longer does: ${failureLine(f)}`);
  }
  return [...out.values()];
}
