/**
 * A proof must be able to fail. Each codemod may ship `mutants.ts` (`mutants(ctx): Mutant[]`, see
 * src/codemod.ts): on the tree with every fix applied, each mutant undoes its fix in one place.
 * Every mutant is built and run against the scenarios (the codemod's own first, then the rest,
 * ASan first, then ThreadSanitizer); the first failing scenario kills it. A mutant that no
 * scenario kills is a hole in the proof.
 */
import { join } from 'node:path';
import type { Codemod, Context, Mutant, MutantsOf } from '../codemod.ts';
import { applyEdits, byFile } from '../edits.ts';
import { MemfixError } from '../errors.ts';
import { plan } from '../engine.ts';
import { hasModule, loadModule } from '../registry.ts';
import { compileQuery, type SourceFile } from '../source.ts';
import type { Tree } from '../workspace.ts';
import { isUnfinishedBuild, listScenarios, runScenario, type ScenarioInfo } from './build.ts';
import { buildTree, completeGroup, runTree, type TreeVerdict, type VerifyProgress } from './run.ts';

export interface MutantResult {
  codemod: string;
  id: string;
  description: string;
  killed: boolean;
  /** the scenario that failed (`name` or `name (tsan)`) and why, or why nothing did */
  by?: string;
  summary: string;
}

export interface MutantsReport {
  /** the fixed tree's own verdict: every scenario must pass there first */
  baseline: TreeVerdict;
  results: MutantResult[];
}

/** The mutants of every codemod that has a mutants module, on the fixed tree. */
export async function deriveMutants(fixed: Tree, mods: Codemod[]): Promise<{ codemod: Codemod; mutant: Mutant }[]> {
  const group = completeGroup(fixed);
  const out: { codemod: Codemod; mutant: Mutant }[] = [];
  for (const mod of mods) {
    const file = join(mod.dir, 'mutants.ts');
    if (!hasModule(file)) continue;
    const m = (await loadModule(file)) as { mutants?: MutantsOf };
    if (typeof m.mutants !== 'function') throw new MemfixError(`${mod.meta.id}: mutants.ts must export mutants(ctx)`, file);
    if (mod.meta.targets.some((r) => !group.files[r])) continue;
    const ctx: Context = {
      files: group.files,
      className: group.className,
      query: (name) => {
        const scm = mod.queries[name];
        if (scm === undefined) throw new MemfixError(`${mod.meta.id}: no query ${name}.scm`);
        return compileQuery(scm, `${mod.meta.id}/${name}.scm`);
      },
      // as the engine gives a transform: the group's files (role files first) that contain the name
      filesNaming: (name) => {
        const roles = Object.values(group.files).filter((f): f is SourceFile => f !== undefined);
        const paths = new Set(roles.map((f) => f.path));
        return [...roles, ...(group.members ?? []).filter((m) => !paths.has(m.path))].filter((f) => f.text.includes(name));
      },
    };
    const ids = new Set<string>();
    for (const mutant of m.mutants(ctx)) {
      if (ids.has(mutant.id)) throw new MemfixError(`${mod.meta.id}: two mutants named ${mutant.id}`, file);
      if (!mutant.edits.length) throw new MemfixError(`${mod.meta.id}/${mutant.id}: a mutant with no edit`, file);
      ids.add(mutant.id);
      out.push({ codemod: mod, mutant });
    }
  }
  return out;
}

export function mutate(tree: Tree, mutant: Mutant): Tree {
  const out = new Map(tree);
  for (const [path, edits] of byFile(mutant.edits)) {
    const text = out.get(path);
    if (text === undefined) throw new MemfixError(`mutant ${mutant.id}: edit to a file not in the tree`, path);
    out.set(path, applyEdits(text, edits));
  }
  return out;
}

/** Scenarios in the order that kills a codemod's mutants soonest: its own, then `all`, then the rest. */
function order(scenarios: ScenarioInfo[], codemod: string): ScenarioInfo[] {
  const rank = (s: ScenarioInfo) => (s.fix === codemod ? 0 : s.fix === 'all' ? 1 : 2);
  return [...scenarios].sort((a, b) => rank(a) - rank(b));
}

export async function killMutant(tree: Tree, codemod: string, mutant: Mutant, std?: string, buildSlot: <T>(f: () => Promise<T>) => Promise<T> = (f) => f()): Promise<MutantResult> {
  const base = { codemod, id: mutant.id, description: mutant.description };
  let built;
  try {
    built = await buildSlot(() => buildTree(tree, { label: `mutant-${mutant.id}`, std }));
  } catch (e) {
    // a mutant the compiler refuses proves nothing (not killed); a build the machine did not finish
    // says nothing of the mutant: the run fails, rather than name a survivor that may be none
    if (isUnfinishedBuild(e)) throw new MemfixError(`mutant ${mutant.id}: ${(e as Error).message}`);
    if (e instanceof MemfixError) return { ...base, killed: false, summary: `the mutant does not build (${e.message.replace(/^cannot build: /, '')})` };
    throw e;
  }
  try {
    // the codemod's own scenarios (ASan, then TSan), then `all`, then the others; the TSan build
    // is made only when a TSan scenario's turn comes
    const listed = await listScenarios(await built.binary('asan'));
    const runs = order(listed, codemod).flatMap((s) => s.sanitizers.map((san) => ({ s, san, rank: (s.fix === codemod ? 0 : s.fix === 'all' ? 2 : 4) + (san === 'tsan' ? 1 : 0) })));
    runs.sort((a, b) => a.rank - b.rank);
    for (const { s, san } of runs) {
      const r = await runScenario(await built.binary(san), s.name);
      if (!r.pass) return { ...base, killed: true, by: san === 'tsan' ? `${s.name} (tsan)` : s.name, summary: r.summary };
    }
    return { ...base, killed: false, summary: 'every scenario passes' };
  } finally {
    built.dispose();
  }
}

/** At most `n` at once of what goes through it (builds: the machine's cores). */
function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (f) => {
    if (running >= n) await new Promise<void>((go) => waiting.push(go));
    else running++;
    try {
      return await f();
    } finally {
      const go = waiting.shift();
      if (go) go();
      else running--;
    }
  };
}

/** Mutants in flight: two build (one per core) while the others run their scenarios, which mostly wait. */
const MUTANTS_AT_ONCE = 3;
const BUILDS_AT_ONCE = 2;

/**
 * Apply every fix (a tree already fixed stays as it is), check that the fixed tree passes every
 * scenario, and build and run each mutant. The mutants start once the fixed tree's harness is
 * built (its object is then in the cache), beside the fixed tree's own scenario runs; their
 * verdicts are told (`onResult`) once the fixed tree has passed, and count only then.
 */
export async function runMutants(tree: Tree, mods: Codemod[], o: { std?: string; onResult?: (r: MutantResult) => void; onProgress?: (p: VerifyProgress) => void; onMutants?: (total: number) => void } = {}): Promise<MutantsReport> {
  const fixed = (await plan(tree, mods)).tree;
  const built = await buildTree(fixed, { label: 'fixed', std: o.std, onProgress: o.onProgress });
  let all: { codemod: Codemod; mutant: Mutant }[];
  try {
    all = await deriveMutants(fixed, mods);
  } catch (e) {
    built.dispose();
    throw e;
  }
  // the fixed tree's verdict: until it has passed, the mutants' verdicts wait (and a failure stops them)
  let stop = false;
  let told = false;
  const pending: MutantResult[] = [];
  const tell = (r: MutantResult) => { if (told) o.onResult?.(r); else pending.push(r); };
  const baselineRun = runTree(built, { tsan: true, label: 'fixed', onProgress: o.onProgress })
    .then((b) => {
      if (b.results.every((r) => r.pass)) {
        o.onMutants?.(all.length);
        told = true;
        for (const r of pending.splice(0)) o.onResult?.(r);
      } else stop = true;
      return b;
    }, (e: unknown) => { stop = true; throw e; })
    .finally(() => built.dispose());
  const results: MutantResult[] = new Array(all.length);
  const buildSlot = limiter(BUILDS_AT_ONCE);
  let next = 0;
  // a mutant that fails the run (its build did not finish): no new one starts, the ones in flight
  // end (and remove their folders), then the run fails
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    for (let i = next++; i < all.length && !failed && !stop; i = next++) {
      const { codemod, mutant } = all[i]!;
      try {
        results[i] = await killMutant(mutate(fixed, mutant), codemod.meta.id, mutant, o.std, buildSlot);
      } catch (error) {
        failed ??= { error };
        return;
      }
      tell(results[i]!);
    }
  };
  const workers = Promise.all(Array.from({ length: MUTANTS_AT_ONCE }, worker));
  let baseline: TreeVerdict;
  try {
    baseline = await baselineRun;
  } finally {
    await workers; // the ones in flight end first (a failed fixed tree stops them)
  }
  if (!baseline.results.every((r) => r.pass)) return { baseline, results: [] };
  if (failed) throw failed.error;
  return { baseline, results };
}
