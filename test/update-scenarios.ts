/**
 * Regenerate scenarios' expected.diff from the current codemods: `npm run scenarios:update [id]`.
 * Each becomes a unified diff of the output against the scenario's input (an old expected/
 * folder is replaced by it; a run that changes nothing leaves no file). Review every resulting
 * diff before committing it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { clearScenarioCache, loadScenarios, runScenario, treeDiff, type Scenario } from './scenario-lib.ts';

const only = process.argv[2];
const mods = await loadCodemods();
const done = new Set<string>();
// a scenario may take its input from another one's output: that one is written first
const update = async (s: Scenario, say: boolean): Promise<void> => {
  if (done.has(s.dir)) return;
  done.add(s.dir);
  if (s.inputMissing) { if (say) console.log(`${s.codemod}/${s.name}: input missing`); return; }
  const { output } = await runScenario(s, mods);
  const diff = treeDiff(s.input, output);
  rmSync(join(s.dir, 'expected'), { recursive: true, force: true });
  rmSync(join(s.dir, 'expected.diff'), { force: true });
  if (diff) writeFileSync(join(s.dir, 'expected.diff'), diff);
  if (say) console.log(`${s.codemod}/${s.name}: ${diff ? diff.split('\n').filter((l) => l.startsWith('+++ ')).length : 0} changed file(s)`);
};
// two passes: a scenario whose input is another's output sees that output as written
for (const pass of [1, 2]) {
  clearScenarioCache();
  done.clear();
  for (const mod of mods) {
    if (only && mod.meta.id !== only) continue;
    for (const s of loadScenarios(mod, mods)) await update(s, pass === 2);
  }
}
