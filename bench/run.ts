/**
 * npm run bench: memfix's speed and memory, measured as whole processes, side by side.
 *
 * Each suite runs its commands in rounds; a round runs every command of the suite once, in an
 * order that rotates from round to round (paired runs: a command and its baseline see the same
 * machine load). A command's ratio is the median over rounds of (its time / the baseline's time
 * in the same round). Trees are generated into a temporary folder from our own files
 * (bench/trees.ts) and removed afterwards.
 *
 *   commands  list, scan, apply --dry-run, series, check on the sample and on an upstream-shaped
 *             tree (and on each --tree DIR), against the floor: node + loading tree-sitter +
 *             parsing the tree's header once (bench/floor.cjs)
 *   real      memfix scan of a real tree: the system's /usr/include (~22,000 headers) with three
 *             checkouts of our shapes, against ast-grep's structural search for async_read
 *             definitions (bench/ast-grep-rule.yml), with the peak RSS of both
 *   large     memfix scan of the sample with a 1 MB and a 4 MB header, against one parse of it
 *   reads     the C++ the fixes leave: bursts of 16 KiB reads through memory_disk_io
 *             (bench/reads.cpp, g++ -O2), upstream HEAD's shape (fixtures/shapes/head, which
 *             already copies into new[]) against the same shape with every fix applied
 *   verify    memfix verify --compare on fixtures/shapes/head and verify --mutants on a patched
 *             copy of it, each cold (an empty XDG_CACHE_HOME) and warm (the same cache, run
 *             again), against V: one g++ -fsanitize=address,undefined compile and link of the
 *             harness (the patched tree's glue and the harness/*.cpp as one TU) (bench/README.md)
 *
 * Options:
 *   --tree DIR       also measure the commands on a checkout (e.g. Elementum's repository)
 *   --compare DIR    also run another memfix checkout's bin/memfix.js (built) in the same rounds,
 *                    as a "before" column (e.g. a worktree of main)
 *   --runs N         rounds per suite (default 7; real: --real-runs, default 3; verify:
 *                    --verify-runs, default 1)
 *   --timeout S      a run longer than this is stopped and counted as this long (default 300;
 *                    verify: 3600)
 *   --only LIST      suites to run, comma-separated: commands,real,large,reads,verify
 *   --keep           keep the generated trees (their folder is printed)
 *
 * Targets, checked at the end: series, scan and check on the upstream-shaped tree ≤ 3.5× the
 * floor (issue 22's guard); scan of the real tree ≤ 0.5× ast-grep's wall time with peak RSS
 * ≤ 300 MiB, exit 1 naming the three headers and printing no error (issue 23);
 * a 4 MB header ≤ 4× one parse of it, and growth from 1 MB to 4 MB linear (per-MB time at 4 MB
 * within 1.25× of that at 1 MB); a 16 KiB read with every fix ≤ 1.2× upstream HEAD's (issue 24);
 * verify --compare cold ≤ 2.0× V and verify --mutants cold ≤ 8× V, each exiting 0 (issue 23).
 * Speed targets live here, never in timed tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { makeBigHeaderTree, makeRealTree, makeUpstreamTree, repoRoot, SAMPLE, SAMPLE_HEADER } from './trees.ts';
import { candidatePaths } from '../src/workspace.ts';
import { findHeaderClasses, headerTokens, passes } from '../src/roles.ts';
import { parseSource } from '../src/source.ts';
import { glueOf, writeTree } from '../src/verify/run.ts';
import { readTree } from '../src/workspace.ts';

// ---- options

const argv = process.argv.slice(2);
const opt = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const opts = (name: string) => argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]!] : []));
const runs = Number(opt('--runs') ?? 7);
const realRuns = Number(opt('--real-runs') ?? 3);
const verifyRuns = Number(opt('--verify-runs') ?? 1);
const timeoutMs = Number(opt('--timeout') ?? 300) * 1000;
const verifyTimeoutMs = Number(opt('--timeout') ?? 3600) * 1000;
const only = new Set((opt('--only') ?? 'commands,real,large,reads,verify').split(','));
const compare = opt('--compare');
const keep = argv.includes('--keep');

const memfix = join(repoRoot, 'bin', 'memfix.js');
const before = compare ? join(resolve(compare), 'bin', 'memfix.js') : undefined;
// a build has dist/src/cli.cjs (before the CommonJS build: cli.js)
const built = (dir: string) => ['cli.cjs', 'cli.js'].some((f) => existsSync(join(dir, 'dist', 'src', f)));
if (!built(repoRoot)) throw new Error('not built: npm run build');
if (before && !built(resolve(compare!))) throw new Error(`${compare}: not built (npm ci there)`);
const floorScript = join(repoRoot, 'bench', 'floor.cjs');
const floorQueries = join(repoRoot, 'bench', 'floor-queries.cjs');
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

// ---- running a process

interface Run { ms: number; rssKiB?: number; /** user + system CPU of the process and its children (with /usr/bin/time) */ cpuMs?: number; code: number | null; timedOut: boolean }

/** Run a command to completion (output discarded), its wall time and (with /usr/bin/time, or from /proc) peak RSS. */
function measure(cmd: string[], cwd = repoRoot, o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  const rssFile = join(work, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const full = timeBin ? [timeBin, '-f', '%M %U %S', '-o', rssFile, ...cmd] : cmd;
  const limit = o.timeoutMs ?? timeoutMs;
  return new Promise((done) => {
    const start = process.hrtime.bigint();
    const child = spawn(full[0]!, full.slice(1), { cwd, stdio: 'ignore', detached: true, env: o.env ?? process.env });
    let hwm = 0;
    // without /usr/bin/time: sample VmHWM (the peak so far) while it runs
    const poll = timeBin ? undefined : setInterval(() => {
      try { hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0)); } catch { /* gone */ }
    }, 20);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, limit);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let rssKiB: number | undefined = hwm || undefined;
      let cpuMs: number | undefined;
      if (timeBin) {
        try {
          const [rss, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
          rssKiB = rss;
          cpuMs = ((user ?? 0) + (sys ?? 0)) * 1000;
          rmSync(rssFile);
        } catch { /* killed */ }
      }
      done({ ms: timedOut ? limit : ms, rssKiB, cpuMs, code, timedOut });
    });
  });
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

interface Entry { label: string; cmd: string[]; cwd?: string }
interface Result { label: string; runs: Run[]; ratios: number[] }

/** Rounds of paired runs: every entry once per round, order rotated; ratios against entry 0 of the same round. */
async function rounds(name: string, entries: Entry[], n: number): Promise<Result[]> {
  const results = entries.map((e) => ({ label: e.label, runs: [] as Run[], ratios: [] as number[] }));
  for (let r = 0; r < n; r++) {
    const order = entries.map((_, i) => (i + r) % entries.length);
    const got = new Map<number, Run>();
    for (const i of order) got.set(i, await measure(entries[i]!.cmd, entries[i]!.cwd));
    const base = got.get(0)!.ms;
    for (const [i, run] of got) { results[i]!.runs.push(run); results[i]!.ratios.push(run.ms / base); }
    process.stderr.write(`  ${name}: round ${r + 1}/${n} (load ${loadavg()[0]!.toFixed(2)})\n`);
  }
  return results;
}

// ---- reporting

interface Row { suite: string; what: string; ms: number; ratio: number; against: string; rssMiB?: number; target?: string; ok?: boolean; note?: string }
const rows: Row[] = [];
const fmtMs = (ms: number) => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

function record(suite: string, results: Result[], against: string, targets: Record<string, number> = {}, rssLimitMiB?: number, exitZero = false): void {
  for (const r of results.slice(1)) {
    const ratio = median(r.ratios);
    const rss = r.runs.map((x) => x.rssKiB ?? 0).filter(Boolean);
    const rssMiB = rss.length ? Math.max(...rss) / 1024 : undefined;
    const t = targets[r.label];
    const timedOut = r.runs.some((x) => x.timedOut);
    const failed = r.runs.some((x) => !x.timedOut && x.code !== 0 && (exitZero || x.code !== 1));
    let ok: boolean | undefined = t !== undefined ? ratio <= t && !timedOut && !failed : undefined;
    let target = t !== undefined ? `≤ ${t}×` : undefined;
    if (rssLimitMiB !== undefined && t !== undefined) { target += `, ≤ ${rssLimitMiB} MiB`; ok = ok && (rssMiB ?? Infinity) <= rssLimitMiB; }
    rows.push({ suite, what: r.label, ms: median(r.runs.map((x) => x.ms)), ratio, against, rssMiB, target, ok, note: timedOut ? `stopped at ${(Math.max(...r.runs.map((x) => x.ms)) / 1000).toFixed(0)} s` : failed ? `exit ${r.runs.find((x) => x.code !== 0 && (exitZero || x.code !== 1))?.code}` : undefined });
  }
  const base = results[0]!;
  const rss = base.runs.map((x) => x.rssKiB ?? 0).filter(Boolean);
  rows.push({ suite, what: `${base.label} (baseline)`, ms: median(base.runs.map((x) => x.ms)), ratio: 1, against: '', rssMiB: rss.length ? Math.max(...rss) / 1024 : undefined });
}

function printTable(): void {
  const head = ['suite', 'run', 'median', 'ratio', 'against', 'peak RSS', 'target', ''];
  const body = rows.map((r) => [r.suite, r.what, fmtMs(r.ms), r.against ? `${r.ratio.toFixed(2)}×` : '', r.against, r.rssMiB ? `${r.rssMiB.toFixed(0)} MiB` : '', r.target ?? '', r.ok === undefined ? (r.note ?? '') : `${r.ok ? 'met' : 'MISSED'}${r.note ? ` (${r.note})` : ''}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 3 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let last = '';
  for (const b of body) { if (b[0] !== last && last) console.log(''); last = b[0]!; console.log(line(b)); }
}

// ---- the suites

const work = mkdtempSync(join(tmpdir(), 'memfix-bench-'));
const node = process.execPath;

/** The file memfix takes as the header of a tree: the first whose class derives from both interfaces. */
function headerOf(dir: string): string {
  for (const p of candidatePaths(dir)) {
    const text = readFileSync(join(dir, p), 'utf8');
    if (passes(text, headerTokens) && findHeaderClasses(parseSource(p, text)).length) return join(dir, p);
  }
  throw new Error(`${dir}: no header found`);
}

async function commandsSuite(name: string, dir: string, header: string): Promise<void> {
  const versions: [string, string][] = [['', memfix], ...(before ? [['before: ', before] as [string, string]] : [])];
  const patches = (v: string) => join(work, `patches-${name}${v ? '-before' : ''}`);
  for (const [v, bin] of versions) {
    const r = spawnSync(node, [bin, 'series', dir, '-o', patches(v)], { encoding: 'utf8' });
    if (r.status !== 0 && r.status !== 1) throw new Error(`${v}series on ${name} failed: ${r.stderr}`);
  }
  const entries: Entry[] = [{ label: 'floor', cmd: [node, floorScript, header] }, { label: 'floor + queries (no memfix)', cmd: [node, floorQueries, header] }];
  for (const [v, bin] of versions) {
    entries.push(
      { label: `${v}list`, cmd: [node, bin, 'list'] },
      { label: `${v}scan`, cmd: [node, bin, 'scan', dir] },
      { label: `${v}apply --dry-run`, cmd: [node, bin, 'apply', dir, '--dry-run'] },
      { label: `${v}series`, cmd: [node, bin, 'series', dir, '-o', join(work, `series-${name}${v ? '-before' : ''}`)] },
      { label: `${v}check`, cmd: [node, bin, 'check', dir, '--patches', patches(v)] },
    );
  }
  const results = await rounds(name, entries, runs);
  record(name, results, 'floor', name === 'upstream-shaped' ? { series: 3.5, scan: 3.5, check: 3.5 } : {});
}

async function realSuite(): Promise<void> {
  const dir = join(work, 'real');
  const made = makeRealTree(dir);
  process.stderr.write(`real tree: ${made.files} files, ${(made.bytes / 1e6).toFixed(1)} MB\n`);
  // what a user sees: exit 1 (fixes needed), the three headers named, no error
  const once = spawnSync(node, [memfix, 'scan', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const named = made.checkouts.filter((c) => once.stdout.includes(`${c}/`));
  const sane = once.status === 1 && named.length === made.checkouts.length && !/memfix:/.test(once.stderr);
  const entries: Entry[] = [
    { label: 'ast-grep scan', cmd: [astGrep(), 'scan', '--rule', join(repoRoot, 'bench', 'ast-grep-rule.yml'), dir] },
    { label: 'scan', cmd: [node, memfix, 'scan', dir] },
    ...(before ? [{ label: 'before: scan', cmd: [node, before, 'scan', dir] }] : []),
  ];
  const results = await rounds('real', entries, realRuns);
  record(`real (/usr/include + 3 checkouts, ${made.files} files)`, results, 'ast-grep', { scan: 0.5 }, 300);
  rows.push({ suite: 'real', what: 'scan verdict', ms: 0, ratio: 0, against: '', target: 'exit 1, 3 headers, no error', ok: sane,
    note: sane ? undefined : `exit ${once.status}, ${named.length} of 3 named${once.stderr ? `: ${once.stderr.trim().split('\n')[0]}` : ''}` });
}

async function largeSuite(): Promise<void> {
  const per: Record<string, { scan: number; floor: number }> = {};
  for (const [label, size] of [['1 MB', 1_000_000], ['4 MB', 4_000_000]] as const) {
    const dir = join(work, `large-${size}`);
    const { header } = makeBigHeaderTree(dir, size);
    const entries: Entry[] = [
      { label: 'parse once', cmd: [node, floorScript, header] },
      { label: 'scan', cmd: [node, memfix, 'scan', dir] },
      ...(before ? [{ label: 'before: scan', cmd: [node, before, 'scan', dir] }] : []),
    ];
    const results = await rounds(`large ${label}`, entries, Math.max(3, Math.ceil(runs / 2)));
    record(`header ${label}`, results, 'parse once', label === '4 MB' ? { scan: 4.0 } : {});
    per[label] = { floor: median(results[0]!.runs.map((x) => x.ms)), scan: median(results[1]!.runs.map((x) => x.ms)) };
  }
  // linear: the time per MB at 4 MB is no more than 1.25× the time per MB at 1 MB
  const growth = per['4 MB']!.scan / per['1 MB']!.scan;
  const floorGrowth = per['4 MB']!.floor / per['1 MB']!.floor;
  rows.push({ suite: 'header 1 → 4 MB', what: 'scan growth', ms: per['4 MB']!.scan, ratio: growth, against: `×4 in size (parse ×${floorGrowth.toFixed(2)})`, target: '≤ 5× (linear)', ok: growth <= 5 });
}

/**
 * Bursts of 16 KiB reads (bench/reads.cpp) built against upstream HEAD's header and against it
 * with every fix applied (by this memfix, and by --compare's): the time per read, as a ratio.
 */
async function readsSuite(): Promise<void> {
  const BURSTS = 2000, BURST = 64;
  const cflags = spawnSync('pkg-config', ['--cflags', 'libtorrent-rasterbar'], { encoding: 'utf8' });
  const libs = spawnSync('pkg-config', ['--libs', 'libtorrent-rasterbar'], { encoding: 'utf8' });
  if (cflags.status !== 0 || libs.status !== 0) throw new Error('reads: pkg-config libtorrent-rasterbar failed (apt-get install -y g++ pkg-config libtorrent-rasterbar-dev)');
  const head = join(repoRoot, 'fixtures', 'shapes', 'head');
  const build = (label: string, treeDir: string): string => {
    const header = headerOf(treeDir);
    const out = join(work, `reads-${label}`);
    const r = spawnSync('g++', ['-std=c++14', '-O2', ...cflags.stdout.trim().split(/\s+/), '-I', dirname(header), join(repoRoot, 'bench', 'reads.cpp'), '-o', out, ...libs.stdout.trim().split(/\s+/), '-pthread'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reads: building against ${header} failed:\n${r.stderr}`);
    return out;
  };
  const fixed = (bin: string, label: string): string => {
    const dir = join(work, `reads-tree-${label}`);
    cpSync(head, dir, { recursive: true });
    const r = spawnSync(node, [bin, 'apply', dir, '--yes'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reads: ${label}: memfix apply failed: ${r.stderr}`);
    return dir;
  };
  const args = [String(BURSTS), String(BURST)];
  const entries: Entry[] = [
    { label: 'upstream HEAD', cmd: [build('head', head), ...args] },
    { label: 'every fix', cmd: [build('fixed', fixed(memfix, 'fixed')), ...args] },
    ...(before ? [{ label: 'before: every fix', cmd: [build('before', fixed(before, 'before')), ...args] }] : []),
  ];
  const results = await rounds('reads', entries, runs);
  record(`reads (${BURSTS} bursts of ${BURST} × 16 KiB)`, results, 'upstream HEAD', { 'every fix': 1.2 });
  for (const r of results) {
    const row = rows.find((x) => x.suite.startsWith('reads') && (x.what === r.label || x.what === `${r.label} (baseline)`));
    if (row) row.note = `${((median(r.runs.map((x) => x.ms)) * 1000) / (BURSTS * BURST)).toFixed(2)} µs/read (whole process)${row.note ? `; ${row.note}` : ''}`;
  }
}

/**
 * verify, where memfix's users wait (issue 23). V, the floor: one g++ process that compiles, with
 * ASan+UBSan and the harness's flags, the glue of fixtures/shapes/head with every fix applied
 * (the header and the SWIG blocks, as memfix writes it, the setter SWIG keeps) and the harness
 * (every harness/*.cpp, as one translation unit, as harness/build.sh has it), and links them. Then memfix verify --compare on fixtures/shapes/head and
 * memfix verify --mutants on the patched copy, each cold (an empty XDG_CACHE_HOME of its own) and
 * warm (run again on that cache). A round runs them in that order; ratios are against the round's V.
 */
async function verifySuite(): Promise<void> {
  const cflags = spawnSync('pkg-config', ['--cflags', 'libtorrent-rasterbar'], { encoding: 'utf8' });
  const libs = spawnSync('pkg-config', ['--libs', 'libtorrent-rasterbar'], { encoding: 'utf8' });
  if (cflags.status !== 0 || libs.status !== 0) throw new Error('verify: pkg-config libtorrent-rasterbar failed (apt-get install -y g++ pkg-config libtorrent-rasterbar-dev)');
  const head = join(repoRoot, 'fixtures', 'shapes', 'head');
  const fixed = join(work, 'verify-fixed');
  cpSync(head, fixed, { recursive: true });
  const applied = spawnSync(node, [memfix, 'apply', fixed, '--yes'], { encoding: 'utf8' });
  if (applied.status !== 0) throw new Error(`verify: memfix apply failed: ${applied.stderr}`);
  // V's inputs: the patched tree written out, its glue beside it
  const tree = readTree(fixed);
  const glue = glueOf(tree, { dropped: false });
  const vDir = join(work, 'verify-v');
  writeTree(tree, join(vDir, 'tree'));
  writeFileSync(join(vDir, 'glue.cpp'), glue.source);
  const harness = join(repoRoot, 'harness');
  // the harness as harness/build.sh compiles it: one translation unit that includes every harness/*.cpp
  writeFileSync(join(vDir, 'harness.cpp'), readdirSync(harness).filter((f) => f.endsWith('.cpp')).sort().map((f) => `#include "${join(harness, f)}"\n`).join(''));
  const vCmd = ['g++', '-std=c++14', '-pedantic-errors', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-O0',
    ...cflags.stdout.trim().split(/\s+/), '-I', join(vDir, 'tree', glue.headerDir), '-I', join(harness, 'shim'),
    join(vDir, 'glue.cpp'), join(vDir, 'harness.cpp'), '-o', join(vDir, 'harness'), ...libs.stdout.trim().split(/\s+/), '-pthread'];
  const entries = ['V (g++ ASan+UBSan: glue + harness, compile + link)', 'verify --compare, cold', 'verify --compare, warm', 'verify --mutants, cold', 'verify --mutants, warm'];
  const results: Result[] = entries.map((label) => ({ label, runs: [], ratios: [] }));
  for (let r = 0; r < verifyRuns; r++) {
    const cache = (name: string) => { const d = join(work, `verify-cache-${name}-${r}`); rmSync(d, { recursive: true, force: true }); mkdirSync(d); return { ...process.env, XDG_CACHE_HOME: d }; };
    const compareEnv = cache('compare');
    const mutantsEnv = cache('mutants');
    const got: Run[] = [];
    got.push(await measure(vCmd, vDir, { timeoutMs: verifyTimeoutMs }));
    for (const env of [compareEnv, compareEnv]) got.push(await measure([node, memfix, 'verify', '--compare', head], repoRoot, { env, timeoutMs: verifyTimeoutMs }));
    for (const env of [mutantsEnv, mutantsEnv]) got.push(await measure([node, memfix, 'verify', '--mutants', fixed], repoRoot, { env, timeoutMs: verifyTimeoutMs }));
    got.forEach((run, i) => { results[i]!.runs.push(run); results[i]!.ratios.push(run.ms / got[0]!.ms); });
    process.stderr.write(`  verify: round ${r + 1}/${verifyRuns} (load ${loadavg()[0]!.toFixed(2)}): ${got.map((g) => fmtMs(g.ms)).join(', ')}\n`);
  }
  record('verify (fixtures/shapes/head)', results, 'V', { 'verify --compare, cold': 2.0, 'verify --mutants, cold': 8.0 }, undefined, true);
  for (const r of results) {
    const row = rows.find((x) => x.suite.startsWith('verify') && (x.what === r.label || x.what === `${r.label} (baseline)`));
    const cpu = r.runs.map((x) => x.cpuMs ?? 0).filter(Boolean);
    if (row && cpu.length) row.note = `CPU ${fmtMs(median(cpu))}${row.note ? `; ${row.note}` : ''}`;
  }
}

/** ast-grep's native binary: the platform package's (its npm wrapper only links it there in a postinstall script). */
function astGrep(): string {
  const require = createRequire(import.meta.url);
  const platform = `@ast-grep/cli-${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''}`;
  try {
    const bin = join(dirname(require.resolve(`${platform}/package.json`)), process.platform === 'win32' ? 'ast-grep.exe' : 'ast-grep');
    if (existsSync(bin)) return bin;
  } catch { /* not installed for this platform */ }
  const shim = join(repoRoot, 'node_modules', '.bin', 'ast-grep');
  if (existsSync(shim)) return shim;
  throw new Error(`ast-grep is not installed (npm ci installs @ast-grep/cli and ${platform})`);
}

// ---- main

const load0 = loadavg();
console.log(`memfix bench: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load0.map((l) => l.toFixed(2)).join(' ')} at start; node ${process.version}`);
console.log(`${runs} rounds per suite (real: ${realRuns}, verify: ${verifyRuns}); ratios are medians of per-round ratios${before ? `; before = ${before}` : ''}\n`);
try {
  if (only.has('commands')) {
    await commandsSuite('sample', join(repoRoot, SAMPLE), join(repoRoot, SAMPLE, SAMPLE_HEADER));
    const up = join(work, 'upstream');
    const made = makeUpstreamTree(up);
    process.stderr.write(`upstream-shaped tree: ${made.files} files, ${(made.bytes / 1e6).toFixed(1)} MB\n`);
    await commandsSuite('upstream-shaped', up, made.header);
    for (const t of opts('--tree')) {
      if (!statSync(t).isDirectory()) throw new Error(`${t}: not a directory`);
      await commandsSuite(t, resolve(t), headerOf(resolve(t)));
    }
  }
  if (only.has('real')) await realSuite();
  if (only.has('large')) await largeSuite();
  if (only.has('reads')) await readsSuite();
  if (only.has('verify')) await verifySuite();
} finally {
  if (keep) console.log(`trees kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log('');
printTable();
const missed = rows.filter((r) => r.ok === false);
console.log(`\nload average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(missed.length ? `targets missed: ${missed.map((r) => `${r.suite} ${r.what}`).join(', ')}` : 'every target met');
