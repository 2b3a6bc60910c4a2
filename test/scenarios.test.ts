/**
 * Every codemod's scenarios: the outcomes they name, the output byte for byte, and idempotency
 * (a second run over the output changes nothing and reports every taken fix as applied).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCodemods } from '../src/registry.ts';
import { plan } from '../src/engine.ts';
import { loadScenarios, runScenario } from './scenario-lib.ts';

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
      // output: the expected files differ as given, every other file is untouched
      for (const [path, text] of output) {
        const want = s.expected.get(path) ?? s.input.get(path);
        assert.ok(want !== undefined, `unexpected file ${path}`);
        if (text !== want) assert.fail(`${path} differs from ${s.expected.has(path) ? 'expected/' : 'input (it must not change)'}${path}`);
      }
      for (const path of s.expected.keys()) assert.ok(output.has(path), `expected file ${path} missing from the output`);
      // idempotent
      const again = await plan(output, mods, { only: new Set(s.take) });
      for (const [path, text] of again.tree) assert.equal(text, output.get(path), `second run changed ${path}`);
      for (const st of again.steps) {
        if (steps.find((x) => x.codemod.meta.id === st.codemod.meta.id)?.taken)
          assert.equal(st.outcome.status, 'applied', `second run: ${st.codemod.meta.id} is ${st.outcome.status}`);
      }
    });
  }
}
