/** verify's pipeline on one tree: write it to a build folder, extract the glue, build, run. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MemfixError } from '../errors.ts';
import { discoverTargets, type TargetGroup } from '../roles.ts';
import { sources, type Tree } from '../workspace.ts';
import { extractGlue } from './glue.ts';
import { buildHarness, harnessDir, listScenarios, runAll, type Sanitizer, type ScenarioInfo, type ScenarioResult } from './build.ts';

export function completeGroup(tree: Tree): TargetGroup {
  const groups = discoverTargets(sources(tree));
  const g = groups.find((x) => x.files.header && x.files['disk-interface'] && x.files.session) ?? groups[0];
  if (!g) throw new MemfixError('cannot build: no memory_disk_io header or SWIG interface files in this tree');
  return g;
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
 * holds their outcomes in the same order.
 */
export interface TreeVerdict { scenarios: ScenarioInfo[]; results: ScenarioResult[]; /** set when the tree did not build */ buildError?: string }

/** What verify is doing, for a progress display: a build starting, a scenario finished. */
export type VerifyProgress =
  | { kind: 'build'; label: string; sanitizer: 'ASan+UBSan' | 'TSan' }
  | { kind: 'scenario'; label: string; name: string; pass: boolean; summary: string };

export async function verifyTree(tree: Tree, opts: { tsan?: boolean; keep?: boolean; label?: string; onProgress?: (p: VerifyProgress) => void } = {}): Promise<TreeVerdict> {
  const label = opts.label ?? 'tree';
  const progress = opts.onProgress ?? (() => {});
  const work = mkdtempSync(join(tmpdir(), `memfix-verify-${opts.label ?? 'tree'}-`));
  try {
    writeTree(tree, join(work, 'tree'));
    const group = completeGroup(tree);
    const glue = extractGlue(group, join(work, 'tree'));
    const headerDir = join(work, 'tree', glue.headerDir);
    progress({ kind: 'build', label, sanitizer: 'ASan+UBSan' });
    const bin = await buildHarness(glue.source, headerDir, join(work, 'build')).catch((e: Error) => {
      // name files as they are in the user's tree, not in our build folder
      if (e instanceof MemfixError) e.message = e.message.split(join(work, 'tree') + '/').join('');
      throw e;
    });
    const listed = await listScenarios(bin);
    const asan = listed.filter((s) => s.sanitizers.includes('asan'));
    const scenarios = [...asan];
    const results = await runAll(bin, asan.map((s) => s.name), 2, (r) => progress({ kind: 'scenario', label, name: r.name, pass: r.pass, summary: r.summary }));
    if (opts.tsan) {
      const tsan = listed.filter((s) => s.sanitizers.includes('tsan'));
      progress({ kind: 'build', label, sanitizer: 'TSan' });
      const tbin = await buildHarness(glue.source, headerDir, join(work, 'build'), 'thread' as Sanitizer);
      const tres = await runAll(tbin, tsan.map((s) => s.name), 1, (r) => progress({ kind: 'scenario', label, name: `${r.name} (tsan)`, pass: r.pass, summary: r.summary }));
      scenarios.push(...tsan.map((s) => ({ ...s, name: `${s.name} (tsan)` })));
      results.push(...tres.map((r) => ({ ...r, name: `${r.name} (tsan)` })));
    }
    return { scenarios, results };
  } finally {
    if (opts.keep) process.stderr.write(`memfix: build folder kept at ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Does the tree compile? The header alone (it must be self-contained) and the glue, with
 * -fsyntax-only. Returns null or the compiler's first error.
 */
export function compileCheck(tree: Tree): string | null {
  const work = mkdtempSync(join(tmpdir(), 'memfix-compile-'));
  try {
    writeTree(tree, join(work, 'tree'));
    const group = completeGroup(tree);
    const glue = extractGlue(group, join(work, 'tree'));
    const headerDir = join(work, 'tree', glue.headerDir);
    const header = group.files.header!.path.split('/').pop()!;
    writeFileSync(join(work, 'header-only.cpp'), `#include "${header}"\nint main() {}\n`);
    writeFileSync(join(work, 'glue.cpp'), glue.source);
    const flags = (spawnSync('pkg-config', ['--cflags', 'libtorrent-rasterbar'], { encoding: 'utf8' }).stdout ?? '').trim().split(/\s+/).filter(Boolean);
    for (const f of ['header-only.cpp', 'glue.cpp']) {
      const r = spawnSync('g++', ['-std=c++17', '-fsyntax-only', ...flags, '-I', headerDir, '-I', join(harnessDir, 'shim'), join(work, f)], { encoding: 'utf8' });
      if (r.status !== 0) return (r.stderr.split('\n').find((l) => /\berror\b/.test(l)) ?? r.stderr.split('\n')[0] ?? 'failed').replace(work + '/tree/', '').trim();
    }
    return null;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
