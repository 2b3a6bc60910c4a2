/** Building the scenario harness against a tree's glue, and running its scenarios. */
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPath } from '../paths.ts';
import { MemfixError, ioError } from '../errors.ts';

export const harnessDir = dataPath('harness') + '/';

export type Sanitizer = 'address,undefined' | 'thread';

/** Fails with the Debian packages to install when the toolchain or libtorrent is missing. */
export function checkToolchain(): void {
  const gxx = spawnSync('g++', ['--version'], { encoding: 'utf8' });
  const lt = spawnSync('pkg-config', ['--exists', 'libtorrent-rasterbar'], { encoding: 'utf8' });
  const missing: string[] = [];
  if (gxx.error || gxx.status !== 0) missing.push('g++');
  if (lt.error || lt.status !== 0) missing.push('libtorrent-rasterbar-dev');
  if (lt.error) missing.push('pkg-config');
  if (missing.length) throw new MemfixError(`cannot build: ${missing.join(', ')} not found; install with: apt-get install -y g++ pkg-config libtorrent-rasterbar-dev`);
}

/**
 * The object cache: $XDG_CACHE_HOME/memfix, else a folder of this user's in the system's temporary
 * folder. Objects from it are linked into the programs verify runs, so a folder there that another
 * user made (or a link) is refused: it must be a real folder, ours, writable by us alone.
 */
export function cacheDir(): string {
  const uid = process.getuid?.();
  const inTmp = !process.env.XDG_CACHE_HOME;
  const base = process.env.XDG_CACHE_HOME ?? join(tmpdir(), `memfix-cache-${uid ?? 0}`);
  if (inTmp) {
    try { mkdirSync(base, { mode: 0o700 }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, base, 'cannot create the build cache'); }
    const st = lstatSync(base);
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0)
      throw new MemfixError(`not used as the build cache: it is ${st.isSymbolicLink() ? 'a symbolic link' : !st.isDirectory() ? 'not a folder' : st.uid !== uid ? `owned by uid ${st.uid}` : 'writable by others'} (set XDG_CACHE_HOME, or remove it)`, base);
  }
  const d = join(base, 'memfix');
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

export interface BuildOptions {
  sanitize?: Sanitizer;
  /** the C++ standard (default c++14, upstream's build); always with -pedantic-errors */
  std?: string;
  /** the folder the tree was written to: mapped away in the objects, so they can be cached */
  treeDir?: string;
  /** a glue to link instead when glueSource does not compile (the same without the setters SWIG drops) */
  fallback?: string;
}

/** A harness binary; `fallback` is glueSource's first error when the fallback glue was linked instead. */
export interface Built { bin: string; fallback?: string }

export const DEFAULT_STD = 'c++14';

/**
 * Build the harness for one glue source (every harness/*.cpp, linked with the glue: the disk
 * interface driven by hand and real libtorrent sessions over loopback). Throws with the
 * compiler's first error.
 */
export async function buildHarness(glueSource: string, headerDir: string, workDir: string, o: BuildOptions = {}): Promise<Built> {
  mkdirSync(workDir, { recursive: true });
  const sanitize = o.sanitize ?? 'address,undefined';
  const glue = join(workDir, sanitize === 'thread' ? 'glue-tsan.cpp' : 'glue.cpp');
  writeFileSync(glue, glueSource);
  const out = join(workDir, sanitize === 'thread' ? 'harness-tsan' : 'harness');
  const cache = cacheDir();
  const env: NodeJS.ProcessEnv = { ...process.env, SANITIZE: sanitize, STD: o.std ?? DEFAULT_STD, CACHE_DIR: cache };
  if (o.treeDir) env.PREFIX_MAP = `${o.treeDir}/=`;
  if (o.fallback !== undefined) {
    env.GLUE_FALLBACK = join(workDir, sanitize === 'thread' ? 'glue-tsan-fallback.cpp' : 'glue-fallback.cpp');
    writeFileSync(env.GLUE_FALLBACK, o.fallback);
  }
  const key = [cache, sanitize, env.STD, harnessDir].join('\0');
  const known = harnessObjects.get(key);
  if (known) env.HARNESS_OBJ = known;
  let printed = '';
  await runBuild(async () => {
    const r = await run('bash', [join(harnessDir, 'build.sh'), glue, headerDir, out], { env, timeoutMs: 15 * 60_000 });
    printed = r.stdout;
    return r;
  });
  const lines = printed.trim().split('\n');
  const obj = lines.at(-1);
  if (obj?.startsWith(cache + '/')) harnessObjects.set(key, obj);
  const fallback = lines.find((l) => l.startsWith('fallback: '))?.slice('fallback: '.length).trim();
  return fallback === undefined ? { bin: out } : { bin: out, fallback };
}

/** The harness objects this process has built (or found in the cache), by cache, sanitizer and standard: a mutant's build links them as they are (HARNESS_OBJ in build.sh). */
const harnessObjects = new Map<string, string>();

/**
 * Run a build; throw with the compiler's first error if it fails. A build killed (out of memory,
 * say) says nothing of the code: it runs once more, unless it ran out of time; if that one does
 * not finish either, the error says so and is marked (isUnfinishedBuild).
 */
export async function runBuild(build: () => Promise<RunResult>): Promise<void> {
  let r = await build();
  if (r.code !== 0 && unfinished(r) && !r.timedOut) r = await build();
  if (r.code === 0) return;
  if (unfinished(r)) throw Object.assign(new MemfixError(`cannot build: the build did not finish (${whyUnfinished(r)})`), { unfinished: true });
  throw new MemfixError(`cannot build: ${firstError(r.stderr)}`);
}

/**
 * A build that failed for the machine's reasons, not the code's: timed out, killed by a signal (or
 * a compiler of it was: exit 128+n), or failed without any error message. Its code may be fine.
 */
function unfinished(r: RunResult): boolean {
  return r.timedOut || r.signal !== null || (r.code ?? 0) > 128 || !/\berror\b/.test(r.stderr);
}

function whyUnfinished(r: RunResult): string {
  if (r.timedOut) return 'timed out after 15 minutes';
  if (r.signal) return `killed by ${r.signal}, twice`;
  const how = (r.code ?? 0) > 128 ? `a compiler was killed (exit ${r.code})` : `exit ${r.code}`;
  return `${how}: ${r.stderr.trim().split('\n').pop()!.trim() || 'no error message'}, twice`;
}

/** The build did not finish for the machine's reasons (see unfinished): nothing is known of the code. */
export function isUnfinishedBuild(e: unknown): boolean {
  return e instanceof MemfixError && (e as { unfinished?: boolean }).unfinished === true;
}

/** The first error line of a compiler's output. */
export function firstError(stderr: string): string {
  return (stderr.split('\n').find((l) => /\berror\b/.test(l)) ?? stderr.trim().split('\n')[0] ?? 'unknown error').trim();
}

/** A scenario as the harness lists it: `name<TAB>fix<TAB>sanitizers<TAB>description`, where
 * sanitizers is `asan`, `tsan` or `asan,tsan` (the builds it is meant to run in). */
export interface ScenarioInfo { name: string; fix: string; sanitizers: ('asan' | 'tsan')[]; description: string }

export async function listScenarios(bin: string): Promise<ScenarioInfo[]> {
  const r = await run(bin, ['--list'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new MemfixError(`the harness did not list its scenarios: ${r.stderr.trim().split('\n')[0]}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => {
    const [name, fix, sanitizers, description] = l.split('\t');
    const sans = (sanitizers ?? '').split(',').filter((s): s is 'asan' | 'tsan' => s === 'asan' || s === 'tsan');
    if (!name || !fix || !sans.length) throw new MemfixError(`the harness listed a scenario without name, fix and sanitizers: "${l}"`);
    return { name, fix, sanitizers: sans, description: description ?? '' };
  });
}

export interface ScenarioResult { name: string; pass: boolean; summary: string }

/** The one-line reason a run failed: the sanitizer's summary, the harness's FAIL line, a timeout or a signal. */
export function summarise(stdout: string, stderr: string, code: number | null, signal: string | null, timedOut: boolean): string {
  const text = stderr + '\n' + stdout;
  const san = /SUMMARY: (\w+Sanitizer): (.*)/.exec(text);
  if (san) {
    const what = san[2]!.trim();
    if (/^\d+ byte\(s\) leaked/.test(what)) return `LeakSanitizer: ${what.replace(/\.$/, '')}`;
    return `${san[1]}: ${what.replace(/\s+(\S*\/\S*|\S+:\d+|in \S+).*$/, '')}`; // the bug kind: heap-use-after-free, data race, SEGV ...
  }
  const tsan = /WARNING: ThreadSanitizer: ([^(\n]+)/.exec(text);
  if (tsan) return `ThreadSanitizer: ${tsan[1]!.trim()}`;
  const ubsan = /runtime error: (.*)/.exec(text);
  if (ubsan) return `UndefinedBehaviorSanitizer: ${ubsan[1]!.slice(0, 80)}`;
  if (timedOut) return 'timed out';
  const fail = /^FAIL [^:]+: (.*)$/m.exec(stdout);
  if (fail) return fail[1]!;
  if (signal) return `killed by ${signal}`;
  return `exit ${code}`;
}

export async function runScenario(bin: string, name: string, timeoutMs = 120_000): Promise<ScenarioResult> {
  const r = await run(bin, [name], {
    timeoutMs,
    env: {
      ...process.env,
      ASAN_OPTIONS: 'halt_on_error=1:detect_leaks=1:abort_on_error=0',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
      TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1',
    },
  });
  const pass = r.code === 0 && !r.timedOut && new RegExp(`^PASS ${name}$`, 'm').test(r.stdout);
  return { name, pass, summary: pass ? 'pass' : summarise(r.stdout, r.stderr, r.code, r.signal, r.timedOut) };
}

/** Run scenarios, two at a time (the machine has two cores); `bin` is the binary, or the binary of each name. */
export async function runAll(bin: string | ((name: string) => string), names: string[], parallel = 2, onResult?: (r: ScenarioResult) => void): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(names.length);
  const binOf = typeof bin === 'string' ? () => bin : bin;
  let next = 0;
  const worker = async () => { for (let i = next++; i < names.length; i = next++) { results[i] = await runScenario(binOf(names[i]!), names[i]!); onResult?.(results[i]!); } };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, worker));
  return results;
}

export interface RunResult { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }

function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { if (stdout.length < 1 << 20) stdout += d; });
    child.stderr.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d; });
    const t = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs);
    child.on('error', (e) => { clearTimeout(t); reject(new MemfixError(`cannot run ${cmd}: ${e.message}`)); });
    child.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, stdout, stderr, timedOut }); });
  });
}
