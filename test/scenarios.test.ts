/**
 * Every codemod's scenarios: the outcomes they name, the output tree (the input with
 * expected.diff applied, or expected/), and idempotency (a second run over the output changes
 * nothing and reports every taken fix as applied). A wrong output fails with the diff between
 * what was expected and what the codemods wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCodemods } from '../src/registry.ts';
import { plan } from '../src/engine.ts';
import { loadScenarios, runScenario, treeDiff } from './scenario-lib.ts';

const mods = await loadCodemods();

for (const mod of mods) {
  for (const s of loadScenarios(mod, mods)) {
    test(`${mod.meta.id} / ${s.name}`, async () => {
      assert.ok(!s.inputMissing, `${s.name}: its input folder does not exist`);
      const { steps, output, problems } = await runScenario(s, mods);
      // error: broken input (a syntax error or conflict marker where the fix reads or writes) is
      // refused at its line, the codemod gives no verdict, and nothing changes
      if (Object.values(s.expect).includes('error')) {
        assert.ok(problems.some((p) => p.kind && `${p.file}:${p.line}` === s.errorAt), `a parse-error or conflict-marker problem at ${s.errorAt}: ${JSON.stringify(problems)}`);
        for (const [id, want] of Object.entries(s.expect)) if (want === 'error') assert.ok(!steps.some((st) => st.codemod.meta.id === id && st.outcome.status !== 'missing'), `${id} gives a verdict on broken input`);
        for (const [path, text] of output) assert.equal(text, s.input.get(path), `${path} changed`);
        return;
      }
      for (const [id, want] of Object.entries(s.expect)) {
        const step = steps.find((st) => st.codemod.meta.id === id);
        assert.ok(step, `no step for ${id}`);
        assert.equal(step.outcome.status, want, `${id}: ${JSON.stringify({ ...step.outcome, edits: undefined })}`);
        if (want === 'drift' && s.driftAt && step.outcome.status === 'drift')
          assert.equal(`${step.outcome.at.file}:${step.outcome.at.line}`, s.driftAt);
      }
      const wrong = treeDiff(s.expected, output);
      if (wrong) assert.fail(`the output is not what ${s.expectedForm === 'diff' ? 'expected.diff' : s.expectedForm === 'folder' ? 'expected/' : 'the input (nothing may change)'} says; expected -> written:\n${wrong}`);
      // idempotent
      const again = await plan(output, mods, { only: new Set(s.take) });
      const moved = treeDiff(output, again.tree);
      if (moved) assert.fail(`a second run changed the output:\n${moved}`);
      for (const st of again.steps) {
        if (steps.find((x) => x.codemod.meta.id === st.codemod.meta.id)?.taken)
          assert.equal(st.outcome.status, 'applied', `second run: ${st.codemod.meta.id} is ${st.outcome.status}`);
      }
    });
  }
}
