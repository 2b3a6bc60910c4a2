/**
 * Regenerate scenarios' expected.diff from the current codemods: `npm run scenarios:update [id]`.
 * Each becomes a unified diff of the output against the scenario's input (an old expected/
 * folder is replaced by it; a run that changes nothing leaves no file). Review every resulting
 * diff before committing it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { clearScenarioCache, loadScenarios, runScenario, treeDiff, type Scenario } from './scenario-lib.ts';

const only = process.argv[2];
const mods = await loadCodemods();
const done = new Set<string>();
// a scenario may take its input from another one's output: that one is written first
const said: string[] = [];
/** Write one scenario's expected.diff; whether its file changed. */
const update = async (s: Scenario): Promise<boolean> => {
  if (done.has(s.dir)) return false;
  done.add(s.dir);
  if (s.inputMissing) { said.push(`${s.codemod}/${s.name}: input missing`); return false; }
  const { output } = await runScenario(s, mods);
  const diff = treeDiff(s.input, output);
  const file = join(s.dir, 'expected.diff');
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const hadFolder = existsSync(join(s.dir, 'expected'));
  rmSync(join(s.dir, 'expected'), { recursive: true, force: true });
  rmSync(file, { force: true });
  if (diff) writeFileSync(file, diff);
  said.push(`${s.codemod}/${s.name}: ${diff ? diff.split('\n').filter((l) => l.startsWith('+++ ')).length : 0} changed file(s)`);
  return hadFolder || before !== diff;
};
// a scenario whose input is another's output must see that output as written: passes until
// nothing changes
for (let pass = 1; ; pass++) {
  clearScenarioCache();
  done.clear();
  said.length = 0;
  let changed = false;
  for (const mod of mods) {
    if (only && mod.meta.id !== only) continue;
    for (const s of loadScenarios(mod, mods)) changed = (await update(s)) || changed;
  }
  if (!changed) break;
  if (pass === 5) { said.push('scenarios:update: still changing after 5 passes (a cycle of inputFrom?)'); process.exitCode = 1; break; }
}
for (const l of said) console.log(l);
