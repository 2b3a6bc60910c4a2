/**
 * Reading codemod scenarios (data) and running them through the engine.
 *
 * A scenario's input is `input/` (a small tree), or `inputFrom` (a folder of the repository such
 * as `fixtures/sample`, or another scenario's folder: its output), optionally with `input.diff`
 * (a unified diff applied to it: the few lines that differ). Its expected result is
 * `expected.diff`, a unified diff against the input (no file: the run changes nothing); older
 * scenarios may still hold `expected/` (every file the run changes, whole).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, createTwoFilesPatch, parsePatch } from 'diff';
import { plan, type Step } from '../src/engine.ts';
import { readTree, type Problem, type Tree } from '../src/workspace.ts';
import type { Codemod } from '../src/codemod.ts';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ScenarioSpec {
  /** fixes taken (default: the codemod and what it depends on) */
  take?: string[];
  expect: Record<string, string>;
  driftAt?: string;
  /** an `error` scenario: the file:line of the syntax error or conflict marker memfix refuses the tree for */
  errorAt?: string;
  /** a repository folder, or another scenario's folder (its expected output) */
  inputFrom?: string;
}

export interface Scenario {
  codemod: string;
  name: string;
  dir: string;
  take: string[];
  expect: Record<string, string>;
  driftAt?: string;
  errorAt?: string;
  input: Tree;
  /** the input folder does not exist (yet) */
  inputMissing: boolean;
  /** the whole tree the run must produce */
  expected: Tree;
  /** where expected comes from: `expected.diff`, `expected/`, or nothing (the run changes nothing) */
  expectedForm: 'diff' | 'folder' | 'none';
}

export function dependencyClosure(mods: Codemod[], id: string): string[] {
  const byId = new Map(mods.map((m) => [m.meta.id, m]));
  const out = new Set<string>();
  const visit = (i: string) => { if (out.has(i)) return; out.add(i); for (const d of byId.get(i)?.meta.dependsOn ?? []) visit(d); };
  visit(id);
  return [...out];
}

/** A multi-file unified diff (`--- a/P` / `+++ b/P`) of `to` against `from`: only the files that differ. */
export function treeDiff(from: Tree, to: Tree): string {
  const paths = [...new Set([...from.keys(), ...to.keys()])].sort();
  let out = '';
  for (const p of paths) {
    const a = from.get(p), b = to.get(p);
    if (a === b) continue;
    if (b === undefined) { out += `--- a/${p}\n+++ /dev/null\n`; continue; } // a deleted file: its name is enough
    const patch = createTwoFilesPatch(a === undefined ? '/dev/null' : `a/${p}`, b === undefined ? '/dev/null' : `b/${p}`, a ?? '', b ?? '', undefined, undefined, { context: 3 });
    out += patch.replace(/^=+\n/, '');
  }
  return out;
}

/** Apply a multi-file unified diff written by treeDiff (or by hand, in its form) to a tree. */
export function applyTreeDiff(tree: Tree, diff: string, where: string): Tree {
  const out: Tree = new Map(tree);
  for (const p of parsePatch(diff)) {
    const oldName = p.oldFileName, newName = p.newFileName;
    const strip = (n: string | undefined) => (n === undefined || n === '/dev/null' ? undefined : n.replace(/^[ab]\//, ''));
    const from = strip(oldName), to = strip(newName);
    if (from === undefined && to === undefined) continue;
    const before = from === undefined ? '' : out.get(from);
    if (before === undefined) throw new Error(`${where}: the diff changes ${from}, which the input does not have`);
    const after = applyPatch(before, p);
    if (after === false) throw new Error(`${where}: its hunks for ${from ?? to} do not apply to the input`);
    if (from !== undefined) out.delete(from);
    if (to !== undefined) out.set(to, after);
  }
  return out;
}

const cache = new Map<string, Scenario>();
/** Forget every loaded scenario (scenarios:update reloads after writing). */
export function clearScenarioCache(): void { cache.clear(); }

function loadOne(mod: Codemod, mods: Codemod[], dir: string, name: string): Scenario {
  const hit = cache.get(dir);
  if (hit) return hit;
  const spec = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as ScenarioSpec;
  let input: Tree = new Map();
  let inputMissing = false;
  if (spec.inputFrom) {
    const from = join(repoRoot, spec.inputFrom);
    if (existsSync(join(from, 'scenario.json'))) {
      // another scenario: its output is this one's input
      const id = /(?:^|\/)codemods\/([^/]+)\/scenarios\/([^/]+)\/?$/.exec(spec.inputFrom);
      const owner = mods.find((m) => m.meta.id === id?.[1]);
      if (!owner || !id) throw new Error(`${name}: inputFrom ${spec.inputFrom} is a scenario folder outside codemods/<id>/scenarios/`);
      const other = loadOne(owner, mods, from, id[2]);
      input = other.expected;
      inputMissing = other.inputMissing;
    } else if (existsSync(from)) input = readTree(from);
    else inputMissing = true;
  } else if (existsSync(join(dir, 'input'))) input = readTree(join(dir, 'input'));
  else inputMissing = true;
  if (existsSync(join(dir, 'input.diff'))) input = applyTreeDiff(input, readFileSync(join(dir, 'input.diff'), 'utf8'), `${name}/input.diff`);
  let expected: Tree = input;
  let expectedForm: Scenario['expectedForm'] = 'none';
  if (existsSync(join(dir, 'expected.diff'))) {
    expected = applyTreeDiff(input, readFileSync(join(dir, 'expected.diff'), 'utf8'), `${name}/expected.diff`);
    expectedForm = 'diff';
  } else if (existsSync(join(dir, 'expected'))) {
    expected = new Map([...input, ...readTree(join(dir, 'expected'))]);
    expectedForm = 'folder';
  }
  const s: Scenario = {
    codemod: mod.meta.id, name, dir,
    take: spec.take ?? dependencyClosure(mods, mod.meta.id),
    expect: spec.expect, driftAt: spec.driftAt, errorAt: spec.errorAt,
    input, inputMissing, expected, expectedForm,
  };
  cache.set(dir, s);
  return s;
}

export function loadScenarios(mod: Codemod, mods: Codemod[]): Scenario[] {
  const root = join(mod.dir, 'scenarios');
  if (!existsSync(root)) return [];
  return readdirSync(root).sort().filter((n) => existsSync(join(root, n, 'scenario.json')))
    .map((name) => loadOne(mod, mods, join(root, name), name));
}

export async function runScenario(s: Scenario, mods: Codemod[]): Promise<{ steps: Step[]; output: Tree; problems: Problem[] }> {
  const { steps, tree, problems } = await plan(s.input, mods, { only: new Set(s.take) });
  return { steps, output: tree, problems };
}
