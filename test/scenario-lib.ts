/** Reading codemod scenarios (data) and running them through the engine. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan, type Step } from '../src/engine.ts';
import { readTree, type Problem, type Tree } from '../src/workspace.ts';
import type { Codemod } from '../src/codemod.ts';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface Scenario {
  codemod: string;
  name: string;
  dir: string;
  /** fixes taken (default: the codemod and what it depends on) */
  take: string[];
  expect: Record<string, string>;
  driftAt?: string;
  /** an `error` scenario: the file:line of the syntax error or conflict marker memfix refuses the tree for */
  errorAt?: string;
  input: Tree;
  /** the input folder does not exist (yet) */
  inputMissing: boolean;
  /** files that must differ from input after the run (all others stay byte-identical) */
  expected: Tree;
}

export function dependencyClosure(mods: Codemod[], id: string): string[] {
  const byId = new Map(mods.map((m) => [m.meta.id, m]));
  const out = new Set<string>();
  const visit = (i: string) => { if (out.has(i)) return; out.add(i); for (const d of byId.get(i)?.meta.dependsOn ?? []) visit(d); };
  visit(id);
  return [...out];
}

export function loadScenarios(mod: Codemod, mods: Codemod[]): Scenario[] {
  const root = join(mod.dir, 'scenarios');
  if (!existsSync(root)) return [];
  return readdirSync(root).sort().filter((n) => existsSync(join(root, n, 'scenario.json'))).map((name) => {
    const dir = join(root, name);
    const spec = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { take?: string[]; expect: Record<string, string>; driftAt?: string; errorAt?: string; inputFrom?: string };
    const inputDir = spec.inputFrom ? join(repoRoot, spec.inputFrom) : join(dir, 'input');
    return {
      codemod: mod.meta.id,
      name,
      dir,
      take: spec.take ?? dependencyClosure(mods, mod.meta.id),
      expect: spec.expect,
      driftAt: spec.driftAt,
      errorAt: spec.errorAt,
      input: existsSync(inputDir) ? readTree(inputDir) : new Map(),
      inputMissing: !existsSync(inputDir),
      expected: existsSync(join(dir, 'expected')) ? readTree(join(dir, 'expected')) : new Map(),
    };
  });
}

export async function runScenario(s: Scenario, mods: Codemod[]): Promise<{ steps: Step[]; output: Tree; problems: Problem[] }> {
  const { steps, tree, problems } = await plan(s.input, mods, { only: new Set(s.take) });
  return { steps, output: tree, problems };
}
