/**
 * Regenerate scenarios' expected/ folders from the current codemods: `npm run scenarios:update`.
 * Review every resulting diff before committing it; the tests compare byte for byte.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadCodemods } from '../src/registry.ts';
import { loadScenarios, runScenario } from './scenario-lib.ts';

const only = process.argv[2];
const mods = await loadCodemods();
// two passes: a scenario may take its input from another one's expected/ folder
for (const pass of [1, 2]) for (const mod of mods) {
  if (only && mod.meta.id !== only) continue;
  for (const s of loadScenarios(mod, mods)) {
    if (s.inputMissing) { if (pass === 2) console.log(`${mod.meta.id}/${s.name}: input missing`); continue; }
    const { output } = await runScenario(s, mods);
    const dir = join(s.dir, 'expected');
    rmSync(dir, { recursive: true, force: true });
    const changed = [...output].filter(([p, t]) => s.input.get(p) !== t);
    for (const [p, t] of changed) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), t);
    }
    console.log(`${mod.meta.id}/${s.name}: ${changed.length} changed file(s)`);
  }
}
