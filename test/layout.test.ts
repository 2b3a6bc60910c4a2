/**
 * The fixes keep each file's own layout: line endings, BOM and indentation. Each sample tree is
 * rewritten in memory (CRLF, BOM, tabs, 2-space indentation), then the whole engine runs on it:
 * every fix applies, the output keeps the layout, a second run is a no-op, and (CRLF, BOM and
 * tabs; 2-space indentation only moves blanks) the tree compiles after each fix in C++14 with
 * g++ and clang++.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { plan, type Step } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree, type Tree } from '../src/workspace.ts';
import { assertSeriesCompiles } from './compile-lib.ts';
import { repoRoot } from './scenario-lib.ts';

const mods = await loadCodemods();
const BOM = '\uFEFF';

const mapLines = (text: string, f: (line: string) => string) => text.split('\n').map(f).join('\n');
/** Leading groups of 4 spaces → `unit` each (a remainder of 1-3 spaces is kept as alignment). */
const reindent = (text: string, unit: string) => mapLines(text, (l) => l.replace(/^(?: {4})+/, (m) => unit.repeat(m.length / 4)));

interface Variant { name: string; make: (text: string) => string; eol: '\n' | '\r\n'; bom: boolean; tabs: boolean; compile: boolean }
const VARIANTS: Variant[] = [
  { name: 'CRLF', make: (t) => t.replace(/\r?\n/g, '\r\n'), eol: '\r\n', bom: false, tabs: false, compile: true },
  { name: 'BOM', make: (t) => BOM + t, eol: '\n', bom: true, tabs: false, compile: true },
  { name: 'tabs', make: (t) => reindent(t, '\t'), eol: '\n', bom: false, tabs: true, compile: true },
  { name: '2-space', make: (t) => reindent(t, '  '), eol: '\n', bom: false, tabs: false, compile: false },
];
const FIXTURES = ['fixtures/sample', 'fixtures/shapes/early'];

const describeOutcome = (s: Step) => `${s.codemod.meta.id}: ${JSON.stringify({ ...s.outcome, edits: undefined })}`;

/** Lines a change added (diffLines: parts marked added), without their line endings. */
function addedLines(before: string, after: string): string[] {
  const out: string[] = [];
  for (const part of diffLines(before, after)) {
    if (!part.added) continue;
    const lines = part.value.split('\n');
    if (lines.at(-1) === '') lines.pop();
    out.push(...lines.map((l) => l.replace(/\r$/, '')));
  }
  return out;
}

for (const fixture of FIXTURES) {
  const original = readTree(join(repoRoot, fixture));
  assert.ok(original.size >= 3, `${fixture} has its three files`);

  for (const v of VARIANTS) {
    const input: Tree = new Map([...original].map(([p, t]) => [p, v.make(t)]));
    // the variant really is one: it differs from the original in every target file
    let result: Promise<{ steps: Step[]; tree: Tree }> | undefined;
    const run = () => (result ??= plan(input, mods));
    const changed = async () => {
      const { tree } = await run();
      return [...tree].filter(([p, t]) => t !== input.get(p)).map(([path, after]) => ({ path, before: input.get(path)!, after }));
    };
    const label = `${fixture} (${v.name})`;

    test(`${label}: every fix applies`, async () => {
      for (const [p, t] of input) assert.notEqual(t, original.get(p), `variant ${v.name} did not change ${p}`);
      const { steps } = await run();
      assert.equal(steps.length, mods.length, steps.map(describeOutcome).join('\n'));
      for (const s of steps) assert.equal(s.outcome.status, 'apply', describeOutcome(s));
      const paths = (await changed()).map((c) => c.path);
      assert.ok(paths.some((p) => p.endsWith('memory_disk_io.hpp')) && paths.some((p) => p.endsWith('disk_interface.i')), `changed: ${paths.join(', ')}`);
    });

    test(`${label}: changed files keep their line endings`, async () => {
      const files = await changed();
      assert.ok(files.length > 0, 'nothing changed');
      for (const { path, after } of files) {
        if (v.eol === '\r\n') {
          const lone = /(?<!\r)\n/.exec(after);
          assert.equal(lone, null, `${path}: a lone LF at line ${lone ? after.slice(0, lone.index).split('\n').length : 0}: ${JSON.stringify(lone ? after.slice(Math.max(0, lone.index - 60), lone.index + 1) : '')}`);
        } else {
          const cr = after.indexOf('\r');
          assert.equal(cr, -1, `${path}: a CR at line ${after.slice(0, cr).split('\n').length}`);
        }
        assert.ok(!/\r(?!\n)/.test(after), `${path}: a lone CR`);
      }
    });

    test(`${label}: the BOM stays first, and no BOM appears elsewhere`, async () => {
      for (const { path, after } of await changed()) {
        if (v.bom) assert.equal(after.charCodeAt(0), 0xfeff, `${path}: the BOM is gone from the start`);
        const count = after.split(BOM).length - 1;
        assert.equal(count, v.bom ? 1 : 0, `${path}: ${count} BOMs`);
      }
    });

    if (v.tabs) {
      test(`${label}: every line the fixes add is indented with tabs`, async () => {
        const bad: string[] = [];
        let total = 0;
        for (const { path, before, after } of await changed()) {
          for (const line of addedLines(before, after)) {
            if (line.trim() === '') continue;
            total++;
            const ws = /^[ \t]*/.exec(line)![0];
            // tabs, then at most three alignment spaces (e.g. ` * ` in a block comment)
            if (!/^\t*( {0,3})$/.test(ws) || ws.startsWith(' ')) bad.push(`${path}: ${JSON.stringify(line)}`);
          }
        }
        assert.ok(total > 20, `only ${total} added lines`);
        assert.deepEqual(bad, [], `${bad.length} added lines indented with spaces:\n${bad.slice(0, 30).join('\n')}`);
      });
    }

    if (v.name === '2-space') {
      test(`${label}: no line the fixes add is indented with 4-space groups`, async () => {
        const bad: string[] = [];
        for (const { path, before, after } of await changed()) {
          for (const line of addedLines(before, after)) {
            if (line.trim() === '') continue;
            if (line.startsWith('\t')) bad.push(`${path}: ${JSON.stringify(line)}`);
          }
        }
        assert.deepEqual(bad, [], bad.slice(0, 30).join('\n'));
      });
    }

    test(`${label}: a second run reports every fix applied and changes nothing`, async () => {
      const first = await run();
      const again = await plan(first.tree, mods);
      for (const s of again.steps) assert.equal(s.outcome.status, 'applied', `second run: ${describeOutcome(s)}`);
      for (const [p, t] of again.tree) assert.ok(t === first.tree.get(p), `second run changed ${p}`);
    });

    if (v.compile) {
      test(`${label}: every prefix of the series compiles (C++14, g++ and clang++)`, { timeout: 600_000 }, async () => {
        await assertSeriesCompiles(label, input, mods, { minPrefixes: mods.length });
      });
    }
  }
}
